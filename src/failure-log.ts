import { randomBytes } from 'node:crypto';
import { basename, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikeNumber } from './domain/digits.js';
import { errorCode } from './domain/errors.js';
import { PACKAGE_ROOT } from './paths.js';
import type { LogFields } from './log.js';

/**
 * Unexpected failures, logged so an operator can follow a reference id into
 * the code: one JSON line per failure with the id (the same id the user is
 * shown), and for the error and each error in its cause chain the class, the
 * code, the SQLite extended code and the stack's frames ("fn (file:line:col)",
 * paths relative to the package). Never the message text nor any field value:
 * messages may hold what a person typed. Only with `debug` (development only,
 * see config.ts) is the message added, after every number-like run is masked.
 */

export interface ErrorTrace {
  /** The error's class (`name`), or the type of a thrown non-Error. */
  class: string;
  /** Node's or a library's error code (ENOENT, ERR_…, SQLITE_…), or the AppError code. */
  code?: string;
  /** SQLite's extended result code, for errors from the database. */
  sqlite?: string;
  errno?: number;
  syscall?: string;
  frames: string[];
}

const MAX_CAUSES = 8;
const MAX_FRAMES = 30;
/** A code as libraries write them; anything else may be a value and is left out. */
const CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/u;
const WITH_NAME = /^\s*at (.+?) \((.+):(\d+):(\d+)\)$/u;
const BARE = /^\s*at (.+):(\d+):(\d+)$/u;

/** A new reference id: 8 hex digits, shown to the user and written in the log line. */
export function newReference(): string {
  return randomBytes(4).toString('hex');
}

/** A stack file as a path inside the package (src/…, dist/src/…, node_modules/…), never this machine's prefix. */
export function relativeFile(file: string, root: string = PACKAGE_ROOT): string {
  let f = file;
  if (f.startsWith('file://')) {
    try {
      f = fileURLToPath(f);
    } catch {
      return '?';
    }
  }
  if (f.startsWith(root + sep)) return f.slice(root.length + 1).split(sep).join('/');
  const modules = f.lastIndexOf(`${sep}node_modules${sep}`);
  if (modules >= 0) return f.slice(modules + 1).split(sep).join('/');
  if (isAbsolute(f)) return `…/${basename(f)}`;
  return f;
}

/** The "at fn (file:line:col)" lines of a stack, without the header (which holds the message). */
export function stackFrames(err: Error, root: string = PACKAGE_ROOT): string[] {
  let stack = typeof err.stack === 'string' ? err.stack : '';
  // The header repeats the message, which may span lines that look like frames: cut up to its end.
  const message = typeof err.message === 'string' ? err.message : '';
  const at = message ? stack.indexOf(message) : -1;
  if (at >= 0) stack = stack.slice(at + message.length);
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const named = WITH_NAME.exec(line);
    const bare = named ? null : BARE.exec(line);
    const m = named ?? bare;
    if (!m) continue;
    const fn = named ? named[1]!.slice(0, 120) : '<anonymous>';
    const [file, row, col] = named ? [named[2]!, named[3]!, named[4]!] : [bare![1]!, bare![2]!, bare![3]!];
    const frame = `${fn} (${relativeFile(file, root)}:${row}:${col})`;
    if (!looksLikeNumber(frame)) frames.push(frame);
    if (frames.length >= MAX_FRAMES) break;
  }
  return frames;
}

/** One error's class, codes and frames; no message, no other property. */
export function traceOf(err: unknown, root: string = PACKAGE_ROOT): ErrorTrace {
  if (!(err instanceof Error)) return { class: err === null ? 'null' : typeof err, frames: [] };
  const e = err as Error & { code?: unknown; errno?: unknown; syscall?: unknown };
  const trace: ErrorTrace = { class: CODE.test(e.name) ? e.name : 'Error', frames: [] };
  const code = typeof e.code === 'string' && CODE.test(e.code) && !looksLikeNumber(e.code) ? e.code : undefined;
  if (code) trace.code = code;
  // better-sqlite3 names the extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_IOERR_SHORT_READ…).
  if (e.name === 'SqliteError' && code?.startsWith('SQLITE_')) trace.sqlite = code;
  if (typeof e.errno === 'number' && Number.isInteger(e.errno)) trace.errno = e.errno;
  if (typeof e.syscall === 'string' && CODE.test(e.syscall)) trace.syscall = e.syscall;
  trace.frames = stackFrames(e, root);
  return trace;
}

/** The error and its causes (error.cause, then its cause…), outermost first. */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [err];
  let cur: unknown = err;
  while (chain.length <= MAX_CAUSES && cur instanceof Error && cur.cause !== undefined && !chain.includes(cur.cause)) {
    cur = cur.cause;
    chain.push(cur);
  }
  return chain;
}

const MASKED = '［番号のような数字］';
/** Runs of digits (ASCII or full-width) with the separators people put between groups. */
const DIGIT_RUN = /[0-9０-９](?:[0-9０-９\s\-‐‑‒–—―−ー－_.・,/]*[0-9０-９])?/gu;

/**
 * A message fit to show a developer: every digit run the free-text guard
 * (looksLikeNumber) takes for a number, or holding 12 digits or more, is
 * masked; if the guard still finds one in the result, nothing of it is shown.
 */
export function maskNumbers(text: string): string {
  const masked = text.replace(DIGIT_RUN, (run) => (looksLikeNumber(run) || (run.match(/[0-9０-９]/gu)?.length ?? 0) >= 12 ? MASKED : run));
  return looksLikeNumber(masked) ? '（番号のような数字を含むため表示しません）' : masked;
}

/** The messages of the error and its causes, masked, for MNVAULT_DEBUG=1. */
export function debugMessages(err: unknown): string[] {
  return causeChain(err).map((e) => (e instanceof Error ? `${traceOf(e).class}: ${maskNumbers(String(e.message))}` : `${typeof e}`));
}

const ROUTE_WORD = /^[a-z][a-z0-9._-]{0,40}$/u;
const ROW_ID = /^(?:[0-9]{1,10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/iu;

/** A request path fit for the log: route words and row ids kept, any other segment (it may be typed text) as ":value". */
export function pathForLog(path: string): string {
  return path
    .split('/')
    .map((seg) => (seg === '' || ROUTE_WORD.test(seg) || ROW_ID.test(seg) ? seg : ':value'))
    .join('/')
    .slice(0, 200);
}

export interface FailureOptions {
  /** The id the user is shown; a new one when absent. */
  ref?: string | undefined;
  /** More value-free fields (a route, a command name). */
  fields?: LogFields;
  /** Adds the masked messages (development only). */
  debug?: boolean | undefined;
  out?: NodeJS.WritableStream;
}

/** Writes the failure's line and returns its reference id. */
export function logFailure(event: string, err: unknown, opts: FailureOptions = {}): string {
  const ref = opts.ref ?? newReference();
  const [first, ...causes] = causeChain(err).map((e) => traceOf(e));
  const line: Record<string, unknown> = { level: 'error', event, ...opts.fields, ref, appCode: errorCode(err), error: first };
  if (causes.length) line.causes = causes;
  if (opts.debug) line.messages = debugMessages(err);
  (opts.out ?? process.stderr).write(`${JSON.stringify(line)}\n`);
  return ref;
}
