import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { AuditEventInput } from '../domain/audit-events.js';
import type { Clock } from '../domain/ports.js';
import type { Secret } from '../domain/secret.js';
import { looksLikeNumber } from '../domain/digits.js';
import type { AuditFields, AuditRepo, RawAuditRow } from '../storage/audit-repo.js';
import type { AuditNamesRepo } from '../storage/audit-names-repo.js';
import { hmacSha256 } from '../vault/keyed-mac.js';
import { checkSubjectNames, isV2Subjects, nameDigest, redactionDigest, subjectNameKey, type TrailErasures } from './subject-names.js';
import { logEvent } from '../log.js';

/**
 * The hash chain:
 *
 *   canonical(e) = JSON.stringify([1, seq, at, actorId, actorName, action,
 *                                  subjects, purpose, client, device, detail])
 *   hash(e)      = HMAC-SHA-256(auditKey, prevHash ‖ UTF-8(canonical(e)))
 *
 * subjects and detail are stored as the JSON text that goes into the
 * canonical form, so verifying never re-serialises objects. The first event's
 * prevHash is 32 zero bytes. Rows are contiguous from seq 1.
 *
 * Version 1 (every row before the upgrade, and rows naming no person):
 * subjects = [{"id", "name"}]: the names are inside the chained bytes.
 * Version 2 (rows naming persons, from the upgrade on): the first element is
 * 2 and subjects = [{"id", "d"}], a keyed digest of each name; the names live
 * in an erasable table beside the chain (subject-names.ts, docs/erasure.md).
 * The version follows from the subjects text, which the HMAC covers, so a row
 * cannot be passed off as the other version.
 */
export const CANONICAL_VERSION = 2;
export const GENESIS = Buffer.alloc(32);

/** The canonical form of a row's fields, the same when appending and when verifying. */
export function canonical(f: AuditFields | RawAuditRow): string {
  return JSON.stringify([isV2Subjects(f[5]) ? 2 : 1, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]]);
}

export function chainHash(auditKey: Secret<Buffer>, prevHash: Buffer, canonicalForm: string): Buffer {
  return hmacSha256(auditKey, prevHash, canonicalForm);
}


/** Refuses any field that could carry a number: the trail must never hold one. */
function assertNoNumber(fields: readonly (string | null)[]): void {
  for (const f of fields) {
    if (f !== null && looksLikeNumber(f)) {
      throw new AppError('internal', '監査記録に番号のような数字列が含まれるため、記録を中止しました。', {
        cause: new Error('audit event field holds a 12-digit run'),
      });
    }
  }
}

export interface ChainHead {
  seq: number;
  hash: Buffer;
}

/**
 * Appends events to the trail. `append` must run inside the caller's write
 * transaction, so the event commits with the change it records or not at all.
 */
export class AuditTrail {
  private readonly listeners = new Set<(seq: number) => void>();
  private readonly nameKey: Secret<Buffer>;

  constructor(
    private readonly repo: AuditRepo,
    private readonly auditKey: Secret<Buffer>,
    private readonly clock: Clock,
  ) {
    this.nameKey = subjectNameKey(auditKey);
  }

  /**
   * Appends one event. Its time is never before the previous event's: when
   * the clock has been stepped back, the event takes the previous time and a
   * 'clock.behind' event (naming both times) goes first, once per step, so
   * time rises with seq and period filters stay honest.
   */
  append(input: AuditEventInput): ChainHead {
    const head = this.repo.head();
    const now = this.clock.now().toISOString();
    if (head && now < head.at) {
      if (!this.#behindNoted) {
        this.#behindNoted = true;
        this.#insert(head, head.at, { actor: { id: 'system', name: 'システム' }, action: 'clock.behind', detail: { clock: now, previous_event_at: head.at } });
        return this.append(input);
      }
      return this.#insert(head, head.at, input);
    }
    this.#behindNoted = false;
    return this.#insert(head, now, input);
  }

  #behindNoted = false;

