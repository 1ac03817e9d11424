import type { Actor } from '../domain/audit-events.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import { MyNumber } from '../domain/my-number.js';
import { findPurpose } from '../domain/purposes.js';
import { identityChecked, identityCheckPolicy, IDENTITY_UNCHECKED } from './identity-policy.js';
import { kindsOf, purposeVerdicts, requirePurposeUse } from './purpose-use.js';
import { findEntryPurpose } from '../domain/entry-purposes.js';
import { PERSON_KIND_LABEL } from '../domain/persons.js';
import { primaryRole, roleForPurpose } from '../domain/roles.js';
import { APPLIANCE_PROFILE, profileText, type ExportCells } from '../domain/export-profiles.js';
import iconv from 'iconv-lite';
import { Secret, zeroize } from '../domain/secret.js';
import { DEFAULT_WINDOWS, PIN_LOCK_AFTER, stateAt, type GateRequest, type GateWindows } from '../gate/requests.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { writeTransaction } from '../storage/database.js';
import type { UserView } from '../domain/users.js';
import { readRotation } from '../storage/rotation-state.js';
import { vaultOpener } from '../vault/vault-opener.js';
import { unlockSlot } from '../vault/slots.js';
import { actorOf } from './accounts.js';
import { optionalFilingYear } from './filing-year.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import type { Vault } from './vault.js';
import { randomCode, type CodeSource } from '../gate/codes.js';
import { sealFiling } from './filings.js';
import type { ApprovalTiming, RevealStore } from '../gate/reveal-store.js';

export { RevealStore, type ApprovalTiming } from '../gate/reveal-store.js';

/** What approving a request with a PIN at the appliance reads and writes (the PIN pad passes it on). */
export type PinApprovalStore = Pick<Vault, 'db' | 'keys' | 'meta' | 'users' | 'slots' | 'persons' | 'roles' | 'gate' | 'audit' | 'clock'>;

/** What asking for a reveal or an export, or asking again, reads and writes. */
export type GateRequestStore = Pick<Vault, 'db' | 'meta' | 'persons' | 'purposeNotices' | 'roles' | 'identityChecks' | 'gate' | 'audit' | 'clock'>;

/**
 * A handler asks to see one person's number for a legal purpose; returns the
 * request and its code. The domain decides the use (kind, notified purposes,
 * the person's state); an admin's co-approval of a later use is used up here.
 */
export function requestReveal(
  vault: GateRequestStore,
  requests: RequestMemory,
  handler: UserView,
  input: { personId: number; purpose: string; note?: string; reopenedFrom?: number },
  client: string | null,
  windows: GateWindows = DEFAULT_WINDOWS,
  codes: CodeSource = randomCode,
): GateRequest {
  const person = vault.persons.byId(input.personId);
  if (!person) throw new AppError('not_found', '指定された人物は登録されていません。');
  if (!findPurpose(input.purpose) || !kindsOf(vault, person).some((k) => (findPurpose(input.purpose)!.appliesTo as readonly string[]).includes(k))) {
    throw new AppError('invalid', 'この人物に使える利用目的を一覧から選んでください。');
  }
  if (vault.persons.numberOf(person.id)?.state !== 'held') throw new AppError('invalid', 'この人物の個人番号は登録されていません。');
  const { purpose, coApprovalId } = requirePurposeUse(vault, person, input.purpose);
  if (identityCheckPolicy(vault) === 'block' && !identityChecked(vault, person)) {
    throw new AppError('forbidden', `${person.name} さんの${IDENTITY_UNCHECKED}。本人確認を記録してから申請してください。`);
  }
  const note = checkNote(input.note);
  const at = vault.clock.now().toISOString();
  return openRequest(
    vault,
    requests,
    handler,
    { kind: 'reveal', personIds: [person.id], purpose: purpose.code, note: note || null, exportEncoding: null },
    client,
    windows,
    codes,
    () => {
      if (coApprovalId !== null) vault.purposeNotices.useCoApproval(coApprovalId, at);
    },
    input.reopenedFrom,
  );
}

