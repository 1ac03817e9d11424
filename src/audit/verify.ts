import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Secret } from '../domain/secret.js';
import { packagePath } from '../paths.js';
import type { AuditRepo, RawAuditRow } from '../storage/audit-repo.js';
import { canonical, chainHash, GENESIS, verifyRows, type ChainHead, type VerifyResult } from './chain.js';
import { redactionDigest } from './subject-names.js';
import { keyCopyForWorker } from '../vault/worker-key.js';

/** Walks the whole chain from seq 1 in this thread and names the first broken entry. */
export function verifyChain(repo: AuditRepo, auditKey: Secret<Buffer>): VerifyResult {
  const erased = repo.names.erased();
  return verifyRows(repo.iterateRaw(1), auditKey, 1, GENESIS, erased);
}

export interface ParallelVerifyOptions {
  repo: AuditRepo;
  dbPath: string;
  dbKey: Secret<Buffer>;
  auditKey: Secret<Buffer>;
  /** Ranges checked at once, this thread included. */
  threads?: number;
  /** Below this many events one thread is faster than starting workers. */
  parallelFrom?: number;
  /**
   * Check every range in a worker, none in this thread, so a server keeps
   * answering while a million events are checked. Falls back to this thread
   * only when the built worker is missing (runs from sources).
   */
  offThread?: boolean;
  /** Told how many more events were checked, as the ranges advance. */
  onProgress?: (checked: number) => void;
}

const WORKER = packagePath('dist', 'src', 'audit', 'verify-worker.js');
const PARALLEL_FROM = 50_000;

/**
 * The same verdict as verifyChain, on several cores: each seq range is checked
 * on its own connection (every row's HMAC and its link to the row before), then
 * the seams between ranges are joined here. Small chains, and runs from
 * unbuilt sources, use one thread.
 */
export async function verifyChainParallel(opts: ParallelVerifyOptions): Promise<VerifyResult> {
  const head = opts.repo.head();
  const small = !head || head.seq < (opts.parallelFrom ?? PARALLEL_FROM);
  const threads = small ? 1 : Math.max(1, opts.threads ?? 2);
  const offThread = opts.offThread === true && head !== undefined;
  if (!existsSync(WORKER) || (!offThread && (small || threads === 1))) {
    const r = verifyChain(opts.repo, opts.auditKey);
    opts.onProgress?.(r.count);
    return r;
  }
  const size = Math.ceil(head!.seq / threads);
  const ranges = Array.from({ length: threads }, (_, i) => ({ from: i * size + 1, to: i === threads - 1 ? Number.MAX_SAFE_INTEGER : (i + 1) * size }));
  const others = ranges.slice(offThread ? 0 : 1).map((r) => runWorker(opts, r.from, r.to));
  const erased = opts.repo.names.erased();
  const first = offThread ? undefined : verifyRows(opts.repo.iterateRaw(1, ranges[0]!.to), opts.auditKey, 1, GENESIS, erased);
  if (first) opts.onProgress?.(first.count);
  const rest = await Promise.all(others);
  let count = 0;
  let prevHead: ChainHead | undefined;
  const parts: { result: VerifyResult; firstPrev?: Buffer; from: number; to: number }[] = [
    ...(first ? [{ result: first, from: 1, to: ranges[0]!.to }] : []),
    ...rest.map((r, i) => ({ ...r, from: ranges[i + (first ? 1 : 0)]!.from, to: ranges[i + (first ? 1 : 0)]!.to })),
  ];
  for (const [i, p] of parts.entries()) {
    if (!p.result.ok) return { ...p.result, count: count + p.result.count };
    // A worker checks its first row's link only against the row before it; the first range starts from genesis.
    if (i === 0 && p.firstPrev && !p.firstPrev.equals(GENESIS)) {
      return { ok: false, count: 0, badSeq: 1, reason: 'seq 1 の前ハッシュが初期値ではありません（先頭の削除・挿入の疑い）' };
    }
    const last = i === parts.length - 1;
    if (p.result.count > 0 && prevHead && !p.firstPrev!.equals(prevHead.hash)) {
      return { ok: false, count, badSeq: p.from, reason: `seq ${p.from} の前ハッシュが直前の記録と一致しません（削除・挿入・入れ替えの疑い）` };
    }
    if (!last && p.result.head?.seq !== p.to) {
      const missing = (p.result.head?.seq ?? p.from - 1) + 1;
      return { ok: false, count: count + p.result.count, badSeq: missing, reason: `seq ${missing} が欠落しています（削除の疑い）` };
    }
    count += p.result.count;
    prevHead = p.result.head ?? prevHead;
  }
  return { ok: true, count, head: prevHead };
}

function runWorker(opts: ParallelVerifyOptions, fromSeq: number, toSeq: number): Promise<{ result: VerifyResult; firstPrev?: Buffer }> {
  const dbKey = keyCopyForWorker(opts.dbKey);
  const auditKey = keyCopyForWorker(opts.auditKey);
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { dbPath: opts.dbPath, dbKey, auditKey, fromSeq, toSeq } });
    dbKey.fill(0);
    auditKey.fill(0);
    w.on('message', (m: { progress?: number; result?: VerifyResult; firstPrev?: Uint8Array }) => {
      if (m.progress !== undefined) return void opts.onProgress?.(m.progress);
      const r = m.result!;
      const fix = (x: unknown) => Buffer.from(x as Uint8Array);
      resolve({
        result: r.ok ? { ...r, head: r.head && { seq: r.head.seq, hash: fix(r.head.hash) } } : r,
        firstPrev: m.firstPrev && fix(m.firstPrev),
      });
    });
    w.once('error', (cause) => reject(new Error('audit verify worker failed', { cause })));
  });
}

/**
 * One event's own links, as the audit page shows them: its prev_hash against
 * the hash of the event before it (`expectedPrev`), and its HMAC; a version-1
 * row rewritten by an erasure holds as the chain's person.erased attests it
 * (docs/erasure.md).
 */
export function linkHolds(repo: AuditRepo, auditKey: Secret<Buffer>, row: RawAuditRow, expectedPrev: Buffer): boolean {
  if (!expectedPrev.equals(row[10])) return false;
  const form = canonical(row);
  if (chainHash(auditKey, row[10], form).equals(row[11])) return true;
  return repo.names.erased().redactedV1.get(row[0]) === redactionDigest(form);
}
