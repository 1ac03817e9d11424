/**
 * The filing merge: a handler uploads the filing file a payroll package wrote
 * with the number fields empty, reviews how its rows match the register, and
 * asks the gate; the approval at the appliance opens the numbers, writes them
 * into exactly the codec's spans and wraps the result in an AES-256 ZIP
 * (sealFiling); the waiting page shows the ZIP's password once and offers the
 * file once (downloadFiling), and that download commits 'filing.merged' with
 * the filing_handovers row. The file, its merge and the password live in
 * memory only (FilingDrafts).
 */
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { fillSpans, type FilingCodec } from '../domain/filing.js';
import { findCodec } from '../domain/filing-codecs.js';
import { matchFiling, type FilingMatch, type MatchPerson } from '../domain/filing-match.js';
import type { PersonId } from '../domain/persons.js';
import { zeroize } from '../domain/secret.js';
import { stateAt, type GateRequest } from '../gate/requests.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { writeTransaction } from '../storage/database.js';
import { FilingHandoversRepo } from '../storage/filing-handovers-repo.js';
import { heldNumberPersonIds } from '../storage/filing-register-repo.js';
import type { UserView } from '../domain/users.js';
import { actorOf } from './accounts.js';
import { optionalFilingYear } from './filing-year.js';
import type { FilingDraft, FilingDrafts } from '../gate/filing-drafts.js';
import { encryptForHandover } from '../vault/handover-zip.js';
import { IDENTITY_UNCHECKED, identityCheckPolicy } from './identity-policy.js';
import { purposeVerdicts } from './purpose-use.js';
import type { Vault } from './vault.js';

/** What matching an uploaded filing to persons, and asking to merge it, reads. */
export type FilingReviewStore = Pick<Vault, 'db' | 'meta' | 'persons' | 'purposeNotices' | 'roles' | 'identityChecks' | 'clock'>;

export function codecOf(kind: string): FilingCodec {
  const codec = findCodec(kind);
  if (!codec) throw new AppError('invalid', '届出の種類を一覧から選んでください。');
  return codec;
}

/** Reads and keeps an uploaded filing file; a file the codec cannot read is refused and not kept. */
export function uploadFiling(vault: Pick<Vault, 'clock'>, drafts: FilingDrafts, handler: UserView, input: { kind: string; year?: string; bytes: Buffer; filename?: string }): FilingDraft {
  const codec = codecOf(input.kind);
  // Empty: the file's own 年分, if it names one.
  const chosenYear = optionalFilingYear(input.year, vault.clock.now());
  if (input.bytes.length === 0) throw new AppError('invalid', 'ファイルが空です。給与ソフトが書き出したファイルを選んでください。');
  const filing = codec.parse(input.bytes);
  if (filing.year !== undefined && chosenYear !== undefined && filing.year !== chosenYear) {
    throw new AppError('invalid', `ファイルは${filing.year}年分ですが、${chosenYear}年分が選ばれています。年分を空にするか、ファイルに合わせてください。`);
  }
  return drafts.add({ handlerId: handler.id, kind: codec.kind, year: filing.year ?? chosenYear, bytes: input.bytes, filing, extension: extensionOf(input.filename) }, vault.clock.now().getTime());
}

/** csv, xml or txt from the uploaded name; csv when it says nothing else. */
function extensionOf(filename: string | undefined): string {
  const m = /\.(csv|xml|txt)$/iu.exec(filename ?? '');
  return m ? m[1]!.toLowerCase() : 'csv';
}

/**
 * The register as the matcher sees it: persons, their ends, whether a number
 * is held. A person is there once per role (one number, one record): a 社長
 * who is also a payee is found by his 取引先コード too, and a part-timer who is
 * another employee's spouse-dependant within that employee's family.
 */
