import { japanDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { checkFilingYear } from '../domain/filing-record.js';
import { missingFilings, yearPersonCells, type PersonFiling, type YearPersonCell, type YearPersonFiling } from '../domain/filing-year-person.js';
import { FilingYearPersonsRepo, type DependantRow, type PersonFilingRow, type YearPersonRow } from '../storage/filing-year-persons-repo.js';
import type { Vault } from './vault.js';

export const YEAR_PERSONS_PAGE = 50;

export interface YearPersonEntry {
  person: YearPersonRow;
  cells: Record<YearPersonFiling, YearPersonCell>;
  missing: YearPersonFiling[];
  dependants: { dependant: DependantRow; filings: PersonFiling[] }[];
}

export interface YearPersonsView {
  year: number;
  entries: YearPersonEntry[];
  /** The id to continue after, when there is a next page. */
  next: number | null;
}

const byPerson = (rows: readonly PersonFilingRow[]) => {
  const m = new Map<number, PersonFiling[]>();
  for (const r of rows) m.set(r.personId, [...(m.get(r.personId) ?? []), { kind: r.kind, destinationName: r.destinationName, submittedOn: r.submittedOn }]);
  return m;
};

/**
 * The year view per person: for one page of the year's employees and payees,
 * which filings carry them and which are still missing, with each employee's
 * dependants and the filings that named them. Three reads of index seeks for
 * the page; never a number (the rows carry names, codes and filings).
 */
export function yearPersonsView(vault: Pick<Vault, 'db' | 'clock'>, input: { year?: string; after?: string }): YearPersonsView {
  const year = checkFilingYear(input.year, vault.clock.now());
  if (year === undefined) throw new AppError('invalid', `年分は2016年から${japanDate(vault.clock.now()).slice(0, 4)}年までの西暦4桁で入れてください。`);
  const after = /^[0-9]{1,12}$/u.test(input.after ?? '') ? Number(input.after) : 0;
  const repo = new FilingYearPersonsRepo(vault.db);
  const persons = repo.page(year, after, YEAR_PERSONS_PAGE);
  const more = persons.length > YEAR_PERSONS_PAGE;
  if (more) persons.pop();
  const dependants = repo.dependantsOf(persons.filter((p) => p.employee === 1).map((p) => p.id));
  const filings = byPerson(repo.filingsOf([...persons.map((p) => p.id), ...dependants.map((d) => d.id)], year));
  const entries = persons.map((person): YearPersonEntry => {
    const cells = yearPersonCells(
      { employee: person.employee === 1, payee: person.payee === 1, joinedInYear: person.joinedInYear === 1, leftInYear: person.leftInYear === 1 },
      filings.get(person.id) ?? [],
    );
    return {
      person,
      cells,
      missing: missingFilings(cells),
      dependants: dependants.filter((d) => d.supporterId === person.id).map((dependant) => ({ dependant, filings: filings.get(dependant.id) ?? [] })),
    };
  });
  return { year, entries, next: more ? persons[persons.length - 1]!.id : null };
}