/**
 * A handler or admin asks to enter the 管理区域 without touching any number
 * (入室申請): paper documents, maintenance, disposal work, inspection, or
 * another reason written in the note. Approved at the appliance like a
 * reveal; the approval opens no number, is logged as the entry and pulses the door.
 */
export function requestEntry(vault: Pick<Vault, 'db' | 'persons' | 'gate' | 'audit' | 'clock'>, requests: RequestMemory, user: UserView, input: { purpose: string; note?: string; reopenedFrom?: number }, client: string | null, windows: GateWindows = DEFAULT_WINDOWS, codes: CodeSource = randomCode): GateRequest {
  const purpose = findEntryPurpose(input.purpose);
  if (!purpose) throw new AppError('invalid', '入室の目的を一覧から選んでください。');
  const note = checkNote(input.note);
  if (purpose.noteRequired && !note) throw new AppError('invalid', '「その他」を選んだときは、入室の目的をメモに書いてください。');
  return openRequest(vault, requests, user, { kind: 'entry', personIds: [], purpose: purpose.code, note: note || null, exportEncoding: null }, client, windows, codes, undefined, input.reopenedFrom);
}

export function openRequest(
  vault: Pick<Vault, 'db' | 'persons' | 'gate' | 'audit' | 'clock'>,
  requests: RequestMemory,
  handler: UserView,
  r: Pick<GateRequest, 'kind' | 'personIds' | 'purpose' | 'note' | 'exportEncoding'>,
  client: string | null,
  windows: GateWindows,
  codes: CodeSource,
  inTransaction?: (requestId: number) => void,
  /** A handler's earlier request this one repeats (「申請をやり直す」), named in the audit event. */
  reopenedFrom?: number,
): GateRequest {
  const now = vault.clock.now();
  return writeTransaction(vault.db, () => {
    let code = '';
    do code = codes();
    while (vault.gate.codeInUse(code) || requests.codeReserved(code));
    const id = vault.gate.insert({ ...r, code, handlerId: handler.id, createdAt: now.toISOString(), approveBy: new Date(now.getTime() + windows.approvalMs).toISOString() });
    requests.startApprovalWindow(id, windows.approvalMs);
    const subjects = r.personIds.map((p) => ({ id: p, name: vault.persons.byId(p)!.name }));
    inTransaction?.(id);
    vault.audit.append({
      actor: actorOf(handler),
      action: 'gate.requested',
      subjects,
      purpose: r.purpose,
      client,
      detail: { request_id: id, kind: r.kind, ...(reopenedFrom === undefined ? {} : { reopened_from: reopenedFrom }) },
    });
    return vault.gate.byId(id)!;
  });
}

/** A request's note goes into the audit trail with the entry: short, plain, and never a number. */
export function checkNote(input: string | undefined): string {
  const unsafe = unsafeTextProblem('メモ', edgeSpaceTrimmed(input ?? ''));
  if (unsafe !== null) throw new AppError('invalid', unsafe);
  const note = normaliseText(input ?? '').trim();
  if (note.length > 200 || /[\u0000-\u001f]/u.test(note)) throw new AppError('invalid', 'メモは制御文字を含まない200文字以内にしてください。');
  if (looksLikeNumber(note)) throw new AppError('invalid', 'メモに個人番号のような12桁の数字は書かないでください。');
  return note;
}

export type ExportSet = 'employees' | 'payees';

export interface ExportCandidates {
  included: number[];
  /** Persons of the set the purpose concerns but who may not be in the file, and why. */
  leftOut: { personId: number; name: string; reason: string }[];
}

/**
 * Who an export for a purpose may hold: the set (with a year, also those who
 * left or ended during it — 源泉徴収票・給与支払報告書・支払調書 are due for them),
 * narrowed to persons the purpose concerns; of those, each must pass the
 * domain's use rule (notified of this purpose, state still gives rise to it),
 * else they are left out with the reason. Under the 'block' identity policy a
 * number without 本人確認 is left out too. No co-approval applies to a batch.
 */
