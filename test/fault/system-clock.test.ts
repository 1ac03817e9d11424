import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { packagePath } from '../../src/paths.js';
import { openVault } from '../../src/services/vault.js';
import { mnvault } from '../helpers/cli.js';

/**
 * The clock rules of clock.test.ts, but as the appliance runs: the built CLI
 * in its own process with a wrong SYSTEM clock, set by libfaketime (an
 * LD_PRELOAD library that shifts what gettimeofday/clock_gettime return).
 */
const MAIN = packagePath('dist', 'src', 'cli', 'main.js');
const LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const missing = existsSync(LIB) ? '' : `${LIB} is absent (apt-get install libfaketime)`;
const STARTED = 'マイナンバー金庫を起動しました';

/** The environment for a process whose clock is `offset` off ('-49h', '-1h'). */
const behind = (offset: string) => ({ LD_PRELOAD: LIB, FAKETIME: offset, FAKETIME_NO_CACHE: '1' });

let work: string;
let data: string;

interface ServeRun {
  started: boolean;
  code: number | null;
  out: string;
}

/** Starts `mnvault serve` over HTTPS; stops it (SIGTERM) once it has started, or waits (10 s at most) for it to exit. */
function serve(env: Record<string, string> = {}): Promise<ServeRun> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data', data], {
    env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let started = false;
  const take = (c: Buffer) => {
    out += c.toString('utf8');
    if (!started && out.includes(STARTED)) {
      started = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ started, code, out });
    }),
  );
}

/** The CA's certificate and the server's files in DATA/tls, and the CA key kept in the vault. */
function tlsState(): Record<string, string> {
  const dir = join(data, 'tls');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
  const vault = openVault({ dataDir: data, clock: systemClock });
  try {
    return { ...files, caKey: vault.meta.get('tls_ca_key') ?? '' };
  } finally {
    vault.close();
  }
}

/** The newest `n` audit rows, oldest first, as [seq, at, action, detail]. */
function latestAudit(n: number): { seq: number; at: string; action: string; detail: Record<string, unknown> }[] {
  const vault = openVault({ dataDir: data, clock: systemClock });
  try {
    return vault.auditRepo
      .latest(n)
      .reverse()
      .map((r) => ({ seq: Number(r[0]), at: String(r[1]), action: String(r[4]), detail: JSON.parse(String(r[9])) as Record<string, unknown> }));
  } finally {
    vault.close();
  }
}

describe.skipIf(missing)(`the built CLI with a wrong system clock (libfaketime)${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'mnvault-test-'));
    data = join(work, 'data');
    writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
    writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
    const init = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
    expect(init.status, init.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('serve refuses to start with the clock two days before the CA was made, and replaces nothing', async () => {
    const first = await serve();
    expect(first.started, first.out).toBe(true);
    const before = tlsState();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['ca.pem', 'caKey']));
    expect(before.caKey).toContain('PRIVATE KEY');

    // The CA is back-dated an hour, so -49h is two days before its notBefore.
    const refused = await serve(behind('-49h'));
    expect(refused.started, refused.out).toBe(false);
    // Exits by itself with a code (a process still running when it is killed has none).
    expect(refused.code).toBeGreaterThan(0);
    expect(refused.out).toContain('ローカルCAの作成日時');
    expect(refused.out).toContain('時計が遅れているため起動しません');
    expect(refused.out).toContain('NTPで時刻を合わせてから');
    expect(refused.out).not.toMatch(/\n\s+at /u); // no stack trace
    expect(tlsState()).toEqual(before);
  }, 30_000);

  it('an event appended an hour behind takes the previous time, the step is audited, and the chain verifies', () => {
    const last = latestAudit(1)[0]!;
    const folder = join(work, 'b-monotonic');
    mkdirSync(folder);
    const r = mnvault(['backup', '--data', data, '--to', folder, '--keep', '5'], behind('-1h'));
    expect(r.status, r.stderr).toBe(0);
    const rows = latestAudit(20).filter((e) => e.seq >= last.seq);
    expect(rows.length).toBeGreaterThan(2);
    const times = rows.map((e) => e.at);
    expect([...times].sort()).toEqual(times);
    const steps = rows.filter((e) => e.action === 'clock.behind');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.detail.previous_event_at).toBe(last.at);
    // The clock the process saw, about an hour behind the newest event.
    const gap = Date.parse(last.at) - Date.parse(String(steps[0]!.detail.clock));
    expect(gap).toBeGreaterThan(50 * 60_000);
    expect(gap).toBeLessThan(70 * 60_000);
    expect(rows.some((e) => e.action === 'backup.created')).toBe(true);
    const verify = mnvault(['audit', 'verify', '--data', data]);
    expect(verify.status, verify.stderr).toBe(0);
  }, 30_000);

  it('backups made with the clock behind are rotated by audit seq: the ones just written stay', () => {
    const folder = join(work, 'b-rotation');
    mkdirSync(folder);
    const backup = (env: Record<string, string> = {}) => {
      const r = mnvault(['backup', '--data', data, '--to', folder, '--keep', '2'], env);
      expect(r.status, r.stderr).toBe(0);
      return readdirSync(folder).filter((f) => f.endsWith('.db'));
    };
    const [onTime] = backup();
    const twoBehind = backup(behind('-2h')).find((f) => f !== onTime)!;
    const after = backup(behind('-1h'));
    const oneBehind = after.find((f) => f !== onTime && f !== twoBehind);
    // By the clock the on-time copy is the newest; by audit seq it is the oldest and goes.
    expect(oneBehind).toBeDefined();
    expect(after.sort()).toEqual([oneBehind, twoBehind].sort());
  }, 30_000);
});
