import { japanDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { checkFilingYear, isFilingKind, YEARLY_FILING_SCOPE } from '../domain/filing-record.js';
import { FILING_YEAR_STATES, isFilingYearState, READY_STATES, type FilingYearState } from '../domain/filing-year.js';
import type { FilingKind } from '../domain/filing.js';
import { FilingYearRepo, type FilingYearFilter, type FilingYearRow } from '../storage/filing-year-repo.js';
import type { Vault } from './vault.js';

export const YEAR_VIEW_PAGE = 50;

export type YearViewList = FilingYearState | 'filed' | 'unfiled';

/** A form's 年分 (checkFilingYear: 2016 to this year in Japan); anything else is refused, naming the range. */
export function requireFilingYear(input: string | undefined, now: Date): number {
  const year = checkFilingYear(input, now);
  if (year === undefined) throw new AppError('invalid', `年分は2016年から${japanDate(now).slice(0, 4)}年までの西暦4桁で入れてください。`);
  return year;
}

/** A form's optional 年分: empty is none, anything else as requireFilingYear. */
export function optionalFilingYear(input: string | undefined, now: Date): number | undefined {
  return (input ?? '').normalize('NFKC').trim() === '' ? undefined : requireFilingYear(input, now);
}

export interface YearView {
  year: number;
  kind: FilingKind;
  purpose: string;
  total: number;
  ready: number;
  notReady: number;
  filed: number;
  states: { state: FilingYearState; n: number }[];
  list: YearViewList;
  rows: FilingYearRow[];
  /** The id to continue after, when there is a next page. */
  next: number | null;
}

/**
 * The year view of a filing kind: counts of who needs the filing, who has a
 * number for its purpose, who not and why, who was filed; plus one page of
 * the list asked for. Never a number: the rows carry names, codes and states.
 */
export function yearView(vault: Pick<Vault, 'db' | 'clock'>, input: { year?: string; kind?: string; list?: string; after?: string }): YearView {
  const year = requireFilingYear(input.year, vault.clock.now());
  const kind = input.kind ?? '';
  const scope = isFilingKind(kind) ? YEARLY_FILING_SCOPE[kind] : undefined;
  if (!isFilingKind(kind) || !scope) throw new AppError('invalid', '書類の種類を一覧から選んでください（年に一度の源泉徴収票・給与支払報告書・支払調書）。');
  const list: YearViewList = input.list === 'filed' || input.list === 'unfiled' || (input.list !== undefined && isFilingYearState(input.list)) ? input.list : 'unfiled';
  const after = /^[0-9]{1,12}$/u.test(input.after ?? '') ? Number(input.after) : 0;
  const repo = new FilingYearRepo(vault.db);
  const q = { kind, set: scope.set, purpose: scope.purpose, year };
  const counts = repo.counts(q);
  const filter: FilingYearFilter = list === 'filed' ? { filed: true } : list === 'unfiled' ? { filed: false } : { state: list };
  const rows = repo.page(q, filter, after, YEAR_VIEW_PAGE);
  const more = rows.length > YEAR_VIEW_PAGE;
  if (more) rows.pop();
  const ready = READY_STATES.reduce((a, s) => a + (counts.states.get(s) ?? 0), 0);
  return {
    year,
    kind,
    purpose: scope.purpose,
    total: counts.total,
    ready,
    notReady: counts.total - ready,
    filed: counts.filed,
    states: FILING_YEAR_STATES.map((state) => ({ state, n: counts.states.get(state) ?? 0 })),
    list,
    rows,
    next: more ? rows[rows.length - 1]!.id : null,
  };
}
