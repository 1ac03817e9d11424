import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { startDoor } from '../../src/cli/door.js';
import { doorCommand } from '../../src/cli/door.js';
import { pinPadSocketPath, startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { doorSocketPath } from '../../src/devices/door-simulator.js';
import { lcusCommand, parseLcusCommands } from '../../src/devices/relay.js';
import { RevealStore } from '../../src/services/gate.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER } from '../helpers/web.js';
import { keystrokes } from '../helpers/keypad.js';


class Sink {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += String(chunk);
    return true;
  }
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`not reached: ${what}`);
}

describe('the door simulator behind serve --simulate-devices', () => {
  it('pulses the relay over the pty on approval (「リレー: 解錠」 then 「施錠」) and raises a forced alarm when `mnvault door open` opens it unapproved', async () => {
    const { vault, dataDir } = await newTestVault();
    await addStaff(vault);
    const serving = await startServer(vault, loadConfig({ MNVAULT_DOOR_PULSE_MS: '100' }), { port: 0, host: '127.0.0.1', simulateDevices: true, http: true, pinCost: TEST_PIN_COST });
    const watcher = connect(doorSocketPath(dataDir));
    try {
      const seen: string[] = [];
      watcher.setEncoding('utf8');
      watcher.on('data', (chunk: string) => seen.push(...chunk.split('\n').filter(Boolean)));
      await new Promise((r) => watcher.once('connect', r));
      // supertest takes a URL too: the Browser drives the running server as it drives an app.
      const admin = new Browser(serving.url.replace(/\/$/u, '') as unknown as Express, vault);
      await admin.signIn(ADMIN.login, ADMIN.password);
      const home = await admin.get('/');
      expect(home.text).toContain('模擬の扉・開発用');
      expect(home.text).toMatch(/扉センサー<\/th><td class="door-closed">閉/u);

      // Unapproved: the developer opens the door from a second terminal.
      const out = new Sink();
      expect(await doorCommand(['open', '--data', dataDir], loadConfig({}), out as unknown as NodeJS.WritableStream)).toBe(0);
      expect(out.text).toContain('扉は開いています');
      await until(() => vault.doorAlarms.openCount() === 1, 'forced alarm');
      const alarmed = await admin.get('/');
      expect(alarmed.text).toContain('承認なしの開放（こじ開けの疑い）');
      expect(alarmed.text).toContain('未確認の警報 1');
      await doorCommand(['close', '--data', dataDir], loadConfig({}), new Sink() as unknown as NodeJS.WritableStream);

      // Approved: an entry request, code and PIN on the simulated pad; the board on the pty's far end reads the LCUS bytes.
      const handler = new Browser(serving.url.replace(/\/$/u, '') as unknown as Express);
      await handler.signIn(HANDLER.login, HANDLER.password);
      await handler.get('/entries/new');
      const asked = await handler.post('/entries', { purpose: 'entry_maintenance' });
      const code = /class="request-code">(\d{6})</u.exec((await handler.get(asked.headers.location!)).text)![1]!;
      const pad = connect(pinPadSocketPath(dataDir));
      await new Promise((r) => pad.once('connect', r));
      pad.write(keystrokes(`${code}\n${HANDLER.pin}\n`));
      await until(() => seen.filter((l) => l.includes('"relay"')).length >= 2, 'relay unlock and lock');
      pad.destroy();
      expect(seen.filter((l) => l.includes('"relay"')).map((l) => JSON.parse(l))).toEqual([
        { type: 'relay', unlocked: true, channel: 1 },
        { type: 'relay', unlocked: false, channel: 1 },
      ]);
      expect(seen).toContainEqual(JSON.stringify({ type: 'door', open: true }));
    } finally {
      watcher.destroy();
      await serving.stop();
    }
    expect(existsSync(doorSocketPath(dataDir))).toBe(false);
  });

  it('runs without the door, saying so in Japanese, when socat is missing', async () => {
    const { vault } = await newTestVault();
    const said: string[] = [];
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      expect(await startDoor(vault, new RevealStore(), loadConfig({}), true, (m) => said.push(m))).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
    expect(said.join('')).toContain('socat が見つからないため、模擬の扉');
  });

  it('is refused in production: the server with simulated devices and the door terminal', async () => {
    const { vault, dataDir } = await newTestVault();
    const production = loadConfig({ MNVAULT_MODE: 'production' });
    await expect(startServer(vault, production, { port: 0, host: '127.0.0.1', simulateDevices: true, http: true })).rejects.toMatchObject({ code: 'forbidden' });
    expect(existsSync(doorSocketPath(dataDir))).toBe(false);
    await expect(doorCommand(['open', '--data', dataDir], production, new Sink() as unknown as NodeJS.WritableStream)).rejects.toMatchObject({ code: 'forbidden', publicMessage: expect.stringContaining('本番モードでは模擬の扉を使えません') });
  });

  it('says what to start when no simulated door is running, and refuses unknown words', async () => {
    const { dataDir } = await newTestVault();
    await expect(doorCommand(['open', '--data', join(dataDir, 'nowhere')], loadConfig({}), new Sink() as unknown as NodeJS.WritableStream)).rejects.toMatchObject({
      code: 'device_unavailable',
      publicMessage: expect.stringContaining('mnvault serve --simulate-devices'),
    });
    await expect(doorCommand(['unlock', '--data', dataDir], loadConfig({}), new Sink() as unknown as NodeJS.WritableStream)).rejects.toMatchObject({ code: 'invalid' });
  });
});

describe('the simulated relay board reading LCUS frames', () => {
  it('finds each checked frame, skips noise and bad checksums, and keeps a split frame for the next chunk', () => {
    const bytes = Uint8Array.of(0x00, ...lcusCommand(1, 0x01), 0xa0, 0x01, 0x01, 0xff, ...lcusCommand(8, 0x00), 0xa0, 0x02);
    const { commands, rest } = parseLcusCommands(bytes);
    expect(commands).toEqual([
      { channel: 1, state: 0x01 },
      { channel: 8, state: 0x00 },
    ]);
    expect([...rest]).toEqual([0xa0, 0x02]);
    expect(parseLcusCommands(Uint8Array.of(...rest, 0x00, 0xa2)).commands).toEqual([{ channel: 2, state: 0x00 }]);
  });
});
