import { writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { unframe } from '../../src/audit/syslog-format.js';
import { loadConfig } from '../../src/config.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { startSyslog, SyslogForwarder } from '../../src/services/syslog-forwarder.js';
import type { Vault } from '../../src/services/vault.js';
import { writeTransaction } from '../../src/storage/database.js';
import { ensureTls } from '../../src/web/tls.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';
import { memoryCaKeyStore } from '../helpers/tls.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(6_400_212_003, 9);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A receiver as rsyslog would run one: reads octet-counted frames and keeps the messages. */
function receiver(server: Server, tls = false): { messages: string[]; sockets: Socket[] } {
  const messages: string[] = [];
  const sockets: Socket[] = [];
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.push(socket);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      const r = unframe(Buffer.concat([buf, d]));
      messages.push(...r.messages);
      buf = r.rest;
    });
    socket.on('error', () => undefined);
  });
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { messages, sockets };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as { port: number }).port;
}

async function until(ok: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function forward(vault: Vault, f: SyslogForwarder): SyslogForwarder {
  cleanups.push(() => f.stop());
  return f;
}

const actor = { id: 'u-syslog', name: '送信 太郎' };

function appendSome(vault: Vault, n: number): void {
  writeTransaction(vault.db, () => {
    for (let i = 0; i < n; i++) vault.audit.append({ actor, action: 'number.revealed', subjects: [{ id: 7, name: '山田 太郎' }], purpose: 'withholding_slip', client: '192.168.1.9', device: 'pinpad:test', detail: { note: '個人的なメモ', i } });
  });
}

const HEADER = /^<(\d+)>1 (\S+) (\S+) mnvault (\d+) (\S+) \[mnvault@32473 (.*)\]$/u;

function params(message: string): Record<string, string> {
  const sd = HEADER.exec(message)![6]!;
  return Object.fromEntries([...sd.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/gu)].map((m) => [m[1]!, m[2]!]));
}