function matchPersons(vault: Pick<Vault, 'db' | 'persons' | 'roles'>): MatchPerson[] {
  const all = vault.persons.allById();
  const roles = vault.roles.allByPerson();
  const held = heldNumberPersonIds(vault.db);
  const supporterEnd = (id: number | null) => {
    const supporter = id === null ? undefined : all.get(id)?.person;
    return supporter?.status === 'retired' ? supporter.retiredOn : null;
  };
  const earliest = (...dates: (string | null)[]) => dates.filter((d): d is string => d !== null).sort()[0] ?? null;
  const out: MatchPerson[] = [];
  for (const { person: p, dependantUntil } of all.values()) {
    const endedOn = p.kind === 'dependant' ? earliest(dependantUntil, supporterEnd(p.supporterId)) : p.status === 'retired' ? p.retiredOn : null;
    const base = { id: p.id, name: p.name, birthDate: p.birthDate, corporateNumber: p.corporateNumber, hasNumber: held.has(p.id) };
    out.push({ ...base, kind: p.kind, code: p.code, supporterId: p.supporterId, endedOn });
    for (const r of roles.get(p.id) ?? []) {
      out.push({ ...base, kind: r.role, code: r.code, supporterId: r.supporterId, endedOn: r.role === 'dependant' ? earliest(r.endedOn, supporterEnd(r.supporterId)) : r.endedOn });
    }
  }
  return out;
}

/** Matches the draft's rows with the handler's choices so far. */
export function reviewFiling(vault: FilingReviewStore, draft: FilingDraft): FilingMatch {
  const codec = codecOf(draft.kind);
  const verdictOf = purposeVerdicts(vault);
  const checked = identityCheckPolicy(vault) === 'block' ? vault.identityChecks.checkedPersonIds() : undefined;
  return matchFiling({
    filing: draft.filing,
    persons: matchPersons(vault),
    year: draft.year,
    resolutions: draft.resolutions,
    verdict: (id) => {
      const v = verdictOf(id, codec.purpose).verdict;
      if (!v.allowed) return { allowed: false, message: v.message };
      if (checked && !checked.has(id)) return { allowed: false, message: IDENTITY_UNCHECKED };
      return { allowed: true };
    },
  });
}

/** The handler picks the person of an ambiguous row; the matcher checks it is one of the row's candidates. */
export function resolveRow(draft: FilingDraft, key: string, personId: PersonId): void {
  if (draft.requestId !== undefined) throw new AppError('conflict', 'このファイルは既に申請されています。');
  if (!/^L[0-9]{1,7}(-[0-9]{1,4})?$/u.test(key)) throw new AppError('invalid', '行を選び直してください。');
  draft.resolutions.set(key, personId);
}

/**
 * Files the gate request for a reviewed draft. Every ambiguous row must have
 * been decided; rows left without a number (unmatched, refused) need the
 * handler's explicit leaveUnfilled. The request names the persons whose
 * numbers will be opened; the purpose is the codec's.
 */
export function requestFiling(
  vault: FilingReviewStore,
  drafts: FilingDrafts,
  handler: UserView,
  draftId: string,
  input: { leaveUnfilled: boolean },
  open: (r: Pick<GateRequest, 'kind' | 'personIds' | 'purpose' | 'note' | 'exportEncoding'>) => GateRequest,
): GateRequest {
  const draft = drafts.get(draftId, handler.id, vault.clock.now().getTime());
  if (draft.requestId !== undefined) throw new AppError('conflict', 'このファイルは既に申請されています。申請の画面で承認を待ってください。');
  const codec = codecOf(draft.kind);
  const match = reviewFiling(vault, draft);
  if (match.ambiguous > 0) throw new AppError('invalid', `人物が決まっていない行が${match.ambiguous}行あります。行ごとに人物を選んでください。`);
  if (match.fills.length === 0) throw new AppError('invalid', '番号を入れられる行がありません。ファイルと登録を確認してください。');
  if (match.unfilled > 0 && !input.leaveUnfilled)
    throw new AppError('invalid', `番号を入れない行が${match.unfilled}行あります。一覧を確認し、「番号を入れずに作成する」にチェックしてから申請してください。`);
  const request = open({ kind: 'filing', personIds: [...match.numberPersons], purpose: codec.purpose, note: draft.year === undefined ? null : `${draft.year}年分`, exportEncoding: null });
  draft.requestId = request.id;
  draft.plan = match;
  return request;
}

/**
 * At approval, before its transaction: fills the numbers (opened[i] is
 * personIds[i]'s) and 法人番号 into the reviewed spans, encrypts, and keeps
 * the password for the waiting page. The plain merged file and the upload are
 * zeroed before this returns; the caller zeroes `opened`.
 */