export function exportCandidates(vault: Pick<Vault, 'meta' | 'persons' | 'purposeNotices' | 'roles' | 'identityChecks' | 'clock'>, input: { set: ExportSet; purpose: string; year?: number }): ExportCandidates {
  const result: ExportCandidates = { included: [], leftOut: [] };
  const checked = identityCheckPolicy(vault) === 'block' ? vault.identityChecks.checkedPersonIds() : undefined;
  const verdictOf = purposeVerdicts(vault);
  for (const id of vault.persons.exportSet(input.set, input.year)) {
    const { person, verdict: v } = verdictOf(id, input.purpose);
    if (!v.allowed && (v.reason === 'not_applicable' || v.reason === 'unknown')) continue;
    if (!v.allowed) result.leftOut.push({ personId: id, name: person.name, reason: v.message });
    else if (checked && !checked.has(id)) result.leftOut.push({ personId: id, name: person.name, reason: IDENTITY_UNCHECKED });
    else result.included.push(id);
  }
  return result;
}

/**
 * A handler asks to export a set for a purpose (e.g. all employees and their
 * dependants for 源泉徴収票 of a year). The file holds exactly the persons
 * exportCandidates includes; the request names them, and the persons left out
 * are kept with the request so its page lists them with the reason.
 */
export function requestExport(
  vault: GateRequestStore,
  requests: RequestMemory,
  handler: UserView,
  input: { set: string; purpose: string; encoding: string; year?: string },
  client: string | null,
  windows: GateWindows = DEFAULT_WINDOWS,
  codes: CodeSource = randomCode,
): GateRequest {
  if (input.set !== 'employees' && input.set !== 'payees') throw new AppError('invalid', '出力する対象を選んでください。');
  if (input.encoding !== 'utf8_bom' && input.encoding !== 'shift_jis') throw new AppError('invalid', '文字コードを選んでください。');
  const purpose = findPurpose(input.purpose);
  if (!purpose) throw new AppError('invalid', '利用目的を一覧から選んでください。');
  // Empty: the persons current today.
  const year = optionalFilingYear(input.year, vault.clock.now());
  const { included, leftOut } = exportCandidates(vault, { set: input.set, purpose: purpose.code, year });
  if (included.length === 0) {
    const why = leftOut.length > 0 ? `対象の${leftOut.length}名はすべて除外されました（${[...new Set(leftOut.map((l) => l.reason))].join('、')}）。` : '';
    throw new AppError('invalid', `この利用目的で出力できる人物（番号登録済み）がいません。${why}対象と利用目的の組み合わせを確認してください。`);
  }
  return openRequest(
    vault,
    requests,
    handler,
    { kind: 'export', personIds: included, purpose: purpose.code, note: year === undefined ? null : `${year}年分`, exportEncoding: input.encoding },
    client,
    windows,
    codes,
    (id) => vault.purposeNotices.insertLeftOut(id, leftOut),
  );
}

/**
 * The export file in a column profile (src/domain/export-profiles.ts); today
 * the appliance's own format, the import's columns, so it reads back into a
 * vault. Each person is written in the role the purpose concerns (種別, code,
 * 続柄 and 扶養元 of that role), so a 社長 in a 支払調書 file is the payee.
 */
