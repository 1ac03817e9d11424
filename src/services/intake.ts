import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { identityCheckProblem, type IdentityMethod } from '../domain/identity-documents.js';
import { MyNumber } from '../domain/my-number.js';
import { looksLikeNumber } from '../domain/digits.js';
import type { Person, PersonId } from '../domain/persons.js';
import { isPurposeCode, purposesFor } from '../domain/purposes.js';
import { writeTransaction } from '../storage/database.js';
import { numberIndex } from '../vault/number-index.js';
import { seal } from '../vault/sealed-box.js';
import { FormError, type FieldErrors } from './accounts.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import type { Vault } from './vault.js';

/** How long a self-intake code works (72 hours). */
export const INTAKE_CODE_TTL_MS = 72 * 3600_000;

export interface IdentityCheckInput {
  method?: string;
  numberDocument?: string;
  identityDocuments?: string[];
  checkedOn?: string;
  note?: string;
}

export interface IntakeInput {
  /** Purpose codes the person was told of (利用目的の通知); all must apply to the person. */
  purposes: string[];
  number?: string;
  refusalReason?: string;
  identity?: IdentityCheckInput;
}

export function parsePurposes(person: Person, codes: readonly string[], errors: FieldErrors): string[] {
  const allowed = new Set(purposesFor(person.kind).map((p) => p.code as string));
  const chosen = [...new Set(codes)];
  if (chosen.length === 0) errors.purposes = '通知した利用目的を1つ以上選んでください。';
  else if (chosen.some((c) => !isPurposeCode(c) || !allowed.has(c))) errors.purposes = 'この人物に使えない利用目的が含まれています。一覧から選んでください。';
  return chosen;
}

function parseIdentity(vault: Vault, input: IdentityCheckInput | undefined, errors: FieldErrors) {
  const method = input?.method as IdentityMethod | undefined;
  if (method !== 'in_person' && method !== 'mail' && method !== 'online') errors.method = '本人確認の方法（対面・郵送・オンライン）を選んでください。';
  const docs = [...new Set(input?.identityDocuments ?? [])];
  const problem = identityCheckProblem(input?.numberDocument ?? '', docs);
  if (problem) errors.identityDocuments = problem;
  const checkedOn = input?.checkedOn ? parseDate(input.checkedOn) : undefined;
  if (!checkedOn) errors.checkedOn = '確認日を 2026-04-01 の形で入れてください。';
  else if (checkedOn > japanDate(vault.clock.now())) errors.checkedOn = '確認日が未来の日付です。';
  const note = (input?.note ?? '').normalize('NFKC').trim();
  if (note.length > 200) errors.note = '備考は200文字までにしてください。';
  if (/[\u0000-\u001f\u007f]/u.test(note)) errors.note = '備考に制御文字は使えません。';
  if (looksLikeNumber(note)) errors.note = '備考に個人番号のような12桁の数字は入れられません。';
  return { method: method!, numberDocument: input?.numberDocument ?? '', identityDocuments: docs, checkedOn: checkedOn!, note: note || null };
}

function parseNumber(
  vault: Vault,
  personId: PersonId,
  input: string | undefined,
  field: string,
  errors: FieldErrors,
  onDuplicate?: () => void,
): { number: MyNumber; index: Buffer } | undefined {
  const r = MyNumber.tryParse(input ?? '');
  if (!r.ok) {
    errors[field] = r.message;
    return undefined;
  }
  const index = numberIndex(vault.keys.index, r.value);
  const existing = vault.persons.personWithIndex(index);
  if (existing !== undefined && existing !== personId) {
    if (onDuplicate) onDuplicate();
    else errors[field] = 'この個人番号は別の人物に登録済みです。入力の誤りや二重登録がないか確認してください。';
    return undefined;
  }
  return { number: r.value, index };
}

export function storeNumber(vault: Vault, person: Person, n: { number: MyNumber; index: Buffer }, purposes: string[], at: string): void {
  const digits = Buffer.from(n.number.expose(), 'latin1');
  try {
    vault.persons.deleteNumber(person.id);
    vault.persons.insertSealedNumber(person.id, seal(vault.publicKey, digits, numberRecordId(person.id), NUMBER_FIELD), n.index, at, purposes);
  } finally {
    digits.fill(0);
  }
}

/**
 * 取得 by a handler: the notified purposes, then the number (sealed with the
 * public key only) or a refusal reason, then the identity check. All of it,
 * and its audit events, commit together or not at all.
 */
