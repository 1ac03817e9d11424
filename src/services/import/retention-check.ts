import { isDue, retentionEnd, type RetentionFacts } from '../../domain/retention.js';
import type { PersonId } from '../../domain/persons.js';
import type { Vault } from '../vault.js';
import type { PersonDraft } from './validate.js';

/**
 * Rows whose number's retention has already ended on import day: the 事務 and
 * the keeping period are both over, so collecting the number now has no
 * lawful purpose (番号法20条) and it would at once be due for disposal. Such a
 * row is an error: nothing is imported without --skip-invalid, and with it the
 * row is skipped and listed. A dependant counts from its supporter's end (in
 * the file or already registered). Returns the rows that may be stored.
 */
export function dropEndedRetention<T extends PersonDraft>(
  vault: Pick<Vault, 'persons' | 'retention'>,
  drafts: readonly T[],
  registered: ReadonlyMap<string, PersonId>,
  today: string,
  errors: { line: number; message: string }[],
): T[] {
  const rules = vault.retention.rules();
  const employees = new Map(drafts.filter((d) => d.kind === 'employee' && d.code !== null).map((d) => [d.code!, d]));
  const supporterFacts = (code: string): Pick<RetentionFacts, 'supporterRetiredOn' | 'supporterLastPaidOn'> => {
    const inFile = employees.get(code);
    if (inFile) return { supporterRetiredOn: inFile.retiredOn, supporterLastPaidOn: inFile.lastPaidOn };
    const id = registered.get(code);
    const p = id === undefined ? undefined : vault.persons.byId(id);
    if (!p || p.status !== 'retired') return { supporterRetiredOn: null, supporterLastPaidOn: null };
    return { supporterRetiredOn: p.retiredOn, supporterLastPaidOn: vault.retention.lastPaidOn(p.id) };
  };
  return drafts.filter((d) => {
    if (d.number === null) return true;
    const facts: RetentionFacts =
      d.kind === 'dependant'
        ? { kind: d.kind, status: 'active', retiredOn: null, dependantUntil: null, ...supporterFacts(d.supporterCode!) }
        : { kind: d.kind, status: d.retiredOn ? 'retired' : 'active', retiredOn: d.retiredOn, dependantUntil: null, supporterRetiredOn: null, lastPaidOn: d.lastPaidOn };
    const r = retentionEnd(facts, rules);
    if (!r || !isDue(r.end, today)) return true;
    errors.push({
      line: d.line,
      message: `保管期限（${r.end}）を既に過ぎた人の個人番号です。事務が終わり保存期間も過ぎた番号は取り込めません。この行から個人番号を消すか、行ごと外してください（最終支払日が後なら「最終支払日」の列に入れてください）。`,
    });
    return false;
  });
}