function exportCsv(vault: Pick<Vault, 'persons' | 'roles'>, purpose: string, personIds: readonly number[], digits: readonly Buffer[], encoding: 'utf8_bom' | 'shift_jis'): Buffer {
  const appliesTo = findPurpose(purpose)?.appliesTo ?? [];
  const rows: ExportCells[] = personIds.map((id, i) => {
    const p = vault.persons.byId(id)!;
    const role = roleForPurpose(primaryRole(p, null), vault.roles.forPerson(id), appliesTo);
    const supporter = role.supporterId === null ? null : vault.persons.byId(role.supporterId);
    return {
      kind: PERSON_KIND_LABEL[role.role],
      code: role.code,
      name: p.name,
      kana: p.kana,
      birth_date: p.birthDate,
      my_number: digits[i]!.toString('latin1'),
      relationship: role.relationship,
      supporter_code: supporter?.code ?? null,
    };
  });
  const text = profileText(APPLIANCE_PROFILE, rows);
  return encoding === 'shift_jis' ? iconv.encode(text, 'cp932') : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

/**
 * 「申請をやり直す」: a handler's own ended request (expired, shown, cancelled)
 * asked again with the same person, purpose and note. Every rule of a new
 * request applies again (the number still held, the purpose still lawful);
 * the audit event names the request it repeats. Exports are asked afresh on
 * their form, since the set they cover is decided when asked.
 */
export function reopenRequest(vault: GateRequestStore, requests: RequestMemory, handler: UserView, requestId: number, client: string | null, windows: GateWindows = DEFAULT_WINDOWS): GateRequest {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id) throw new AppError('not_found', '指定された申請はありません。');
  const state = stateAt(r, vault.clock.now(), requests);
  if (state === 'requested' || state === 'approved') throw new AppError('conflict', 'この申請はまだ終わっていません。この申請の画面で承認を待ってください。');
  const note = r.note ?? undefined;
  if (r.kind === 'reveal') return requestReveal(vault, requests, handler, { personId: r.personIds[0]!, purpose: r.purpose, note, reopenedFrom: r.id }, client, windows);
  if (r.kind === 'entry') return requestEntry(vault, requests, handler, { purpose: r.purpose, note, reopenedFrom: r.id }, client, windows);
  if (r.kind === 'filing') throw new AppError('invalid', '届出ファイルの申請は、届出ファイルの画面からアップロードし直して申請してください。');
  throw new AppError('invalid', '出力の申請は、出力の画面から新しく申請してください。');
}

export function cancelRequest(vault: Pick<Vault, 'db' | 'gate' | 'audit' | 'clock'>, requests: RequestMemory, handler: UserView, requestId: number, client: string | null): void {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id) throw new AppError('not_found', '指定された申請はありません。');
  if (stateAt(r, vault.clock.now(), requests) !== 'requested') throw new AppError('conflict', 'この申請は既に承認・失効しています。');
  writeTransaction(vault.db, () => {
    vault.gate.setState(r.id, 'cancelled');
    vault.audit.append({ actor: actorOf(handler), action: 'gate.cancelled', client, purpose: r.purpose, detail: { request_id: r.id } });
  });
}

/**
 * How an approval was given at the appliance. A security key's assertion is
 * kept whole in the audit event (base64url, never hex: hex of random bytes
 * soon holds a 12-digit run the audit guard refuses), so the signature over
 * the request's commitment can be checked offline later.
 */
export type ApprovalMethod =
  { kind: 'pin'; device: string } | { kind: 'security_key'; device: string; key_id: number; credentialId: string; authData: string; signature: string; signCount: number; clientDataHash: string };

/**
 * Approval at the appliance: request code and PIN from the PIN pad. Only the
 * requesting handler's own PIN slot can open the vault key for it; wrong PINs
 * count against that handler and lock after PIN_LOCK_AFTER.
 */
export async function approveWithPin(vault: PinApprovalStore, store: RevealStore, input: { code: string; pin: Secret<string>; device: string }, windows: GateWindows = DEFAULT_WINDOWS): Promise<GateRequest> {
  const now = vault.clock.now();
  const r = vault.gate.openByCode(input.code);
  if (!r || stateAt(r, now, store.requests) !== 'requested') throw new AppError('not_found', '申請番号が見つからないか、有効期限が切れています。');
  const handler = vault.users.byId(r.handlerId)!;
  const actor = actorOf(handler);
  if (vault.users.pinLockedAt(handler.id) || handler.disabledAt) {
    writeTransaction(vault.db, () => {
      vault.audit.append({ actor, action: 'gate.pin_refused', device: input.device, purpose: r.purpose, detail: { request_id: r.id, reason: handler.disabledAt ? 'disabled' : 'pin_locked' } });
      vault.gate.noteRefusal(r.id, 'locked', false);
    });
    store.notifyChanged(r.id);
    throw new AppError('locked', 'この担当者のPINはロックされています。管理者（事務取扱責任者）に解除を依頼してください。');
  }
  const slot = vault.slots.pinSlotOf(handler.id);
  if (!slot) throw new AppError('forbidden', 'この担当者にはPINが設定されていません。管理者に設定を依頼してください。');
  let key: Secret<Buffer>;
  const kdfStarted = performance.now();
  try {
    key = await unlockSlot(slot, { kind: 'pin', pin: input.pin }, vault.keys.pepper);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'unauthorized') throw err;
    const at = vault.clock.now().toISOString();
    const locked = writeTransaction(vault.db, () => {
      const f = vault.users.pinFailed(handler.id, PIN_LOCK_AFTER, at);
      vault.audit.append({ actor, action: 'slot.unlock_failed', device: input.device, purpose: r.purpose, detail: { request_id: r.id, kind: 'pin', failures: f.failures } });
      if (f.locked) vault.audit.append({ actor, action: 'gate.pin_locked', device: input.device, detail: { user_id: handler.id, failures: f.failures } });
      vault.gate.noteRefusal(r.id, f.locked ? 'locked' : 'wrong_pin', true);
      return f.locked;
    });
    store.notifyChanged(r.id);
    throw new AppError(locked ? 'locked' : 'unauthorized', locked ? 'PINの誤りが続いたため、この担当者はロックされました。管理者に解除を依頼してください。' : 'PINが正しくありません。');
  }
  return completeApproval(vault, store, r, key, { kind: 'pin', device: input.device }, windows, { kdfMs: performance.now() - kdfStarted });
}

