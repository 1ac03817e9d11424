import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { packagePath } from '../../src/paths.js';

/** The built CLI; the crash tests run real processes (npm test builds dist first). */
export const CLI = packagePath('dist', 'src', 'cli', 'main.js');

export function requireDist(): void {
  if (!existsSync(CLI)) throw new Error('dist is missing: run `npm run build` (npm test does)');
}

export interface ChildRun {
  /** Every stdout line the child printed before it ended. */
  lines: string[];
  stderr: string;
  /** True when the harness killed it (SIGKILL) before it ended on its own. */
  killed: boolean;
  code: number | null;
  ms: number;
  /** Milliseconds from the `from` line (or from the start) to the end. */
  workMs: number;
}

/**
 * Runs `node script args…` and, when killAfterMs is given, sends SIGKILL after
 * that delay: no handler runs, no finally, no checkpoint: a power cut for the
 * process. Lines the child printed count as acknowledged only if they arrived
 * before the kill, as an operator would have seen them.
 */
export function runChild(
  script: string,
  args: string[],
  opts: { killAfterMs?: number; env?: Record<string, string>; timeoutMs?: number; /** Count killAfterMs from the first stdout line starting with this (e.g. "ready"). */ from?: string } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let readyAt = opts.from === undefined ? started : undefined;
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let killed = false;
    let kill: NodeJS.Timeout | undefined;
    const arm = () => {
      if (opts.killAfterMs === undefined || kill) return;
      kill = setTimeout(() => {
        killed = child.exitCode === null && child.signalCode === null;
        child.kill('SIGKILL');
      }, opts.killAfterMs);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (opts.from !== undefined && readyAt === undefined && out.split('\n').slice(0, -1).some((l) => l.startsWith(opts.from!))) {
        readyAt = performance.now();
        arm();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.from === undefined) arm();
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      if (kill) clearTimeout(kill);
      clearTimeout(guard);
      // A partial last line (no newline yet) was not acknowledged.
      const lines = out.split('\n');
      lines.pop();
      const end = performance.now();
      resolve({ lines, stderr, killed: killed && code === null, code, ms: end - started, workMs: end - (readyAt ?? end) });
    });
  });
}

export interface CrashLoopOptions {
  runs: number;
  /** The command for run i (a fresh file or argument per run, as the scenario needs). */
  command: (i: number) => { script: string; args: string[]; env?: Record<string, string> };
  /** Kill at a random delay after the child prints this line (the work it does after opening the vault). */
  from?: string;
  /** Checks the vault after run i; `run.killed` tells whether it was cut short. */
  check: (i: number, run: ChildRun) => Promise<void> | void;
  /** How long one undisturbed run takes; measured from run 0 when not given. */
  durationMs?: number;
  /** Deterministic delays for a reproducible failure report. */
  seed?: number;
}

export interface CrashLoopReport {
  runs: number;
  killed: number;
  finished: number;
  durationMs: number;
  delays: number[];
}

/** A small deterministic PRNG (mulberry32), so a failing delay can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Measures one undisturbed run (run 0, checked like the others), then runs the
 * rest, each killed with SIGKILL after a random delay within the measured
 * duration, checking the vault after every one. Failures name the run and delay.
 */
export async function crashLoop(opts: CrashLoopOptions): Promise<CrashLoopReport> {
  requireDist();
  const random = prng(opts.seed ?? 20260401);
  let duration = opts.durationMs;
  const delays: number[] = [];
  let killed = 0;
  let finished = 0;
  for (let i = 0; i < opts.runs; i++) {
    const cmd = opts.command(i);
    const delay = duration === undefined ? undefined : Math.round(random() * duration);
    const run = await runChild(cmd.script, cmd.args, { killAfterMs: delay, env: cmd.env, from: opts.from });
    if (duration === undefined) {
      if (run.code !== 0) throw new Error(`undisturbed run failed (exit ${run.code}): ${run.stderr}`);
      duration = opts.from === undefined ? run.ms : run.workMs;
    } else {
      delays.push(delay!);
    }
    if (run.killed) killed++;
    else finished++;
    try {
      await opts.check(i, run);
    } catch (err) {
      throw new Error(`run ${i} (${run.killed ? `killed after ${delay} ms` : `ended with ${run.code}`}): ${(err as Error).message}\nstdout:\n${run.lines.join('\n')}\nstderr:\n${run.stderr}`, { cause: err });
    }
  }
  return { runs: opts.runs, killed, finished, durationMs: duration ?? 0, delays };
}