export function recordIntake(vault: Vault, actor: Actor, personId: PersonId, input: IntakeInput, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  if (person.corporateNumber) throw new AppError('invalid', '法人の支払先には個人番号を登録しません。');
  const current = vault.persons.numberOf(person.id);
  if (current?.state === 'held') throw new AppError('conflict', 'この人物の個人番号は登録済みです。訂正が必要な場合は管理者に相談してください。');
  const errors: FieldErrors = {};
  const purposes = parsePurposes(person, input.purposes, errors);
  const refusal = (input.refusalReason ?? '').normalize('NFKC').trim();
  let n: { number: MyNumber; index: Buffer } | undefined;
  let identity: ReturnType<typeof parseIdentity> | undefined;
  if (refusal !== '' && (input.number ?? '').trim() !== '') errors.number = '個人番号と未提供理由の両方は入れられません。どちらか一方にしてください。';
  else if (refusal !== '') {
    if (refusal.length > 200 || /[\u0000-\u001f\u007f]/u.test(refusal)) errors.refusalReason = '未提供理由は制御文字を含まない200文字以内にしてください。';
    else if (looksLikeNumber(refusal)) errors.refusalReason = '未提供理由に個人番号のような12桁の数字は入れられません。番号は「個人番号」の欄に入れてください。';
  } else {
    n = parseNumber(vault, person.id, input.number, 'number', errors);
    identity = parseIdentity(vault, input.identity, errors);
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    if (n) {
      storeNumber(vault, person, n, purposes, at);
      vault.audit.append({ actor, action: 'number.recorded', subjects: [{ id: person.id, name: person.name }], client, detail: { purposes: purposes.join(','), by: 'handler' } });
      insertIdentityCheck(vault, actor, person, identity!, client, at);
    } else {
      vault.persons.deleteNumber(person.id);
      vault.persons.insertNotProvided(person.id, refusal, at, purposes);
      vault.audit.append({ actor, action: 'number.refused', subjects: [{ id: person.id, name: person.name }], client, detail: { purposes: purposes.join(',') } });
    }
  });
}

function insertIdentityCheck(vault: Vault, actor: Actor, person: Person, c: ReturnType<typeof parseIdentity>, client: string | null, at: string): void {
  vault.identityChecks.insert({ personId: person.id, method: c.method, numberDocument: c.numberDocument, identityDocuments: c.identityDocuments, checkedOn: c.checkedOn, checkerId: actor.id, note: c.note, createdAt: at });
  vault.audit.append({ actor, action: 'identity.checked', subjects: [{ id: person.id, name: person.name }], client, detail: { method: c.method, number_document: c.numberDocument, identity_documents: c.identityDocuments.join(',') } });
}

/** Completes 本人確認 for a number taken earlier (after self-intake, or on a later visit). */
export function recordIdentityCheck(vault: Vault, actor: Actor, personId: PersonId, input: IdentityCheckInput, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  if (vault.persons.numberOf(person.id)?.state !== 'held') throw new AppError('invalid', '個人番号が登録されていない人物の本人確認は記録できません。');
  const errors: FieldErrors = {};
  const c = parseIdentity(vault, input, errors);
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  writeTransaction(vault.db, () => insertIdentityCheck(vault, actor, person, c, client, vault.clock.now().toISOString()));
}

// Intake codes: 12 characters from an alphabet without look-alikes, shown as XXXX-XXXX-XXXX.
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function hashIntakeCode(code: string): Buffer {
  const normal = code.normalize('NFKC').toUpperCase().replace(/[\s-]/gu, '');
  return createHash('sha256').update(`mnvault/intake/${normal}`).digest();
}

/** Issues a one-time code for a named employee or payee; earlier open codes stop working. */
export function issueIntakeCode(vault: Vault, actor: Actor, personId: PersonId, client: string | null): { code: string; expiresAt: string } {
  const person = vault.persons.byId(personId) ?? notFound();
  if (person.kind === 'dependant') throw new AppError('invalid', '入力コードは従業員・支払先本人に発行します（扶養親族の番号は本人の画面から入力します）。');
  const bytes = randomBytes(12);
  const code = [...bytes].map((b) => CODE_ALPHABET[b % 32]).join('').replace(/(.{4})(.{4})(.{4})/u, '$1-$2-$3');
  const now = vault.clock.now();
  const expiresAt = new Date(now.getTime() + INTAKE_CODE_TTL_MS).toISOString();
  writeTransaction(vault.db, () => {
    vault.intakeCodes.expireOpenFor(person.id, now.toISOString());
    vault.intakeCodes.insert(hashIntakeCode(code), { personId: person.id, issuedBy: actor.id, issuedAt: now.toISOString(), expiresAt });
    vault.audit.append({ actor, action: 'intake_code.issued', subjects: [{ id: person.id, name: person.name }], client, detail: { expires_at: expiresAt } });
  });
  return { code, expiresAt };
}