describe('remote syslog witness (RFC 5424 over TCP / TLS, octet counting)', () => {
  it('copies each committed event after its transaction, with ids, seq and hashes but no names, client or detail; a rolled-back event is never sent', async () => {
    const { vault } = await newTestVault();
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const server = createNetServer();
    const rx = receiver(server);
    const port = await listen(server);
    const f = forward(vault, startSyslog(vault, loadConfig({ MNVAULT_SYSLOG: `tcp://127.0.0.1:${port}` })!.syslog!, { hostname: 'vault-01' }));
    await until(() => f.status().state === 'connected', 'connected');
    const from = vault.auditRepo.head()!.seq + 1;
    appendSome(vault, 3);
    expect(() =>
      writeTransaction(vault.db, () => {
        vault.audit.append({ actor, action: 'auth.signed_in', detail: {} });
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'door.forced', device: 'door:main', detail: {} }));
    await until(() => rx.messages.length === 4, '4 messages');
    const rows = auditEvents(vault, from);
    expect(rows.map((r) => r.action)).toEqual(['number.revealed', 'number.revealed', 'number.revealed', 'door.forced']);
    const raw = [...vault.auditRepo.iterateRaw(from)];
    rx.messages.forEach((m, i) => {
      expect(m).toMatch(HEADER);
      const p = params(m);
      expect(p).toMatchObject({ vault: vault.vaultId, seq: String(raw[i]![0]), at: raw[i]![1], action: raw[i]![4], actor: 'u-syslog', hash: raw[i]![11].toString('hex'), prev: raw[i]![10].toString('hex') });
      expect(HEADER.exec(m)![3]).toBe('vault-01');
      for (const never of ['送信 太郎', '山田 太郎', '192.168.1.9', '個人的なメモ', 'note']) expect(m).not.toContain(never);
    });
    expect(params(rx.messages[0]!)).toMatchObject({ subjects: '7', subject_count: '1', purpose: 'withholding_slip', device: 'pinpad:test' });
    // Facility 13 (log audit): informational 110, the forced-door alarm a warning 108.
    expect(HEADER.exec(rx.messages[0]!)![1]).toBe('110');
    expect(HEADER.exec(rx.messages[3]!)![1]).toBe('108');
    expect(f.status()).toMatchObject({ state: 'connected', sent: 4, queued: 0, dropped: 0, lastSeq: raw[3]![0], lastError: null });
    for (const m of rx.messages) for (let i = 0; i + 6 <= NUMBER.length; i++) expect(m).not.toContain(NUMBER.slice(i, i + 6));
  });

  it('never holds up an append while the receiver is away, reconnects with backoff and delivers what waited; a full queue drops the oldest and counts them', async () => {
    const { vault } = await newTestVault();
    const probe = createNetServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const f = forward(vault, new SyslogForwarder(vault, { protocol: 'tcp', host: '127.0.0.1', port }, { capacity: 5, minBackoffMs: 30, maxBackoffMs: 100 }));
    await until(() => f.status().state === 'backoff', 'backoff');
    expect(f.status().lastError).toBe('ECONNREFUSED');
    const t0 = performance.now();
    appendSome(vault, 12);
    expect(performance.now() - t0).toBeLessThan(1000);
    await until(() => f.status().dropped === 7, 'dropped counted');
    expect(f.status()).toMatchObject({ queued: 5, sent: 0 });
    const server = createNetServer();
    const rx = receiver(server);
    await listen(server, port);
    await until(() => rx.messages.length === 5, 'queued delivered after reconnect');
    const head = vault.auditRepo.head()!.seq;
    expect(rx.messages.map((m) => Number(params(m).seq))).toEqual([head - 4, head - 3, head - 2, head - 1, head]);
    expect(f.status()).toMatchObject({ state: 'connected', sent: 5, queued: 0, dropped: 7 });
    // The receiver goes away again: the next events wait and follow on the new connection.
    for (const s of rx.sockets) s.destroy();
    await until(() => f.status().state !== 'connected', 'noticed the close');
    appendSome(vault, 2);
    await until(() => rx.messages.length === 7, 'delivered after the second reconnect');
  });

  it('speaks TLS to a receiver whose certificate the configured CA signed, and refuses one it did not', async () => {
    const { vault } = await newTestVault();
    const dir = tempDir();
    const tls = await ensureTls(dir, { hostnames: ['localhost'], addresses: ['127.0.0.1'], caKey: memoryCaKeyStore(), now: new Date() });
    const server = createTlsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
    const rx = receiver(server, true);
    const port = await listen(server);
    const caPath = `${dir}/syslog-ca.pem`;
    writeFileSync(caPath, tls.caCert);
    const f = forward(vault, startSyslog(vault, loadConfig({ MNVAULT_SYSLOG: `tls://localhost:${port}`, MNVAULT_SYSLOG_CA: caPath }).syslog!));
    await until(() => f.status().state === 'connected', 'TLS connected');
    appendSome(vault, 2);
    await until(() => rx.messages.length === 2, 'two over TLS');
    expect(params(rx.messages[1]!).seq).toBe(String(vault.auditRepo.head()!.seq));

    // Without the CA the receiver's certificate is not trusted: nothing is sent, the error is shown.
    const other = forward(vault, new SyslogForwarder(vault, { protocol: 'tls', host: 'localhost', port }, { minBackoffMs: 50 }));
    await until(() => other.status().lastError !== null, 'refused');
    expect(other.status().state).not.toBe('connected');
    expect(other.status().lastError).toMatch(/CERT|SIGNATURE|ISSUER/u);
  });

  it('reads its settings once, in Japanese when wrong', () => {
    expect(loadConfig({ MNVAULT_SYSLOG: 'tcp://syslog.example.lan:6514' }).syslog).toEqual({ protocol: 'tcp', host: 'syslog.example.lan', port: 6514, caPath: undefined });
    expect(loadConfig({ MNVAULT_SYSLOG: 'tls://[::1]:6514', MNVAULT_SYSLOG_CA: '/etc/mnvault/syslog-ca.pem' }).syslog).toEqual({ protocol: 'tls', host: '::1', port: 6514, caPath: '/etc/mnvault/syslog-ca.pem' });
    expect(loadConfig({}).syslog).toBeUndefined();
    for (const [env, message] of [
      [{ MNVAULT_SYSLOG: 'udp://h:514' }, 'MNVAULT_SYSLOG: リモートsyslogの送り先を'],
      [{ MNVAULT_SYSLOG: 'tcp://h:70000' }, '1〜65535'],
      [{ MNVAULT_SYSLOG: 'tcp://h:514', MNVAULT_SYSLOG_CA: '/x.pem' }, 'tls://ホスト:ポート のときだけ'],
      [{ MNVAULT_SYSLOG: 'tls://h:514', MNVAULT_SYSLOG_CA: 'x.pem' }, '絶対パス'],
    ] as const) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });

  it('shows the forwarder’s state on the admin home page and the audit page', async () => {
    const { vault } = await newTestVault();
    const f = forward(vault, new SyslogForwarder(vault, { protocol: 'tcp', host: '127.0.0.1', port: 9 }, { minBackoffMs: 10_000 }));
    await until(() => f.status().state === 'backoff', 'backoff');
    const app = testApp(vault, { syslog: f });
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    for (const path of ['/', '/audit']) {
      const page = await admin.get(path);
      expect(page.text, path).toContain('tcp://127.0.0.1:9');
      expect(page.text, path).toContain('再接続待ち');
      expect(page.text, path).toContain('最後のエラー: ECONNREFUSED');
    }
  });
});
