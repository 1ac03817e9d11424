import type { Actor } from '../domain/audit-events.js';
import { askedKinds, CAMPAIGN_FILTERS, campaignPurposeProblems, type CampaignFilter, type CampaignPurposes } from '../domain/campaign.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { numberCollectionRefusal } from '../domain/number-eligibility.js';
import type { PersonId, PersonKind } from '../domain/persons.js';
import { normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import { writeTransaction } from '../storage/database.js';
import { FormError, type FieldErrors } from './accounts.js';
import { hashIntakeCode, NEW_DEPENDANT_KEY, newIntakeCode, type CodePurposes } from './intake.js';
import type { Vault } from './vault.js';

export interface CampaignInput {
  name?: string;
  filter?: string;
  /** joined_since: a date; payees_of_year: a year. */
  filterArg?: string;
  purposes: CampaignPurposes;
  validDays?: string;
}

/** One printed slip's facts: the code exists only here, in memory, until the slips are printed. */
export interface IssuedSlip {
  personId: PersonId;
  name: string;
  personCode: string | null;
  kind: PersonKind;
  code: string;
  expiresAt: string;
  /** Names of the dependants the code asks numbers of. */
  dependants: string[];
}

export const DEFAULT_VALID_DAYS = 14;

/**
 * Creates a campaign: the persons the filter picks (active relationships only,
 * see domain/campaign.ts) become its members, 未発行. A 本人確認未了 campaign
 * tracks persons whose number is already in: they start 提出済 and are done at
 * their identity check. The campaign and its audit row commit together.
 */
export function createCampaign(vault: Pick<Vault, 'db' | 'campaigns' | 'audit' | 'clock'>, actor: Actor, input: CampaignInput, client: string | null): { id: number; members: number } {
  const errors: FieldErrors = {};
  const name = normaliseText(input.name ?? '').trim();
  if (name === '' || name.length > 60) errors.name = 'キャンペーンの名前を60文字以内で入れてください（例: 2026年度 新入社員）。';
  const unsafe = unsafeTextProblem('名前', name);
  if (unsafe) errors.name = unsafe;
  const filter = input.filter as CampaignFilter;
  if (!CAMPAIGN_FILTERS.includes(filter)) errors.filter = '対象者の選び方を一覧から選んでください。';
  let arg: string | null = null;
  if (filter === 'joined_since') {
    const d = parseDate(input.filterArg ?? '');
    if (!d) errors.filterArg = '登録日を 2026-04-01 の形で入れてください。';
    else arg = d;
  }
  if (filter === 'payees_of_year') {
    const y = (input.filterArg ?? '').normalize('NFKC').trim();
    if (!/^(19|20)[0-9]{2}$/u.test(y)) errors.filterArg = '年を西暦4桁で入れてください（例: 2026）。';
    else arg = y;
  }
  const validDays = Number((input.validDays ?? String(DEFAULT_VALID_DAYS)).normalize('NFKC').trim());
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > 60) errors.validDays = 'コードの有効日数を1〜60の整数で入れてください。';
  if (CAMPAIGN_FILTERS.includes(filter)) Object.assign(errors, campaignPurposeProblems(filter, input.purposes));
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const purposes: CampaignPurposes = {};
  for (const k of ['employee', 'dependant', 'payee'] as const) if ((input.purposes[k] ?? []).length) purposes[k] = [...new Set(input.purposes[k])];
  const at = vault.clock.now().toISOString();
  return writeTransaction(vault.db, () => {
    const ids = vault.campaigns.candidates(filter, arg, askedKinds(filter, purposes));
    if (ids.length === 0) throw new FormError({ filter: 'この条件に当てはまる人がいません。条件を確かめてください。' });
    const id = vault.campaigns.insert({ name, filter, filterArg: arg, purposes, validDays, createdBy: actor.id, createdAt: at });
    vault.campaigns.addMembers(id, ids, filter === 'unchecked' ? 'submitted' : 'pending');
    vault.audit.append({ actor, action: 'campaign.created', client, detail: { campaign: id, filter, filter_arg: arg, members: ids.length } });
    return { id, members: ids.length };
  });
}

export interface IssueResult {
  slips: IssuedSlip[];
  /** Members left 未発行: nothing to ask any more (numbers in), a 法人, or no longer active. */
  skipped: number;
}

/**
 * Issues a code to each member still 未発行 (reissue=false) or to each member
 * issued and not submitted (reissue=true: the reminder; their earlier codes stop
 * working). Each code carries, per person it asks, the campaign's purposes for
 * that person's kind. One transaction: the codes' hashes, the members and one
 * audit row naming every person. The plaintext codes are returned once and
 * never stored.
 */