export interface SelfIntakeForm {
  person: Person;
  /** The person's own number was given before (a code reissued for a new dependant). */
  ownHeld: boolean;
  dependants: Person[];
  purposes: ReturnType<typeof purposesFor>;
  expiresAt: string;
}

/** What the person sees for a valid code: only their own name, dependants' names and the purposes. */
export function openIntakeCode(vault: Vault, code: string): SelfIntakeForm {
  const row = vault.intakeCodes.get(hashIntakeCode(code));
  const now = vault.clock.now().toISOString();
  if (!row) throw new AppError('not_found', '入力コードが正しくありません。担当者から受け取ったコードを確認してください。');
  if (row.usedAt) throw new AppError('forbidden', 'この入力コードは既に使われています。もう一度入力する必要がある場合は担当者に新しいコードを依頼してください。');
  if (row.expiresAt <= now) throw new AppError('forbidden', 'この入力コードは有効期限が切れています。担当者に新しいコードを依頼してください。');
  const person = vault.persons.byId(row.personId) ?? notFound();
  const dependants = vault.persons
    .dependantsOf(person.id)
    .filter((d) => d.dependantUntil === null)
    .map((d) => vault.persons.byId(d.id)!)
    .filter((d) => vault.persons.numberOf(d.id)?.state !== 'held');
  const ownHeld = vault.persons.numberOf(person.id)?.state === 'held';
  return { person, ownHeld, dependants, purposes: purposesFor(person.kind), expiresAt: row.expiresAt };
}

/**
 * The person's own submission: their number and their dependants'. The code is
 * used up in the same transaction; the handler completes 本人確認 afterwards.
 */
export function submitSelfIntake(vault: Vault, code: string, input: { own?: string; dependants: Record<string, string | undefined>; acknowledged: boolean }, client: string | null): void {
  const form = openIntakeCode(vault, code);
  const errors: FieldErrors = {};
  if (!input.acknowledged) errors.acknowledged = '利用目的を確認したら、チェックを入れてください。';
  const entries: { person: Person; n: { number: MyNumber; index: Buffer } }[] = [];
  // A number held for someone else is not said so to the person (that would let a code holder
  // probe the register): the code is used up, the handler sees an audit event and follows up.
  let duplicate = false;
  const onDuplicate = () => {
    duplicate = true;
  };
  if (!form.ownHeld) {
    const n = parseNumber(vault, form.person.id, input.own, 'own', errors, onDuplicate);
    if (n) entries.push({ person: form.person, n });
  }
  const seen = new Set<string>();
  for (const d of form.dependants) {
    const value = input.dependants[String(d.id)];
    if (!value || value.trim() === '') continue;
    const n = parseNumber(vault, d.id, value, `dependant_${d.id}`, errors, onDuplicate);
    if (n) {
      const key = n.index.toString('latin1');
      if (seen.has(key)) errors[`dependant_${d.id}`] = '同じ個人番号が2回入力されています。';
      seen.add(key);
      entries.push({ person: d, n });
    }
  }
  for (const e of entries) if (e.person.id !== form.person.id && entries[0]?.person.id === form.person.id && e.n.index.equals(entries[0].n.index)) errors[`dependant_${e.person.id}`] = '本人と同じ個人番号は入れられません。';
  const actor: Actor = { id: `person:${form.person.id}`, name: `${form.person.name}（本人入力）` };
  const at = vault.clock.now().toISOString();
  if (duplicate && Object.keys(errors).length === 0) {
    writeTransaction(vault.db, () => {
      vault.intakeCodes.markUsed(hashIntakeCode(code), at);
      vault.audit.append({ actor, action: 'intake.self_rejected', subjects: [{ id: form.person.id, name: form.person.name }], client, detail: { reason: 'number_held_for_another_person' } });
    });
    throw new AppError('conflict', 'ご提出の内容ではお手続きを完了できませんでした。お手数ですが、担当者にご連絡ください。');
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  writeTransaction(vault.db, () => {
    if (!vault.intakeCodes.markUsed(hashIntakeCode(code), at)) throw new AppError('forbidden', 'この入力コードは既に使われています。');
    for (const e of entries) storeNumber(vault, e.person, e.n, purposesFor(e.person.kind).map((p) => p.code), at);
    vault.audit.append({
      actor,
      action: 'intake.self_submitted',
      subjects: entries.map((e) => ({ id: e.person.id, name: e.person.name })),
      client,
      detail: { numbers: entries.length },
    });
  });
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}
