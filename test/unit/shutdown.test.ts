import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { stopGracefully } from '../../src/cli/shutdown.js';
import type { LogFields, LogLevel } from '../../src/log.js';
import { RevealStore } from '../../src/services/gate.js';
import { newTestVault } from '../helpers/vault.js';

async function slowServer(ms: number) {
  const server = createServer((_req, res) => {
    if (ms >= 0) setTimeout(() => res.end('done'), ms);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = () =>
    new Promise<{ status: number; body: string } | Error>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (e) => resolve(e));
      req.end();
    });
  return { server, get };
}

function recorder() {
  const lines: Array<{ level: LogLevel; event: string } & LogFields> = [];
  return { lines, log: (level: LogLevel, event: string, fields: LogFields = {}) => void lines.push({ level, event, ...fields }) };
}

describe('stopGracefully', () => {
  it('lets a request in flight finish, zeroes opened numbers, releases devices, checkpoints and wipes the keys', async () => {
    const { vault } = await newTestVault();
    const { server, get } = await slowServer(300);
    const reveals = new RevealStore();
    const opened = Buffer.from('123456789018');
    reveals.put(1, opened, Date.now() + 60_000);
    let waiterEnded = false;
    void reveals.waitForApproval(7, 60_000).then(() => (waiterEnded = true));
    const released: string[] = [];
    const { lines, log } = recorder();
    const inFlight = get();
    await new Promise((r) => setTimeout(r, 50));
    await stopGracefully({
      server,
      reveals,
      vault,
      deadlineMs: 5_000,
      log,
      devices: [
        { name: 'pinpad', close: async () => void released.push('pinpad') },
        { name: 'fido2', close: async () => Promise.reject(new Error('unplugged')) },
        { name: 'door', close: async () => void released.push('door') },
      ],
    });
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    expect(waiterEnded).toBe(true);
    expect(opened.every((b) => b === 0)).toBe(true);
    expect(released).toEqual(['pinpad', 'door']);
    expect(vault.dbKey.wiped && vault.keys.audit.wiped && vault.keys.index.wiped && vault.keys.pepper.wiped).toBe(true);
    expect(lines.map((l) => l.event)).toEqual([
      'stop_started', 'requests_finished', 'reveals_cleared', 'device_released', 'device_release_failed', 'device_released',
      'wal_checkpointed', 'database_closed', 'keys_wiped', 'stopped',
    ]);
    expect(lines.find((l) => l.event === 'device_release_failed')).toEqual({ level: 'error', event: 'device_release_failed', device: 'fido2', error: 'Error' });
    expect(lines.find((l) => l.event === 'keys_wiped')).toMatchObject({ level: 'info', wiped: 4, of: 4 });
  });

  it('cuts a request that outlasts the deadline and still closes the vault', async () => {
    const { vault } = await newTestVault();
    const { server, get } = await slowServer(-1);
    const { lines, log } = recorder();
    const hanging = get();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await stopGracefully({ server, reveals: new RevealStore(), vault, deadlineMs: 200, log, devices: [] });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(lines.find((l) => l.event === 'requests_cut')).toMatchObject({ level: 'warn', deadline_ms: 200 });
    expect(lines.map((l) => l.event)).not.toContain('requests_finished');
    expect(vault.dbKey.wiped).toBe(true);
  });
});