export function issueCampaignCodes(vault: Pick<Vault, 'db' | 'intakeCodes' | 'campaigns' | 'audit' | 'clock'>, actor: Actor, campaignId: number, opts: { reissue: boolean }, client: string | null): IssueResult {
  const campaign = vault.campaigns.byId(campaignId) ?? notFound();
  const now = vault.clock.now();
  const at = now.toISOString();
  const expiresAt = new Date(now.getTime() + campaign.validDays * 86_400_000).toISOString();
  return writeTransaction(vault.db, () => {
    const members = vault.campaigns.issueRows(campaignId, opts.reissue ? 'issued' : 'pending');
    if (members.length === 0) throw new AppError('invalid', opts.reissue ? '再発行する人がいません（全員が提出済みです）。' : '未発行の人はいません。');
    // Prepared once for the batch: a campaign of 10,000 is one pass of cached statements.
    const dependantsOf = vault.campaigns.dependantsToAsk();
    const insertCode = vault.intakeCodes.batchInserter();
    const setIssued = vault.campaigns.issuer(campaignId);
    const slips: IssuedSlip[] = [];
    let skipped = 0;
    for (const person of members) {
      if (person.status !== 'active' || numberCollectionRefusal(person)) {
        skipped++;
        continue;
      }
      // The code's targets as codeTargets() decides them: the person unless held, and current dependants without a held number.
      const targets = [...(person.numberHeld ? [] : [{ id: person.id, name: person.name, kind: person.kind }]), ...dependantsOf(person.id).map((d) => ({ ...d, kind: 'dependant' as const }))];
      const purposes: CodePurposes = {};
      const dependants: string[] = [];
      for (const t of targets) {
        const codes = campaign.purposes[t.kind] ?? [];
        if (codes.length === 0) continue;
        purposes[String(t.id)] = codes;
        if (t.id !== person.id) dependants.push(t.name);
      }
      if (Object.keys(purposes).length === 0) {
        skipped++;
        continue;
      }
      // An employee may add a family member on the page: it is told the campaign's dependant purposes (none: no number asked).
      if (person.kind === 'employee') purposes[NEW_DEPENDANT_KEY] = campaign.purposes.dependant ?? [];
      const code = newIntakeCode();
      const hash = hashIntakeCode(code);
      insertCode(hash, { personId: person.id, issuedBy: actor.id, issuedAt: at, expiresAt, purposes });
      setIssued(person.id, hash, at, expiresAt);
      slips.push({ personId: person.id, name: person.name, personCode: person.code, kind: person.kind, code, expiresAt, dependants });
    }
    if (slips.length === 0) throw new AppError('invalid', '入力コードを発行できる人がいません（番号がすでに登録済みか、在職・取引中でない人だけです）。');
    vault.audit.append({
      actor,
      action: opts.reissue ? 'campaign.codes_reissued' : 'campaign.codes_issued',
      subjects: slips.map((s) => ({ id: s.personId, name: s.name })),
      client,
      detail: { campaign: campaignId, codes: slips.length, skipped, expires_at: expiresAt },
    });
    return { slips, skipped };
  });
}

/** The progress page's facts: counts per state and a page of who has not submitted. */
export function campaignProgress(vault: Pick<Vault, 'persons' | 'campaigns' | 'clock'>, campaignId: number, after: PersonId = 0) {
  const campaign = vault.campaigns.byId(campaignId) ?? notFound();
  const now = vault.clock.now().toISOString();
  const PAGE = 100;
  const open = vault.campaigns.openPage(campaignId, after, PAGE + 1);
  const unchecked = vault.campaigns.submittedPage(campaignId, 0, 50);
  // Whose card a handler may read for this member (「カードで取得」): the member unless their number is
  // held, and their current dependants without a number when the campaign asks dependants.
  const asksDependants = (campaign.purposes.dependant ?? []).length > 0;
  const dependantsOf = vault.campaigns.dependantsToAsk();
  return {
    campaign,
    counts: vault.campaigns.counts(campaignId, now),
    open: open.slice(0, PAGE).map((m) => ({
      ...m,
      expired: m.state === 'issued' && m.expiresAt !== null && m.expiresAt <= now,
      ownMissing: vault.persons.numberOf(m.personId)?.state !== 'held',
      dependants: asksDependants && m.kind === 'employee' ? dependantsOf(m.personId) : [],
    })),
    next: open.length > PAGE ? open[PAGE - 1]!.personId : null,
    unchecked,
    today: japanDate(vault.clock.now()),
  };
}

function notFound(): never {
  throw new AppError('not_found', '指定された収集キャンペーンはありません。');
}
