import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { looksLikeNumber } from '../domain/digits.js';
import { packagePath } from '../paths.js';

/**
 * The machine's side of a support bundle: what is installed and where it runs,
 * the systemd unit's state and restarts, recent error lines of the service's
 * log, and the data folder's file sizes. No host name, no user name, no path
 * outside the data folder; each section says "not available" when it cannot
 * be read, and why, in words that hold no value.
 */

export const NOT_AVAILABLE = 'not available';

/** package.json's version and dist/build-info.json (the commit, written by the build and by install.sh when run from a git checkout). */
export function versionFacts(): Record<string, unknown> {
  const read = (path: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const pkg = read(packagePath('package.json'));
  const build = read(packagePath('dist', 'build-info.json'));
  return { package: pkg?.version ?? null, commit: build?.commit ?? null, dirty: build?.dirty ?? null };
}

function osRelease(): string | null {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/mu.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

export function runtimeFacts(): Record<string, unknown> {
  return {
    node: process.version,
    openssl: process.versions.openssl,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    os: osRelease(),
    kernel: os.release(),
    cpus: os.cpus().length,
    memoryMb: { total: Math.round(os.totalmem() / 1048576), free: Math.round(os.freemem() / 1048576) },
    uptimeSeconds: Math.round(os.uptime()),
  };
}

function run(cmd: string, args: string[]): { ok: true; out: string; err: string } | { ok: false; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', SYSTEMD_PAGER: '' } });
  if (r.error) return { ok: false, why: `${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.name}` };
  if (r.status !== 0) return { ok: false, why: `${cmd}: exit ${r.status ?? r.signal}` };
  return { ok: true, out: r.stdout, err: r.stderr };
}

const UNIT_PROPERTIES = [
  'LoadState', 'ActiveState', 'SubState', 'Result', 'UnitFileState', 'NRestarts', 'ExecMainStatus', 'ExecMainCode',
  'ExecMainStartTimestamp', 'ExecMainExitTimestamp', 'ActiveEnterTimestamp', 'InactiveEnterTimestamp', 'StateChangeTimestamp',
  'MemoryCurrent', 'TasksCurrent',
];

/** `systemctl show` of the unit: its state, result, restart count and times. */
export function unitState(unit: string): Record<string, string> | string {
  const r = run('systemctl', ['show', unit, `--property=${UNIT_PROPERTIES.join(',')}`, '--no-pager']);
  if (!r.ok) return `${NOT_AVAILABLE} (${r.why})`;
  const props: Record<string, string> = {};
  for (const line of r.out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && UNIT_PROPERTIES.includes(line.slice(0, eq))) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (props.LoadState === 'not-found') return `${NOT_AVAILABLE} (${unit} is not installed here)`;
  return props;
}

/** systemd's own lines about the unit (starts, stops, exits, scheduled restarts); they hold no values. */
const LIFECYCLE = /(Started|Starting|Stopped|Stopping|Deactivated successfully|Main process exited|Failed with result|Scheduled restart job|Consumed .* CPU time)/u;

interface JournalEntry {
  MESSAGE?: unknown;
  __REALTIME_TIMESTAMP?: string;
  SYSLOG_IDENTIFIER?: string;
}

/** The unit's last restarts and error lines from the journal. */
export function journalFacts(unit: string, lines = 5000): { restarts: unknown; errors: unknown } {
  const r = run('journalctl', ['-u', unit, '-n', String(lines), '-o', 'json', '--no-pager', '-q']);
  if (!r.ok) return { restarts: `${NOT_AVAILABLE} (${r.why})`, errors: `${NOT_AVAILABLE} (${r.why})` };
  // A user outside the systemd-journal group gets no lines and a notice, not an error status.
  if (r.out.trim() === '' && /permission/iu.test(r.err)) {
    const why = `${NOT_AVAILABLE} (journalctl: no permission to read the journal; run as root or a member of systemd-journal)`;
    return { restarts: why, errors: why };
  }
  const restarts: { at: string; line: string }[] = [];
  const logLines: string[] = [];
  for (const raw of r.out.split('\n')) {
    let e: JournalEntry;
    try {
      e = JSON.parse(raw) as JournalEntry;
    } catch {
      continue;
    }
    const message = typeof e.MESSAGE === 'string' ? e.MESSAGE : Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE as number[]).toString('utf8') : '';
    const at = e.__REALTIME_TIMESTAMP ? new Date(Number(e.__REALTIME_TIMESTAMP) / 1000).toISOString() : '';
    if (e.SYSLOG_IDENTIFIER === 'systemd' && LIFECYCLE.test(message) && !looksLikeNumber(message)) restarts.push({ at, line: message });
    else logLines.push(message);
  }
  return { restarts: restarts.slice(-30), errors: errorLines(logLines.join('\n')) };
}

/** The tail of a log file the service's stderr went to (when it does not run under systemd). */
export function logFileErrors(path: string, maxBytes = 4 * 1024 * 1024): unknown {
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return errorLines(buf.toString('utf8'));
  } catch (err) {
    return `${NOT_AVAILABLE} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}

/**
 * The service's own JSON log lines at level error or warn, newest last. They
 * are written value-free; as a second guard a line holding anything number-like
 * is dropped, and message fields (development's MNVAULT_DEBUG) are left out.
 */
export function errorLines(text: string, keep = 50): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (v.level !== 'error' && v.level !== 'warn') continue;
    delete v.message;
    delete v.messages;
    if (looksLikeNumber(JSON.stringify(v))) continue;
    out.push(v);
  }
  return out.slice(-keep);
}

/** Each file under the data folder by path inside it, with size and mode (names masked if number-like). */
export function dataFolderSizes(dir: string, max = 500): unknown {
  const files: { path: string; bytes: number; mode: string }[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (files.length >= max) return;
      const p = join(d, name);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      const rel = relative(dir, p);
      const shown = looksLikeNumber(rel) ? '[name masked]' : rel;
      if (s.isDirectory() && depth < 4) walk(p, depth + 1);
      else files.push({ path: s.isDirectory() ? `${shown}/` : shown, bytes: s.size, mode: (s.mode & 0o777).toString(8).padStart(4, '0') });
    }
  };
  try {
    walk(dir, 0);
    return files;
  } catch (err) {
    return `${NOT_AVAILABLE} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}
