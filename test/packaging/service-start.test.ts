import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as https from 'node:https';
import { createServer } from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idIn, INSTALL_ADMIN, installInto, installUnavailable, newRoot } from '../helpers/install.js';
import { secretFromEnrolPage, totpCode } from '../helpers/second-factor.js';

/**
 * The service started the way systemd starts it: ExecStart=, WorkingDirectory=, Environment=,
 * EnvironmentFile=, User=/Group= and UMask= read from the installed unit, paths mapped into the
 * temporary root, and CREDENTIALS_DIRECTORY holding db-key decrypted by systemd-creds from the
 * credential that install.sh made. (Node itself is the host's: the root has no /usr/bin/node.)
 */
const unavailable = installUnavailable();
let root = '';
let credDir = '';
let port = 0;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';
let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let ca = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** The [Service] settings of a unit file, each key with every value it was given. */
function serviceSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/u.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

const one = (s: Map<string, string[]>, key: string): string => {
  const v = s.get(key);
  if (!v || v.length === 0) throw new Error(`${key}= is not set in the unit`);
  return v[v.length - 1]!;
};

/** KEY=VALUE lines of an EnvironmentFile (no quoting is used in ours). */
function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/u.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(method: 'GET' | 'POST', path: string, cookies: Map<string, string>, form?: Record<string, string>): Promise<Reply> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca,
        method,
        path,
        agent: false,
        headers: {
          Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const c of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
            const [pair] = c.split(';');
            const i = pair!.indexOf('=');
            cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the handshake's error, or null when it succeeded. */
function handshake(version: tls.SecureVersion): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      minVersion: 'TLSv1',
      maxVersion: version,
      // OpenSSL 3's default security level would refuse TLS 1.0/1.1 on the client side already;
      // level 0 lets the client offer them, so it is the server that has to say no.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(null);
    });
    socket.once('error', (err) => resolve(err));
  });
}