/**
 * The common end of every approval, once the handler's own slot has given the
 * vault key (which this function wipes). The numbers are opened first; then
 * the entry into the 管理区域 and the reveal commit (synchronous=FULL) before
 * the opened number is kept for the viewing window. If the events cannot be
 * written, nothing is kept: fail closed. A request may have been approved or
 * cancelled meanwhile (a PIN and a key at once): it is checked again inside
 * the transaction.
 */
export async function completeApproval(
  vault: Pick<Vault, 'db' | 'meta' | 'users' | 'persons' | 'roles' | 'gate' | 'audit' | 'clock'>,
  store: RevealStore,
  request: GateRequest,
  key: Secret<Buffer>,
  method: ApprovalMethod,
  windows: GateWindows = DEFAULT_WINDOWS,
  timing: ApprovalTiming = {},
): Promise<GateRequest> {
  const r = request;
  const handler = vault.users.byId(r.handlerId)!;
  const actor = actorOf(handler);
  const opener = vaultOpener(readRotation(vault.meta), key);
  const opened: Buffer[] = [];
  let payload: Buffer | undefined;
  let kept = false;
  try {
    for (const id of r.kind === 'entry' ? [] : r.personIds) {
      const n = vault.persons.numberOf(id);
      if (n?.state !== 'held' || !n.sealed) throw new AppError('not_found', '申請された人物の個人番号がありません。');
      opened.push(opener.open(n.sealed, numberRecordId(id), NUMBER_FIELD));
    }
    const approvedAt = vault.clock.now();
    const viewUntil = new Date(approvedAt.getTime() + (r.kind === 'entry' ? 0 : windows.viewMs));
    const subjects = r.personIds.map((id) => ({ id, name: vault.persons.byId(id)!.name }));
    payload =
      r.kind === 'export'
        ? exportCsv(vault, r.purpose, r.personIds, opened, r.exportEncoding ?? 'utf8_bom')
        : r.kind === 'filing'
          ? await sealFiling(vault, store.filings, r, opened, windows.viewMs)
          : r.kind === 'reveal'
            ? opened[0]!
            : undefined;
    const { kind: how, device, ...assertion } = method;
    writeTransaction(vault.db, () => {
      const current = vault.gate.byId(r.id)!;
      if (stateAt(current, approvedAt, store.requests) !== 'requested') throw new AppError('conflict', 'この申請は既に承認・失効しています。');
      vault.gate.setState(r.id, 'approved', { approvedAt: approvedAt.toISOString(), viewUntil: viewUntil.toISOString(), device });
      if (how === 'pin') vault.users.pinSucceeded(handler.id);
      timing.inTransaction?.();
      vault.audit.append({
        actor,
        action: 'gate.entry',
        device,
        purpose: r.purpose,
        subjects,
        detail: { request_id: r.id, code: r.code, requested_at: r.createdAt, kind: r.kind, method: how, note: r.note, ...assertion },
      });
      if (r.kind === 'reveal') vault.audit.append({ actor, action: 'number.revealed', device, purpose: r.purpose, subjects, detail: { request_id: r.id } });
    });
    if (payload) store.put(r.id, payload, viewUntil.getTime(), approvedAt.getTime());
    kept = true;
    if (r.kind === 'reveal') opened.length = 0;
    const approved = vault.gate.byId(r.id)!;
    store.notifyApproved(approved, timing);
    return approved;
  } finally {
    // Not approved (a race, the trail could not be written): the export file built for it goes too.
    if (!kept) payload?.fill(0);
    if (!kept && r.kind === 'filing') store.filings.dropPassword(r.id);
    zeroize(...opened);
    opener.wipe();
    key.wipe();
  }
}

