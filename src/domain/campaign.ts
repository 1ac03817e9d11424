import type { PersonKind } from './persons.js';
import { purposesFor, type PurposeCode } from './purposes.js';

/**
 * Collection campaigns (収集): who is asked for a number, and for which purposes.
 *
 * The law's limits applied here:
 * - 番号法15条 (提供の求めの制限) and 20条 (収集の制限): a number is asked for only
 *   for a 個人番号関係事務 that arises for the person. A campaign therefore asks only
 *   persons in an active relationship (在職の従業員・取引中の支払先) and only for
 *   purposes that concern each person's kind (its dependants' purposes for them).
 * - 個人情報保護法21条 with PPC ガイドライン（事業者編）第4-1-(1): the purposes are
 *   notified before the number is given; each code carries the purposes shown to
 *   each person, and the page shows exactly those.
 * - A payee's purposes are never pre-selected (a 報酬 and a 不動産の使用料 are
 *   different 事務): a campaign that reaches payees must name theirs.
 */
export type CampaignFilter = 'missing' | 'unchecked' | 'dependants' | 'joined_since' | 'payees_of_year';

export const CAMPAIGN_FILTERS: readonly CampaignFilter[] = ['missing', 'unchecked', 'dependants', 'joined_since', 'payees_of_year'];

export const CAMPAIGN_FILTER_LABEL: Record<CampaignFilter, string> = {
  missing: '番号が未取得の従業員・支払先',
  unchecked: '本人確認が未了の従業員・支払先',
  dependants: '番号が未取得の扶養親族がいる従業員',
  joined_since: '指定日以降に登録した従業員',
  payees_of_year: '指定した年に取引のある支払先',
};

/** The kinds of code holders a filter picks (dependants are reached through their employee). */
export function filterKinds(f: CampaignFilter): PersonKind[] {
  if (f === 'dependants' || f === 'joined_since') return ['employee'];
  if (f === 'payees_of_year') return ['payee'];
  return ['employee', 'payee'];
}

/** Purpose codes chosen per kind for a campaign. */
export type CampaignPurposes = Partial<Record<PersonKind, string[]>>;

/**
 * The problems of a campaign's purpose choice, by form field (purposes_<kind>):
 * a purpose that does not concern the kind, or no purpose for a kind the
 * campaign asks numbers of.
 */
export function campaignPurposeProblems(f: CampaignFilter, chosen: CampaignPurposes): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const kind of ['employee', 'dependant', 'payee'] as const) {
    const codes = chosen[kind] ?? [];
    const allowed = new Set<string>(purposesFor(kind).map((p) => p.code));
    if (codes.some((c) => !allowed.has(c))) problems[`purposes_${kind}`] = 'この種別に使えない利用目的が含まれています。一覧から選んでください。';
  }
  if (f === 'unchecked') return problems;
  // The kind whose numbers the filter is about must have purposes; for 未取得 either
  // kind will do (a kind without purposes is left out of the campaign, see askedKinds).
  const need: PersonKind[] = f === 'dependants' ? ['dependant'] : f === 'missing' ? [] : filterKinds(f);
  for (const kind of need) if ((chosen[kind] ?? []).length === 0 && !problems[`purposes_${kind}`]) problems[`purposes_${kind}`] = `${KIND_NOUN[kind]}に通知する利用目的を1つ以上選んでください。`;
  if (f === 'missing' && askedKinds(f, chosen).length === 0) problems.purposes_employee = '従業員または支払先に通知する利用目的を1つ以上選んでください。';
  return problems;
}

/**
 * The kinds of code holders a campaign picks: those of its filter, and for 未取得
 * only the kinds it notifies purposes to (no code asks a payee without a payee purpose).
 */
export function askedKinds(f: CampaignFilter, chosen: CampaignPurposes): PersonKind[] {
  return f === 'missing' ? filterKinds(f).filter((k) => (chosen[k] ?? []).length > 0) : filterKinds(f);
}

const KIND_NOUN: Record<PersonKind, string> = { employee: '従業員', dependant: '扶養親族', payee: '支払先' };

/** A member's state as the progress page counts it. */
export type MemberState = 'pending' | 'issued' | 'expired' | 'submitted' | 'verified';

export const MEMBER_STATE_LABEL: Record<MemberState, string> = {
  pending: '未発行',
  issued: '発行済',
  submitted: '提出済',
  expired: '期限切れ',
  verified: '本人確認済',
};

export type { PurposeCode };