export async function sealFiling(vault: Pick<Vault, 'persons'>, drafts: FilingDrafts, r: GateRequest, opened: readonly Buffer[], viewMs: number): Promise<Buffer> {
  const draft = drafts.forRequest(r.id);
  const plan = draft?.plan;
  if (!draft || !plan) throw new AppError('not_found', '届出ファイルがこの装置のメモリにありません（期限切れか再起動）。もう一度アップロードして申請してください。');
  const numberOf = new Map(r.personIds.map((id, i) => [id, opened[i]!]));
  const corporate: Buffer[] = [];
  const fills = plan.fills.map((f) => {
    if (f.source === 'number') return { span: f.span, value: numberOf.get(f.personId)! };
    const v = Buffer.from(vault.persons.byId(f.personId)?.corporateNumber ?? '', 'latin1');
    corporate.push(v);
    return { span: f.span, value: v };
  });
  let merged: Buffer | undefined;
  try {
    merged = fillSpans(draft.bytes, fills);
    const { zip, password } = await encryptForHandover(merged, entryName(draft));
    drafts.putPassword(r.id, password, viewMs);
    return zip;
  } finally {
    zeroize(merged, ...corporate);
    draft.bytes.fill(0);
  }
}

/** The name inside the ZIP: the kind and year, and the extension of the file as uploaded. */
function entryName(draft: FilingDraft): string {
  return `filing-${draft.kind}${draft.year === undefined ? '' : `-${draft.year}`}.${draft.extension}`;
}

/**
 * The merged file, exactly once, to the handler who asked. 'filing.merged'
 * (subjects, purpose, the figures; never a number) and the filing_handovers
 * row commit together before the bytes are handed over; if they cannot, the
 * file is destroyed and nothing leaves.
 */
export function downloadFiling(
  vault: Pick<Vault, 'db' | 'persons' | 'gate' | 'audit' | 'clock'>,
  requests: RequestMemory,
  take: (requestId: number, now: number) => Buffer | undefined,
  drafts: FilingDrafts,
  handler: UserView,
  requestId: number,
  client: string | null,
): { bytes: Buffer; filename: string } {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id || r.kind !== 'filing') throw new AppError('not_found', '指定された申請はありません。');
  const now = vault.clock.now();
  const draft = drafts.forRequest(r.id);
  const plan = draft?.plan;
  const bytes = stateAt(r, now, requests) === 'approved' && plan ? take(r.id, now.getTime()) : undefined;
  if (!bytes || !draft || !plan) throw new AppError('forbidden', 'このファイルは既にダウンロードされたか、期限が切れています。もう一度必要なら、届出ファイルをアップロードし直して申請してください。');
  const codec = codecOf(draft.kind);
  // One read of the register for every name (a file names thousands; a query per person is most of the time).
  const registered = vault.persons.allById();
  const subjects = plan.persons.map((id) => ({ id, name: registered.get(id)!.person.name }));
  const rows = plan.outcomes.filter((o) => o.state === 'filled').length;
  const actor: Actor = actorOf(handler);
  try {
    writeTransaction(vault.db, () => {
      vault.gate.setState(r.id, 'consumed');
      const head = vault.audit.append({
        actor,
        action: 'filing.merged',
        purpose: r.purpose,
        subjects,
        client,
        detail: { request_id: r.id, kind: draft.kind, year: draft.year ?? null, rows, persons: subjects.length },
      });
      new FilingHandoversRepo(vault.db).insert({
        mergedSeq: head.seq,
        requestId: r.id,
        kind: draft.kind,
        year: draft.year ?? null,
        destination: codec.destination,
        channel: codec.channel,
        rows,
        handlerId: handler.id,
        mergedAt: now.toISOString(),
        persons: plan.persons,
      });
    });
  } catch (err) {
    bytes.fill(0);
    throw err;
  }
  drafts.drop(draft.id);
  const stamp = now.toISOString().slice(0, 10).replace(/-/gu, '');
  return { bytes, filename: `filing-${draft.kind}${draft.year === undefined ? '' : `-${draft.year}`}-${stamp}.zip` };
}
