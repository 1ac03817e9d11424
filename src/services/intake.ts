import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { identityRuleProblem, type IdentityMethod, type IdentityRoute } from '../domain/identity-documents.js';
import { notifiedPurposes } from './purpose-use.js';
import { MyNumber } from '../domain/my-number.js';
import { numberCollectionRefusal } from '../domain/number-eligibility.js';
import { looksLikeNumber } from '../domain/digits.js';
import type { Person, PersonId } from '../domain/persons.js';
import { defaultNoticePurposes, findPurpose, isPurposeCode, purposesFor, type Purpose } from '../domain/purposes.js';
import { writeTransaction } from '../storage/database.js';
import { numberIndex } from '../vault/number-index.js';
import { sealNumber } from '../vault/number-seal.js';
import { FormError, type FieldErrors } from './accounts.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import type { Vault } from './vault.js';
import { applyFamilyChanges, parseFamilyChanges, type FamilyChanges } from './family-changes.js';

/** How long a self-intake code works (72 hours). */
export const INTAKE_CODE_TTL_MS = 72 * 3600_000;

export interface IdentityCheckInput {
  method?: string;
  /** direct (default), employee_declaration (dependants), proxy. */
  route?: string;
  numberDocument?: string;
  identityDocuments?: string[];
  /** The name of an 「その他」 identity document. */
  otherDocumentName?: string;
  authorityDocument?: string;
  proxyDocuments?: string[];
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

type ParsedIdentity = ReturnType<typeof parseIdentity>;

/**
 * Validates a 本人確認 against the domain's rules for this person: their kind,
 * the method and route, the notified purposes, and the history (an earlier
 * check on record for this same number, by its keyed index).
 */
function parseIdentity(vault: Pick<Vault, 'identityChecks' | 'clock'>, person: Person, input: IdentityCheckInput | undefined, purposes: readonly string[], index: Buffer | undefined, errors: FieldErrors) {
  const method = input?.method as IdentityMethod | undefined;
  if (method !== 'in_person' && method !== 'mail' && method !== 'online') errors.method = '本人確認の方法（対面・郵送・オンライン）を選んでください。';
  const route = (input?.route || 'direct') as IdentityRoute;
  const docs = route === 'direct' ? [...new Set(input?.identityDocuments ?? [])] : [];
  const proxyDocuments = route === 'proxy' ? [...new Set(input?.proxyDocuments ?? [])] : [];
  const otherDocumentName = (input?.otherDocumentName ?? '').normalize('NFKC').trim();
  const numberDocument = route === 'employee_declaration' ? '' : (input?.numberDocument ?? '');
  const authorityDocument = route === 'proxy' ? (input?.authorityDocument ?? '') : '';
  const earlierCheckSameNumber = index !== undefined && vault.identityChecks.hasCheckWithIndex(person.id, index);
  const problem = identityRuleProblem({
    kind: person.kind, method: method ?? 'in_person', route, numberDocument, identityDocuments: docs, otherDocumentName, authorityDocument, proxyDocuments, purposes, earlierCheckSameNumber,
  });
  // The form shows every document problem in one place, beside the document lists.
  if (problem) errors.identityDocuments = problem.message;
  const checkedOn = input?.checkedOn ? parseDate(input.checkedOn) : undefined;
  if (!checkedOn) errors.checkedOn = '確認日を 2026-04-01 の形で入れてください。';
  else if (checkedOn > japanDate(vault.clock.now())) errors.checkedOn = '確認日が未来の日付です。';
  const note = normaliseText(input?.note ?? '').trim();
  if (note.length > 200) errors.note = '備考は200文字までにしてください。';
  const unsafeNote = unsafeTextProblem('備考', edgeSpaceTrimmed(input?.note ?? ''));
  if (unsafeNote !== null) errors.note = unsafeNote;
  if (looksLikeNumber(note)) errors.note = '備考に個人番号のような12桁の数字は入れられません。';
  const detail = route === 'direct' && !docs.includes('other_named') ? null : { other_document_name: docs.includes('other_named') || proxyDocuments.includes('other_named') ? otherDocumentName : undefined, authority_document: authorityDocument || undefined, proxy_documents: proxyDocuments.length ? proxyDocuments : undefined };
  return { method: method!, route, numberDocument, identityDocuments: docs, checkedOn: checkedOn!, note: note || null, detail, index: index ?? null };
}

function parseNumber(
  vault: Pick<Vault, 'keys' | 'persons'>,
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

export function storeNumber(vault: Pick<Vault, 'publicKey' | 'persons'>, person: Person, n: { number: MyNumber; index: Buffer }, purposes: string[], at: string): void {
  vault.persons.deleteNumber(person.id);
  vault.persons.insertSealedNumber(person.id, sealNumber(vault.publicKey, n.number, numberRecordId(person.id), NUMBER_FIELD), n.index, at, purposes);
}

/**
 * 取得 by a handler: the notified purposes, then the number (sealed with the
 * public key only) or a refusal reason, then the identity check. All of it,
 * and its audit events, commit together or not at all.
 */
export function recordIntake(vault: Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'identityChecks' | 'audit' | 'clock'>, actor: Actor, personId: PersonId, input: IntakeInput, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  refuseCorporation(person);
  const current = vault.persons.numberOf(person.id);
  if (current?.state === 'held') throw new AppError('conflict', 'この人物の個人番号は登録済みです。訂正が必要な場合は管理者に相談してください。');
  const errors: FieldErrors = {};
  const purposes = parsePurposes(person, input.purposes, errors);
  const refusal = normaliseText(input.refusalReason ?? '').trim();
  const unsafeRefusal = unsafeTextProblem('未提供理由', edgeSpaceTrimmed(input.refusalReason ?? ''));
  let n: { number: MyNumber; index: Buffer } | undefined;
  let identity: ReturnType<typeof parseIdentity> | undefined;
  if (refusal !== '' && (input.number ?? '').trim() !== '') errors.number = '個人番号と未提供理由の両方は入れられません。どちらか一方にしてください。';
  else if (unsafeRefusal !== null) errors.refusalReason = unsafeRefusal;
  else if (refusal !== '') {
    if (refusal.length > 200 || /[\u0000-\u001f\u007f]/u.test(refusal)) errors.refusalReason = '未提供理由は制御文字を含まない200文字以内にしてください。';
    else if (looksLikeNumber(refusal)) errors.refusalReason = '未提供理由に個人番号のような12桁の数字は入れられません。番号は「個人番号」の欄に入れてください。';
  } else {
    n = parseNumber(vault, person.id, input.number, 'number', errors);
    identity = parseIdentity(vault, person, input.identity, purposes, n?.index, errors);
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    vault.purposeNotices.insert({ personId: person.id, role: person.kind, purposes, notifiedOn: japanDate(vault.clock.now()), via: 'handler', actorId: actor.id, createdAt: at });
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

function insertIdentityCheck(vault: Pick<Vault, 'identityChecks' | 'audit'>, actor: Actor, person: Person, c: ParsedIdentity, client: string | null, at: string): void {
  vault.identityChecks.insert({ personId: person.id, method: c.method, numberDocument: c.numberDocument, identityDocuments: c.identityDocuments, checkedOn: c.checkedOn, checkerId: actor.id, note: c.note, createdAt: at, route: c.route, detail: c.detail, numberIndex: c.index });
  vault.audit.append({
    actor, action: 'identity.checked', subjects: [{ id: person.id, name: person.name }], client,
    detail: { method: c.method, route: c.route, number_document: c.numberDocument, identity_documents: c.identityDocuments.join(','), ...(c.detail?.authority_document ? { authority_document: c.detail.authority_document, proxy_documents: (c.detail.proxy_documents ?? []).join(',') } : {}) },
  });
}

/** Completes 本人確認 for a number taken earlier (after self-intake, or on a later visit). */
export function recordIdentityCheck(vault: Pick<Vault, 'db' | 'persons' | 'purposeNotices' | 'identityChecks' | 'audit' | 'clock'>, actor: Actor, personId: PersonId, input: IdentityCheckInput, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  if (vault.persons.numberOf(person.id)?.state !== 'held') throw new AppError('invalid', '個人番号が登録されていない人物の本人確認は記録できません。');
  const errors: FieldErrors = {};
  const c = parseIdentity(vault, person, input, notifiedPurposes(vault, person.id), vault.persons.indexOf(person.id), errors);
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  writeTransaction(vault.db, () => insertIdentityCheck(vault, actor, person, c, client, vault.clock.now().toISOString()));
}

// Intake codes: 12 characters from an alphabet without look-alikes, shown as XXXX-XXXX-XXXX.
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A fresh code, XXXX-XXXX-XXXX (60 random bits; 32 symbols, so b % 32 is unbiased). */
export function newIntakeCode(): string {
  return [...randomBytes(12)].map((b) => CODE_ALPHABET[b % 32]).join('').replace(/(.{4})(.{4})(.{4})/u, '$1-$2-$3');
}

export function hashIntakeCode(code: string): Buffer {
  const normal = code.normalize('NFKC').toUpperCase().replace(/[\s-]/gu, '');
  return createHash('sha256').update(`mnvault/intake/${normal}`).digest();
}

/** Purpose codes per person id: what a self-intake code shows each person (利用目的の通知). */
export type CodePurposes = Record<string, string[]>;

/** Who a code for this person asks numbers of: the person (unless held) and current dependants without a held number. */
export function codeTargets(vault: Pick<Vault, 'persons'>, person: Person): Person[] {
  const own = vault.persons.numberOf(person.id)?.state === 'held' ? [] : [person];
  const dependants = currentDependants(vault, person).filter((d) => vault.persons.numberOf(d.id)?.state !== 'held');
  return [...own, ...dependants];
}

/** An employee's dependants whose 扶養 has not ended, in register order. */
function currentDependants(vault: Pick<Vault, 'persons'>, person: Person): Person[] {
  return vault.persons
    .dependantsOf(person.id)
    .filter((d) => d.dependantUntil === null)
    .map((d) => vault.persons.byId(d.id)!);
}

/**
 * Issues a one-time code for a named employee or payee; earlier open codes stop
 * working. The code carries the purposes the handler chose for each person
 * (the person and each dependant); without a choice it is refused, never
 * filled with a kind's defaults (issue 11 point 3: only what was chosen and
 * shown is recorded as notified). A person with no purpose is not asked for a
 * number by it.
 */
export function issueIntakeCode(vault: Pick<Vault, 'db' | 'persons' | 'intakeCodes' | 'audit' | 'clock'>, actor: Actor, personId: PersonId, client: string | null, chosen?: CodePurposes): { code: string; expiresAt: string } {
  const person = vault.persons.byId(personId) ?? notFound();
  if (person.kind === 'dependant') throw new AppError('invalid', '入力コードは従業員・支払先本人に発行します（扶養親族の番号は本人の画面から入力します）。');
  refuseCorporation(person);
  if (!chosen) throw new FormError({ purposes: '入力コードで番号を入力してもらう人ごとに、通知する利用目的を選んでから発行してください。' });
  const purposes: CodePurposes = {};
  const errors: FieldErrors = {};
  for (const t of codeTargets(vault, person)) {
    const codes = [...new Set(chosen[String(t.id)] ?? [])];
    const allowed = new Set(purposesFor(t.kind).map((p) => p.code as string));
    if (codes.some((c) => !allowed.has(c))) errors[`purposes_${t.id}`] = 'この人物に使えない利用目的が含まれています。一覧から選んでください。';
    else if (t.id === person.id && codes.length === 0) errors[`purposes_${t.id}`] = `${t.name} さんに通知する利用目的を1つ以上選んでください。`;
    if (codes.length > 0) purposes[String(t.id)] = codes;
  }
  if (Object.keys(purposes).length === 0 && Object.keys(errors).length === 0) errors.purposes = 'この入力コードで番号を入力する人がいません（本人と扶養親族の番号は登録済みか、利用目的が選ばれていません）。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const code = newIntakeCode();
  const now = vault.clock.now();
  const expiresAt = new Date(now.getTime() + INTAKE_CODE_TTL_MS).toISOString();
  writeTransaction(vault.db, () => {
    vault.intakeCodes.expireOpenFor(person.id, now.toISOString());
    vault.intakeCodes.insert(hashIntakeCode(code), { personId: person.id, issuedBy: actor.id, issuedAt: now.toISOString(), expiresAt, purposes });
    vault.audit.append({ actor, action: 'intake_code.issued', subjects: [{ id: person.id, name: person.name }], client, detail: { expires_at: expiresAt } });
  });
  return { code, expiresAt };
}

export interface SelfIntakeForm {
  person: Person;
  /** The person's own number was given before (a code reissued for a new dependant). */
  ownHeld: boolean;
  /** The dependants the code asks numbers of, each with the purposes shown to them. */
  dependants: Person[];
  /** The person's own purposes, exactly as the code carries them. */
  purposes: Purpose[];
  dependantPurposes: Record<string, Purpose[]>;
  /** An employee may add family members (and record that listed ones left): the purposes shown for a new one. */
  canChangeFamily: boolean;
  newDependantPurposes: Purpose[];
  /** The employee's current dependants (扶養 not ended), whose 氏名・フリガナ・生年月日 the employee may correct. */
  family: Person[];
  expiresAt: string;
}

/** The key of CodePurposes under which a code carries the purposes for a family member the employee adds. */
export const NEW_DEPENDANT_KEY = 'new_dependant';

/** What the person sees for a valid code: only their own name, dependants' names and the purposes the code carries for each. */
export function openIntakeCode(vault: Pick<Vault, 'persons' | 'intakeCodes' | 'clock'>, code: string): SelfIntakeForm {
  const row = vault.intakeCodes.get(hashIntakeCode(code));
  const now = vault.clock.now().toISOString();
  if (!row) throw new AppError('not_found', '入力コードが正しくありません。担当者から受け取ったコードを確認してください。');
  if (row.usedAt) throw new AppError('forbidden', 'この入力コードは既に使われています。もう一度入力する必要がある場合は担当者に新しいコードを依頼してください。');
  if (row.expiresAt <= now) throw new AppError('forbidden', 'この入力コードは有効期限が切れています。担当者に新しいコードを依頼してください。');
  const person = vault.persons.byId(row.personId) ?? notFound();
  // A 法人番号 added after the code was issued: the page never asks a corporation for a number.
  refuseCorporation(person);
  // A code from before codes carried purposes: nobody chose what it would record as notified, so it is refused.
  const chosen = row.purposes ?? raise('forbidden', 'この入力コードは利用目的が選ばれていない古い形式のため使えません。担当者に新しいコードを依頼してください。');
  const carried = (p: Person): Purpose[] => (chosen[String(p.id)] ?? []).map((c) => findPurpose(c)).filter((x) => x !== undefined);
  const targets = codeTargets(vault, person);
  const dependants = targets.filter((t) => t.id !== person.id && carried(t).length > 0);
  const ownHeld = vault.persons.numberOf(person.id)?.state === 'held';
  // A family member added on the page is told the purposes the code carries for new ones, else the dependant defaults.
  const newDependantPurposes = (row.purposes?.[NEW_DEPENDANT_KEY] ?? defaultNoticePurposes('dependant')).map((c) => findPurpose(c)).filter((x) => x !== undefined);
  return {
    person, ownHeld, dependants, purposes: carried(person), dependantPurposes: Object.fromEntries(dependants.map((d) => [String(d.id), carried(d)])),
    canChangeFamily: person.kind === 'employee', newDependantPurposes, expiresAt: row.expiresAt,
    family: person.kind === 'employee' ? currentDependants(vault, person) : [],
  };
}

/**
 * The person's own submission: their number and their dependants'. The code is
 * used up in the same transaction; the handler completes 本人確認 afterwards.
 */
export function submitSelfIntake(vault: Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'intakeCodes' | 'audit' | 'clock'>, code: string, input: { own?: string; dependants: Record<string, string | undefined>; acknowledged: boolean; family?: FamilyChanges }, client: string | null): void {
  const form = openIntakeCode(vault, code);
  const errors: FieldErrors = {};
  // 異動 on the page: listed dependants who left (their numbers are no longer asked) and new family members.
  const family = form.canChangeFamily ? parseFamilyChanges(vault, form.person, form.dependants, input.family ?? { ended: {}, added: [] }, errors, form.family) : { ended: [], added: [], changed: [] };
  const endedIds = new Set(family.ended.map((e) => e.person.id));
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
    if (endedIds.has(d.id)) continue;
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
  const newNumbers: { row: number; n: { number: MyNumber; index: Buffer } }[] = [];
  for (const a of family.added) {
    const value = input.family?.added[a.row]?.number;
    if (!value || value.trim() === '') continue;
    if (form.newDependantPurposes.length === 0) {
      errors[`new_${a.row}_number`] = 'このコードでは、追加したご家族の個人番号はお預かりしません（ご家族の登録だけ行います）。番号は空欄にしてください。';
      continue;
    }
    const n = parseNumber(vault, -1, value, `new_${a.row}_number`, errors, onDuplicate);
    if (n) {
      const key = n.index.toString('latin1');
      if (seen.has(key)) errors[`new_${a.row}_number`] = '同じ個人番号が2回入力されています。';
      seen.add(key);
      newNumbers.push({ row: a.row, n });
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
    const today = japanDate(vault.clock.now());
    const added = applyFamilyChanges(vault, actor, form.person, family, client, at);
    // A dependant renamed on the same page is named by the new name in the submission's audit row.
    for (const ch of family.changed) for (const e of entries) if (e.person.id === ch.person.id) e.person = { ...e.person, name: ch.draft.name };
    for (const nn of newNumbers) {
      const person = added[family.added.findIndex((a) => a.row === nn.row)]!;
      entries.push({ person, n: nn.n });
      form.dependantPurposes[String(person.id)] = form.newDependantPurposes;
    }
    for (const e of entries) {
      // The purposes stored are exactly those the page showed this person, notified today.
      const shown = (e.person.id === form.person.id ? form.purposes : form.dependantPurposes[String(e.person.id)]!).map((p) => p.code as string);
      storeNumber(vault, e.person, e.n, shown, at);
      vault.purposeNotices.insert({ personId: e.person.id, role: e.person.kind, purposes: shown, notifiedOn: today, via: 'self_intake', actorId: actor.id, createdAt: at });
    }
    vault.audit.append({
      actor,
      action: 'intake.self_submitted',
      subjects: entries.map((e) => ({ id: e.person.id, name: e.person.name })),
      client,
      detail: { numbers: entries.length },
    });
  });
}

function refuseCorporation(person: Person): void {
  const refusal = numberCollectionRefusal(person);
  if (refusal) throw new AppError('invalid', refusal);
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}

function raise(code: 'forbidden', message: string): never {
  throw new AppError(code, message);
}
