import type { Person } from './persons.js';

/**
 * A first estimate of when a person's number may be disposed of (保管期間),
 * from reference/domain-facts.md §2.9: 扶養控除等申告書 are kept 7 years from the
 * day after their deadline (January 10 of the year after they were filed), and
 * the last one is filed in the year of retirement. The rules become editable
 * data with the lifecycle work; until then this is shown as an estimate.
 * Returns null while the person is still employed (the clock has not started).
 */
export function estimatedRetentionEnd(person: Pick<Person, 'kind' | 'status' | 'retiredOn'>, dependantUntil?: string | null): string | null {
  const start = person.kind === 'dependant' ? (dependantUntil ?? null) : person.status === 'retired' ? person.retiredOn : null;
  if (!start) return null;
  const year = Number(start.slice(0, 4));
  return `${year + 8}-01-10`;
}
