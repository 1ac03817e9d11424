import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { mnvault } from '../helpers/cli.js';

const MAIN = packagePath('dist', 'src', 'cli', 'main.js');
const HINT = 'Ctrl+C';
let work: string;
let data: string;

/** One vault for the three runs (the helpers' temp folders go after each test). */
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mnvault-test-'));
  data = join(work, 'data');
  writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
  writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
  const init = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
  expect(init.status, init.stderr).toBe(0);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Starts `mnvault serve`, waits for the started line, stops it with SIGTERM
 * and returns what it printed. `tty`: under script(1), so stdout is a terminal.
 */
async function serveOutput(opts: { tty: boolean; env?: Record<string, string> }): Promise<string> {
  const command = [process.execPath, MAIN, 'serve', '--http', '--port', '0', '--data', data];
  const env = { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...opts.env };
  const child = opts.tty
    ? spawn('script', ['-qfec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('マイナンバー金庫を起動しました')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // whatever it prints after the started line
  // script(1) passes the terminal's signals on; a plain child gets SIGTERM as from systemd.
  if (opts.tty) child.stdin!.write('\x03');
  else child.kill('SIGTERM');
  await exited;
  return out;
}

describe('mnvault serve: the stop hint', () => {
  it('tells a person at a terminal to press Ctrl+C', async () => {
    expect(await serveOutput({ tty: true })).toContain(HINT);
  }, 60_000);

  it('says nothing about Ctrl+C under systemd (INVOCATION_ID set), even on a terminal', async () => {
    expect(await serveOutput({ tty: true, env: { INVOCATION_ID: '0123456789abcdef0123456789abcdef' } })).not.toContain(HINT);
  }, 60_000);

  it('says nothing about Ctrl+C when stdout is not a terminal (the journal, a pipe)', async () => {
    const out = await serveOutput({ tty: false });
    expect(out).toContain('停止しました');
    expect(out).not.toContain(HINT);
  }, 60_000);
});
