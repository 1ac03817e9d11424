import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Secret } from '../domain/secret.js';
import type { Config } from '../config.js';
import { usageError } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with our usage errors instead of Node's English ones. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw usageError(`コマンドの指定に誤りがあります（${(err as Error).message}）。`);
  }
}

export function dataDirFrom(flag: string | undefined, config: Config): string {
  const dir = flag ?? config.dataDir;
  if (!dir) throw usageError('--data でデータフォルダを指定してください（環境変数 MNVAULT_DATA でも指定できます）。');
  return dir;
}

/**
 * Reads a secret from a file (first line, without the line break), so it never appears in argv or
 * shell history. `-` and `/dev/stdin` read the standard input as it was handed over: under
 * `systemd-run --pipe` (the installed `mnvault`) it is root's pipe, which the service user could
 * not open again through /dev/stdin.
 */
export function readSecretFile(path: string | undefined, what: string): Secret<string> {
  if (!path) throw usageError(`${what}のファイルを指定してください。`);
  let text: string;
  try {
    text = readFileSync(path === '-' || path === '/dev/stdin' ? 0 : path, 'utf8');
  } catch {
    throw usageError(`${what}のファイル（${path}）を読めません。パスと権限を確認してください。`);
  }
  const first = text.split(/\r?\n/u)[0] ?? '';
  return new Secret(first);
}
