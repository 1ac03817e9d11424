import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { packagePath } from '../../src/paths.js';

const MAIN = packagePath('dist', 'src', 'cli', 'main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `mnvault` as an operator would (npm test builds it first). */
export function mnvault(args: string[], env: Record<string, string> = {}): CliResult {
  if (!existsSync(MAIN)) throw new Error('dist is missing: run `npm run build` (npm test does)');
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...env },
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