  #insert(head: { seq: number; hash: Buffer } | undefined, at: string, input: AuditEventInput): ChainHead {
    const seq = (head?.seq ?? 0) + 1;
    const prevHash = head?.hash ?? GENESIS;
    const named = [...new Map((input.subjects ?? []).map((x) => [x.id, x])).values()];
    assertNoNumber(named.map((x) => x.name));
    const names: AuditNamesRepo = this.repo.names;
    // Version 2: the chain holds ids and keyed digests; the names go beside it (erasable).
    const subjects = named.length === 0 ? '[]' : JSON.stringify(named.map((x) => ({ id: x.id, d: nameDigest(this.nameKey, seq, x.id, names.saltFor(x.id), x.name) })));
    const detail = JSON.stringify(input.detail ?? {});
    const fields: AuditFields = [
      seq,
      at,
      input.actor.id,
      input.actor.name,
      input.action,
      subjects,
      input.purpose ?? null,
      input.client ?? null,
      input.device ?? null,
      detail,
    ];
    assertNoNumber(fields.slice(2) as (string | null)[]);
    const hash = chainHash(this.auditKey, prevHash, canonical(fields));
    try {
      this.repo.insert([...fields, prevHash, hash], named.map((x) => x.id));
      names.insertNames(seq, named);
    } catch (cause) {
      throw new AppError('audit_unavailable', '監査記録を書き込めなかったため、操作を中止しました。何も変更・表示していません。管理者に連絡してください。', { cause });
    }
    for (const l of this.listeners) {
      try {
        l(seq);
      } catch (cause) {
        // A listener (the syslog copy) never fails the append; its failure is logged by class only.
        logEvent('error', 'audit listener failed', { error: (cause as Error)?.name ?? typeof cause });
      }
    }
    return { seq, hash };
  }

  /**
   * Tells `listener` the seq of each appended event. It is called inside the
   * caller's transaction, which may still roll back: a listener only notes
   * that there is something new and reads committed rows back later (after
   * the synchronous transaction has ended). Returns the unsubscribe.
   */
  onAppend(listener: (seq: number) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  head(): ChainHead | undefined {
    const h = this.repo.head();
    return h && { seq: h.seq, hash: h.hash };
  }

  /** The newest event's time (ISO), the floor for times the clock may give now. */
  lastAt(): string | undefined {
    return this.repo.head()?.at;
  }
}

export type VerifyResult =
  | { ok: true; count: number; head: ChainHead | undefined }
  | { ok: false; count: number; badSeq: number; reason: string };

/**
 * Checks rows [fromSeq, toSeq] given the hash expected before fromSeq.
 * Pure over the rows it is given, so ranges can be checked in parallel.
 */
export function verifyRows(
  rows: Iterable<RawAuditRow>,
  auditKey: Secret<Buffer>,
  fromSeq: number,
  expectedPrev: Buffer | undefined,
  /**
   * Persons whose erasure the chain records. Given, each version-2 row's
   * names (read beside it, row[12]) are checked against its digests.
   * Read before the rows are iterated (one statement at a time per connection).
   */
  erased?: TrailErasures,
): VerifyResult {
  const nameKey = erased ? subjectNameKey(auditKey) : undefined;
  let expectSeq = fromSeq;
  let prev = expectedPrev;
  let count = 0;
  let last: RawAuditRow | undefined;
  for (const r of rows) {
    const seq = r[0];
    if (seq !== expectSeq) {
      return seq > expectSeq
        ? { ok: false, count, badSeq: expectSeq, reason: `seq ${expectSeq}${seq - expectSeq > 1 ? `〜${seq - 1}` : ''} が欠落しています（削除の疑い）` }
        : { ok: false, count, badSeq: seq, reason: `seq ${seq} の順序が不正です` };
    }
    if (prev !== undefined && !r[10].equals(prev)) {
      return { ok: false, count, badSeq: seq, reason: `seq ${seq} の前ハッシュが直前の記録と一致しません（削除・挿入・入れ替えの疑い）` };
    }
    const form = canonical(r);
    const h = chainHash(auditKey, r[10], form);
    // A version-1 row rewritten by an erasure is accepted only as the chain's own person.erased attests it.
    const redacted = erased?.redactedV1.get(seq);
    if ((h.length !== r[11].length || !timingSafeEqual(h, r[11])) && (redacted === undefined || redacted !== redactionDigest(form))) {
      return { ok: false, count, badSeq: seq, reason: `seq ${seq} の内容が改ざんされています（HMAC不一致）` };
    }
    const nameProblem = erased ? checkSubjectNames(r, (r as unknown as unknown[])[12] as string | null | undefined, nameKey!, erased.persons) : null;
    if (nameProblem) return { ok: false, count, badSeq: seq, reason: nameProblem };
    prev = r[11];
    expectSeq++;
    count++;
    last = r;
  }
  return { ok: true, count, head: last && { seq: last[0], hash: last[11] } };
}
