import { existsSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { MyNumber } from '../../domain/my-number.js';
import { packagePath } from '../../paths.js';
import { keyCopyForWorker, numberCopyForThread } from '../../vault/worker-key.js';
import type { CheckContext, Checked, RowError } from './check-rows.js';
import type { CsvEncoding } from './decode.js';

/**
 * A large import file is checked on both cores: this thread parses and checks
 * its first part while a worker (check-worker.ts) parses and checks the rest.
 * Checking each row on its own (its cells, the check digit, the keyed index of
 * its number) is most of an import's work before anything is stored: at a
 * million rows about 20 s on one core. The checks across rows (duplicates,
 * supporters) then run here on the two parts joined, in the file's order, so
 * the result is the same as one thread's, line numbers included.
 */
const WORKER = packagePath('dist', 'src', 'services', 'import', 'check-worker.js');
/** Below this size (about 50,000 rows) one thread is as quick as starting a worker. */
export const PARALLEL_FROM_BYTES = 4 * 1024 * 1024;
/**
 * Where the file is cut: this thread parses its part before the worker can start (the worker needs the
 * header's columns), so its part is a little larger than half.
 */
const FIRST_PART_SHARE = 0.62;
/** How far past the middle a cut outside any quoted cell is looked for. */
const SEARCH_BYTES = 8 * 1024 * 1024;
/**
 * A worker that has not answered this long after this thread finished its own part (as long
 * again, times three, at least 30 s) is given up, and its part checked here: a worker that
 * died (out of memory) cannot say so to a thread blocked waiting for it.
 */
const MIN_WAIT_MS = 30_000;
const WAIT_FACTOR = 3;

export interface Split {
  /** The first byte of the second part. */
  at: number;
  /** Line breaks before it: added to the lines the worker's parser counts. */
  lineOffset: number;
}

/** A checked row as it crosses to this thread: the number as its digits (made a MyNumber again here). */
export type WireDraft = Omit<Checked, 'number' | 'index'> & { number: string | null; index: Uint8Array | null };

export interface PartJob {
  bytes: Uint8Array;
  encoding: CsvEncoding;
  lineOffset: number;
  columns: CheckContext['columns'];
  headerLength: number;
  today: string;
  purposes: readonly string[] | undefined;
  indexKey: Uint8Array;
}

export type PartReply =
  | { kind: 'checked'; rows: number; drafts: WireDraft[]; errors: RowError[]; warnings: RowError[]; badEmployees: [string, number][] }
  /** The part is not CSV from this line (the file's line). */
  | { kind: 'unreadable'; line: number }
  | { kind: 'failed'; reason: string };

export function toWire(d: Checked): WireDraft {
  return { ...d, number: d.number === null ? null : numberCopyForThread(d.number), index: d.index };
}

export function fromWire(d: WireDraft): Checked {
  let number: MyNumber | null = null;
  if (d.number !== null) {
    const parsed = MyNumber.tryParse(d.number);
    if (!parsed.ok) throw new Error('a number checked by the worker did not parse again');
    number = parsed.value;
  }
  return { ...d, number, index: d.index === null ? null : Buffer.from(d.index.buffer, d.index.byteOffset, d.index.byteLength) };
}

function countByte(buf: Buffer, byte: number, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte, from); i !== -1 && i < to; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

/**
 * Where a file may be cut in two: just after a line break near FIRST_PART_SHARE of
 * it that is outside any quoted cell (an even number of quote marks before it; in
 * Shift_JIS as in UTF-8 neither '"' nor LF is ever part of another character).
 * Null for a small file, one whose lines end in CR alone, or one without such a break.
 */
export function splitPoint(bytes: Uint8Array, minBytes = PARALLEL_FROM_BYTES): Split | null {
  if (bytes.length < minBytes) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lf = buf.indexOf(0x0a);
  const cr = buf.indexOf(0x0d);
  if (lf < 0 || (cr >= 0 && cr < lf && cr !== lf - 1)) return null;
  const start = Math.floor(bytes.length * FIRST_PART_SHARE);
  const limit = Math.min(bytes.length, start + SEARCH_BYTES);
  let quotes = countByte(buf, 0x22, 0, start);
  for (let from = start; from < limit;) {
    const nl = buf.indexOf(0x0a, from);
    if (nl < 0 || nl >= limit - 1) return null;
    quotes += countByte(buf, 0x22, from, nl);
    if (quotes % 2 === 0) return { at: nl + 1, lineOffset: countByte(buf, 0x0a, 0, nl + 1) };
    from = nl + 1;
  }
  return null;
}

/**
 * Starts checking bytes[split.at…] in a worker; returns the function that waits
 * for its answer (this thread blocks: an import runs synchronously), or null when
 * there is no built worker (run from sources) or it cannot be started.
 */
export function startSecondPart(bytes: Uint8Array, split: Split, encoding: CsvEncoding, ctx: CheckContext): ((ownPartMs: number) => PartReply) | null {
  if (!existsSync(WORKER)) return null;
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const part = Uint8Array.prototype.slice.call(bytes, split.at);
  const indexKey = keyCopyForWorker(ctx.indexKey);
  const job: PartJob = { bytes: part, encoding, lineOffset: split.lineOffset, columns: ctx.columns, headerLength: ctx.headerLength, today: ctx.today, purposes: ctx.purposes, indexKey };
  let worker: Worker;
  try {
    worker = new Worker(WORKER, { workerData: { ...job, port: port2, signal }, transferList: [port2, part.buffer, indexKey.buffer as ArrayBuffer] });
  } catch {
    port1.close();
    part.fill(0);
    indexKey.fill(0);
    return null;
  }
  worker.unref();
  return (ownPartMs) => {
    try {
      const maxWait = Math.max(MIN_WAIT_MS, WAIT_FACTOR * ownPartMs);
      for (let waited = 0; Atomics.load(signal, 0) === 0 && waited < maxWait; waited += 1000) Atomics.wait(signal, 0, 0, 1000);
      return (receiveMessageOnPort(port1)?.message as PartReply | undefined) ?? { kind: 'failed', reason: 'no answer' };
    } finally {
      port1.close();
      void worker.terminate();
    }
  };
}
