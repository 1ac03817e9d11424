import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { FLAG, parseAuthData, requestCommitment } from '../devices/ctap2.js';
import { AppError } from '../domain/errors.js';
import { namedAuditRow, type AuditRow, type RawAuditRow } from '../storage/audit-repo.js';
import { RP_ID } from './security-keys.js';

/**
 * The offline check of a security-key approval, from the trail alone: the
 * gate.entry event keeps the assertion (authData, signature, signCount,
 * clientDataHash, credentialId); the security_key.enrolled event before it
 * keeps the public key. The commitment is recomputed from the event's own
 * fields, so the signature is checked against what the event says was
 * approved, not against the stored hash. /audit/help/assertion explains the
 * same steps for openssl.
 */
export interface AssertionCheck {
  ok: boolean;
  entrySeq: number;
  enrolledSeq: number | null;
  /** The commitment recomputed from the event (base64url). */
  commitment: string;
  /** What the commitment was computed from, in order. */
  commitmentInput: string;
  steps: { label: string; ok: boolean; note: string }[];
}

type Detail = Record<string, unknown>;

/** An event as stored: by name, or the chain's tuple (read here by name only). */
type StoredEvent = AuditRow | RawAuditRow;

const named = (row: StoredEvent): AuditRow => (Array.isArray(row) ? namedAuditRow(row) : row);

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : '', 'base64url');

/** Whether an event is an approval by security key (what the check applies to). */
export function isKeyApproval(stored: StoredEvent): boolean {
  const row = named(stored);
  if (row.action !== 'gate.entry') return false;
  const d = JSON.parse(row.detail) as Detail;
  return d.method === 'security_key';
}

/** The commitment record of a gate.entry event, as requestCommitment builds it. */
export function commitmentRecord(stored: StoredEvent): { record: string; hash: Buffer } {
  const row = named(stored);
  const d = JSON.parse(row.detail) as Detail;
  const personIds = (JSON.parse(row.subjects) as { id: number }[]).map((s) => s.id);
  const input = { requestId: Number(d.request_id), createdAt: String(d.requested_at ?? ''), code: String(d.code ?? ''), action: String(d.kind ?? ''), personIds, purpose: row.purpose ?? '', operatorId: row.actorId };
  const record = JSON.stringify(['mnvault/gate/v2', input.requestId, input.createdAt, input.code, input.action, [...personIds].sort((a, b) => a - b), input.purpose, input.operatorId]);
  return { record, hash: requestCommitment(input) };
}

/**
 * Checks the approval at `entry` against the enrolment events. `enrolments`
 * and `revocations` are every security_key.enrolled / .revoked event.
 */
export function checkStoredAssertion(entryEvent: StoredEvent, storedEnrolments: readonly StoredEvent[], storedRevocations: readonly StoredEvent[]): AssertionCheck {
  const entry = named(entryEvent);
  if (!isKeyApproval(entry)) {
    throw new AppError('invalid', `seq ${entry.seq} はセキュリティキーによる承認（gate.entry、method=security_key）の記録ではありません。承認の記録の seq を指定してください。`);
  }
  const enrolments = storedEnrolments.map(named);
  const revocations = storedRevocations.map(named);
  const d = JSON.parse(entry.detail) as Detail;
  const steps: AssertionCheck['steps'] = [];
  const step = (label: string, ok: boolean, note = '') => steps.push({ label, ok, note });
  const { record, hash } = commitmentRecord(entry);
  const stored = b64u(d.clientDataHash);
  step('コミットメント（承認した内容のハッシュ）が記録の clientDataHash と一致する', stored.equals(hash), hash.toString('base64url'));

  const enrolled = enrolments.find((e) => {
    const ed = JSON.parse(e.detail) as Detail;
    return e.seq < entry.seq && ed.key_id === d.key_id && ed.credential_id === d.credentialId;
  });
  step('同じキー（key_id と credentialId）の登録記録がこの承認より前にある', enrolled !== undefined, enrolled ? `seq ${enrolled.seq}` : '');
  const revoked = revocations.find((e) => e.seq < entry.seq && (JSON.parse(e.detail) as Detail).key_id === d.key_id);
  step('承認の時点でキーが無効化されていない', revoked === undefined, revoked ? `seq ${revoked.seq} で無効化` : '');

  let parsed: ReturnType<typeof parseAuthData> | undefined;
  try {
    parsed = parseAuthData(b64u(d.authData));
  } catch {
    parsed = undefined;
  }
  step('authData の先頭32バイトが SHA-256("' + RP_ID + '") と一致する', !!parsed && Buffer.from(parsed.rpIdHash).equals(createHash('sha256').update(RP_ID).digest()));
  step('authData のフラグにタッチ（UP）がある', !!parsed && (parsed.flags & FLAG.UP) !== 0);
  step('authData のカウンタが記録の signCount と一致する', !!parsed && parsed.signCount === d.signCount, parsed ? String(parsed.signCount) : '');

  let signed = false;
  if (enrolled) {
    try {
      const key = createPublicKey({ key: b64u((JSON.parse(enrolled.detail) as Detail).public_key), format: 'der', type: 'spki' });
      signed = verifySignature('sha256', Buffer.concat([b64u(d.authData), hash]), { key, dsaEncoding: 'der' }, b64u(d.signature));
    } catch {
      signed = false;
    }
  }
  step('署名（ES256）が登録時の公開鍵で authData ‖ コミットメント に対して正しい', signed);
  return { ok: steps.every((s) => s.ok), entrySeq: entry.seq, enrolledSeq: enrolled?.seq ?? null, commitment: hash.toString('base64url'), commitmentInput: record, steps };
}