/** What the handler's waiting page shows: the state, and the number while the window lasts. */
export function viewReveal(vault: Pick<Vault, 'db' | 'gate' | 'clock'>, store: RevealStore, handler: UserView, requestId: number): { request: GateRequest; state: GateRequest['state']; number?: MyNumber; fileReady?: boolean } {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id) throw new AppError('not_found', '指定された申請はありません。');
  const now = vault.clock.now();
  const state = stateAt(r, now, store.requests);
  if (state !== r.state && (state === 'expired' || state === 'consumed')) {
    writeTransaction(vault.db, () => vault.gate.setState(r.id, state));
  }
  if (state !== 'approved') {
    store.drop(r.id);
    return { request: r, state };
  }
  if (r.kind === 'export' || r.kind === 'filing') return { request: r, state, fileReady: store.has(r.id, now.getTime()) };
  return { request: r, state, number: store.number(r.id, now.getTime()) };
}

/**
 * The export file, exactly once, to the handler who asked. The event naming
 * every person in it commits (synchronous=FULL) before the bytes are handed
 * over; if it cannot be written the file is destroyed and nothing leaves.
 */
export function downloadExport(vault: Pick<Vault, 'db' | 'persons' | 'gate' | 'audit' | 'clock'>, store: RevealStore, handler: UserView, requestId: number, client: string | null): { bytes: Buffer; filename: string; charset: 'UTF-8' | 'Shift_JIS' } {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id || r.kind !== 'export') throw new AppError('not_found', '指定された申請はありません。');
  const now = vault.clock.now();
  const bytes = stateAt(r, now, store.requests) === 'approved' ? store.takeFile(r.id, now.getTime()) : undefined;
  if (!bytes) throw new AppError('forbidden', 'このファイルは既にダウンロードされたか、期限が切れています。もう一度必要なら新しく申請してください。');
  const subjects = r.personIds.map((id) => ({ id, name: vault.persons.byId(id)!.name }));
  try {
    writeTransaction(vault.db, () => {
      vault.gate.setState(r.id, 'consumed');
      vault.audit.append({
        actor: actorOf(handler),
        action: 'numbers.exported',
        purpose: r.purpose,
        subjects,
        client,
        detail: { request_id: r.id, persons: subjects.length, encoding: r.exportEncoding ?? 'utf8_bom' },
      });
    });
  } catch (err) {
    bytes.fill(0);
    throw err;
  }
  const stamp = now.toISOString().slice(0, 10).replace(/-/gu, '');
  return { bytes, filename: `mynumber-${r.purpose}-${stamp}.csv`, charset: r.exportEncoding === 'shift_jis' ? 'Shift_JIS' : 'UTF-8' };
}

/** An admin lifts a handler's PIN lock. */
export function unlockHandlerPin(vault: Pick<Vault, 'db' | 'users' | 'audit'>, admin: Actor, userId: string, client: string | null): void {
  const user = vault.users.byId(userId);
  if (!user) throw new AppError('not_found', '指定されたユーザーは存在しません。');
  writeTransaction(vault.db, () => {
    vault.users.unlockPin(user.id);
    vault.audit.append({ actor: admin, action: 'gate.pin_unlocked', client, detail: { user_id: user.id } });
  });
}