beforeAll(async () => {
  if (unavailable) return;
  root = newRoot();
  port = await freePort();
  const installed = installInto(root, port);
  if (installed.status !== 0) throw new Error(`install.sh failed:\n${installed.stdout}\n${installed.stderr}`);
  ca = readFileSync(join(root, 'var/lib/mnvault/tls/ca.pem'), 'utf8');

  const unitPath = join(root, 'etc/systemd/system/mnvault.service');
  const unit = serviceSettings(readFileSync(unitPath, 'utf8'));
  const inRoot = (p: string) => (p.startsWith('/') ? join(root, p) : p);
  const uid = idIn(root, 'passwd', one(unit, 'User'));
  const gid = idIn(root, 'group', one(unit, 'Group'));

  // CREDENTIALS_DIRECTORY, as systemd fills it from LoadCredentialEncrypted=NAME:PATH.
  const [credName, credPath] = one(unit, 'LoadCredentialEncrypted').split(':') as [string, string];
  credDir = mkdtempSync(join(os.tmpdir(), 'mnvault-creds-'));
  const decrypted = spawnSync('systemd-creds', ['decrypt', `--name=${credName}`, inRoot(credPath), join(credDir, credName)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_CREDENTIAL_SECRET: join(root, 'var/lib/systemd/credential.secret') },
    encoding: 'utf8',
  });
  if (decrypted.status !== 0) throw new Error(`systemd-creds decrypt failed: ${decrypted.stderr}`);
  chownSync(credDir, uid, gid);
  chownSync(join(credDir, credName), uid, gid);

  // What systemd sets for User=: HOME, USER, LOGNAME and SHELL from the user's passwd entry.
  const user = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${one(unit, 'User')}:`))!.split(':');
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: inRoot(user[5]!), USER: user[0]!, LOGNAME: user[0]!, SHELL: user[6]! };
  for (const file of unit.get('EnvironmentFile') ?? []) Object.assign(env, envFile(readFileSync(inRoot(file.replace(/^-/u, '')), 'utf8')));
  for (const e of unit.get('Environment') ?? []) {
    const i = e.indexOf('=');
    env[e.slice(0, i)] = e.slice(i + 1);
  }
  env.CREDENTIALS_DIRECTORY = credDir;
  expect(env.MNVAULT_PORT).toBe(String(port));

  const [exe, ...args] = one(unit, 'ExecStart').split(/\s+/u);
  const argv = args.map(inRoot);
  const umask = one(unit, 'UMask');
  // The host's Node stands in for the root's /usr/bin/node; setpriv applies User=, Group= and no groups.
  child = spawn(
    'setpriv',
    ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', 'sh', '-c', `umask ${umask} && exec "$0" "$@"`, exe!, ...argv],
    { cwd: inRoot(one(unit, 'WorkingDirectory')), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  exit = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30_000;
  while (!stdout.includes('マイナンバー金庫を起動しました')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the service did not start:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 300_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (root) rmSync(root, { recursive: true, force: true });
  if (credDir) rmSync(credDir, { recursive: true, force: true });
});

describe.skipIf(unavailable)(`the service started through its unit’s ExecStart${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('serves HTTPS in production mode from the installed vault and logs structured lines', async () => {
    const cookies = new Map<string, string>();
    const health = await request('GET', '/health', cookies);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    const events = stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; event: string });
    expect(events.every((e) => typeof e.level === 'string' && typeof e.event === 'string')).toBe(true);
    expect(events.map((e) => e.event)).toContain('listening');
  });

  it('lets the installed admin sign in over HTTPS, with HSTS on the responses', async () => {
    const cookies = new Map<string, string>();
    const page = await request('GET', '/login', cookies);
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    const csrf = /name="_csrf" value="([^"]+)"/u.exec(page.body)?.[1];
    expect(csrf).toBeDefined();
    const signedIn = await request('POST', '/login', cookies, { _csrf: csrf!, login: INSTALL_ADMIN.login, password: INSTALL_ADMIN.password });
    expect(signedIn.status, signedIn.body).toBe(303);
    // An admin enrols a second factor before any page opens: TOTP, with a code computed from the secret shown.
    expect(signedIn.headers.location).toBe('/login/enrol');
    const enrol = await request('GET', '/login/enrol', cookies);
    expect(enrol.status).toBe(200);
    const code = totpCode(secretFromEnrolPage(enrol.body), new Date());
    const enrolled = await request('POST', '/login/enrol/totp', cookies, { _csrf: csrf!, code });
    expect(enrolled.status, enrolled.body).toBe(303);
    expect(enrolled.headers.location).toBe('/');
    const home = await request('GET', '/', cookies);
    expect(home.status).toBe(200);
    expect(home.body).toContain(INSTALL_ADMIN.login);
  });

  it('presents a certificate from the local CA for the host name, host.local, localhost and the addresses', () => {
    const cert = new x509.X509Certificate(readFileSync(join(root, 'var/lib/mnvault/tls/server.pem'), 'utf8'));
    const items = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
    const dns = items.filter((n) => n.type === 'dns').map((n) => n.value);
    const ips = items.filter((n) => n.type === 'ip').map((n) => n.value);
    const host = os.hostname().toLowerCase();
    if (host !== 'localhost') expect(dns).toEqual(expect.arrayContaining([host, host.endsWith('.local') ? host : `${host}.local`]));
    expect(dns).toContain('localhost');
    expect(ips).toEqual(expect.arrayContaining(['127.0.0.1']));
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    expect(ips).toEqual(expect.arrayContaining(lan));
    expect(cert.issuer).toContain('ローカルCA');
  });

  it('refuses TLS 1.0 and 1.1 handshakes and accepts TLS 1.2', async () => {
    for (const old of ['TLSv1', 'TLSv1.1'] as const) {
      const err = await handshake(old);
      expect(err, old).not.toBeNull();
      expect(String((err as NodeJS.ErrnoException).code ?? err!.message), old).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|protocol version/iu);
    }
    expect(await handshake('TLSv1.2')).toBeNull();
  });

  it('stops on SIGTERM: exits 0 within seconds, checkpoints the WAL, wipes the keys, logs each step', async () => {
    const wal = join(root, 'var/lib/mnvault/vault.db-wal');
    const started = Date.now();
    child!.kill('SIGTERM');
    const result = await Promise.race([exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8_000))]);
    expect(result, stderr).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const events = stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; event: string; wiped?: number; of?: number; busy?: number });
    const names = events.map((e) => e.event);
    const order = ['signal_received', 'stop_started', 'requests_finished', 'reveals_cleared', 'wal_checkpointed', 'database_closed', 'keys_wiped', 'stopped'];
    const at = order.map((n) => names.indexOf(n));
    expect(at.every((i) => i >= 0), names.join(' ')).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(events.find((e) => e.event === 'wal_checkpointed')).toMatchObject({ level: 'info', busy: 0 });
    expect(events.find((e) => e.event === 'keys_wiped')).toMatchObject({ level: 'info', wiped: 4, of: 4 });
    expect(names).not.toContain('exit_forced');
    // No personal data or secrets in the log.
    for (const secret of [INSTALL_ADMIN.password, INSTALL_ADMIN.pin, INSTALL_ADMIN.login]) expect(stderr).not.toContain(secret);
    expect(stdout).toContain('停止しました。');
  });
});
