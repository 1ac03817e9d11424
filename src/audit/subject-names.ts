import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../domain/secret.js';
import type { RawAuditRow } from '../storage/audit-repo.js';
import { deriveKey, hmacSha256 } from '../vault/keyed-mac.js';

/**
 * Person names in the audit trail, kept so that they can be erased (canonical
 * version 2, docs/erasure.md).
 *
 * A version-2 row's subjects field, which the chain covers, holds for each
 * person only the id and a keyed digest of the name as it was:
 *
 *   subjects = JSON [{"id": 12, "d": base64url(digest)}, ...]
 *   digest   = HMAC-SHA-256(K, JSON [seq, personId, base64(salt), name])[0..16)
 *   K        = HKDF-SHA-256(audit key, salt "mnvault", info "mnvault/v2/audit-subject-name")
 *
 * The readable name is stored beside the row (audit_subject_names), and salt
 * is a random 16 bytes per person (person_trail_salts). Verifying checks each
 * stored name against its digest; a missing name is accepted only for a person
 * whose erasure the chain itself records ('person.erased'). Erasure deletes the
 * names and the salt: what remains in the chain is an id and 16 bytes that,
 * without the salt, cannot be tested against a guessed name even with the key.
 */
export const SUBJECT_NAME_INFO = 'mnvault/v2/audit-subject-name';
const DIGEST_BYTES = 16;
const V2 = /^\[\{"id":-?\d+,"d":"/u;

export function subjectNameKey(auditKey: Secret<Buffer>): Secret<Buffer> {
  return deriveKey(auditKey, SUBJECT_NAME_INFO);
}

export function nameDigest(key: Secret<Buffer>, seq: number, personId: number, salt: Buffer, name: string): string {
  return hmacSha256(key, JSON.stringify([seq, personId, salt.toString('base64'), name])).subarray(0, DIGEST_BYTES).toString('base64url');
}

/** True when the stored subjects text is the version-2 form (ids and digests, no names). */
export function isV2Subjects(subjects: string): boolean {
  return V2.test(subjects);
}

/**
 * What the chain's own 'person.erased' events say, read before a verifying
 * walk: the persons erased, and the version-1 rows rewritten by an erasure
 * (seq → attested digest of the rewritten row's canonical form).
 */
export interface TrailErasures {
  persons: ReadonlySet<number>;
  redactedV1: ReadonlyMap<number, string>;
}

/**
 * A version-1 row holds names inside its chained bytes. Erasing such a name
 * rewrites the row (the name becomes 「削除済」), so its HMAC no longer matches;
 * the 'person.erased' event, itself chained, attests the rewritten row as
 *   detail.redacted_v1 = "seq:digest,seq:digest,..."
 *   digest = base64url(SHA-256(UTF-8(canonical(rewritten row)))[0..16))
 * and its stored hash stays, so the link to the next row holds. Only a holder
 * of the audit key can write that event.
 */
export function redactionDigest(canonicalForm: string): string {
  return createHash('sha256').update(canonicalForm, 'utf8').digest().subarray(0, DIGEST_BYTES).toString('base64url');
}

export function encodeRedactions(list: readonly { seq: number; digest: string }[]): string {
  return list.map((x) => `${x.seq}:${x.digest}`).join(',');
}

export function decodeRedactions(text: string, into: Map<number, string>): void {
  for (const part of text.split(',')) {
    const m = /^(\d+):([A-Za-z0-9_-]+)$/u.exec(part);
    if (m) into.set(Number(m[1]), m[2]!);
  }
}

/**
 * Checks a version-2 row's names against its digests. `beside` is what the
 * verifier's query read beside the row: JSON [[personId, name, hex salt]] (or
 * null), and `erased` the persons a 'person.erased' event in the chain names.
 * Returns why the row fails, or null. A version-1 row (names inside the
 * chained bytes) has nothing to check here.
 */
export function checkSubjectNames(row: RawAuditRow, beside: string | null | undefined, key: Secret<Buffer>, erased: ReadonlySet<number>): string | null {
  if (!isV2Subjects(row[5])) return null;
  if (!isV2Subjects(row[5])) return null;
  const seq = row[0];
  const entries = JSON.parse(row[5]) as { id: number; d: string }[];
  const names = new Map((beside ? (JSON.parse(beside) as [number, string, string | null][]) : []).map((x) => [x[0], { name: x[1], salt: x[2] }]));
  for (const e of entries) {
    const n = names.get(e.id);
    if (n === undefined) {
      if (erased.has(e.id)) continue;
      return `seq ${seq} の対象者（#${e.id}）の氏名が消されています。削除（person.erased）の記録がありません（改ざんの疑い）`;
    }
    const want = Buffer.from(e.d, 'base64url');
    const got = n.salt ? Buffer.from(nameDigest(key, seq, e.id, Buffer.from(n.salt, 'hex'), n.name), 'base64url') : Buffer.alloc(0);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      return `seq ${seq} の対象者（#${e.id}）の氏名が記録時と一致しません（改ざんの疑い）`;
    }
    names.delete(e.id);
  }
  if (names.size > 0) return `seq ${seq} に記録されていない対象者の氏名があります（挿入の疑い）`;
  return null;
}
