/**
 * Which person each row of a filing file is about, and whether the row's
 * number may be filled. Pure: the caller gives the register and the use rule.
 *
 * Matching (the stricter reading throughout: a row is filled only when one
 * person is certain, else the handler decides on the review page):
 * - 社員番号 where the file carries it: one person with that code and the same
 *   name is certain; the same code under another name (改姓?) or birth date asks
 *   the handler; an unknown code falls back to name + birth date, asking.
 * - else name + birth date, both normalised as the register's search is
 *   (searchKey: NFKC, kana folded, no spaces): one person with both is certain;
 *   a row or person without a birth date asks (but a company payee, which has
 *   none, is decided by its name when it is the only one); a name whose birth date differs
 *   is another person (同姓同名) and the row is unmatched.
 * - 配偶者・扶養親族 only within the matched subject's family, by name (+ birth date).
 * A choice the handler made (resolutions) must be one of the row's candidates.
 *
 * Filling: a person with a 法人番号 (a company payee) gets it in the row's
 * 13-digit field; any other person gets the 個人番号 in the 12-digit field, only
 * if a number is held and the use is lawful for the kind's purpose (the
 * domain's purposeUse, given as `verdict`: notified to the person, the state
 * still gives rise to it — 番号法9条・19条, PPC guideline 事業者編 第4-1-(1)).
 * Persons who left or ended during the file's year are included (their
 * 源泉徴収票・給与支払報告書・支払調書 of that year are due, 所得税法226条);
 * persons who ended before the year began are refused.
 */
import type { NumberSpan, ParsedFiling } from './filing.js';
import type { PersonId, PersonKind } from './persons.js';
import { searchKey } from './search-text.js';

export interface MatchPerson {
  readonly id: PersonId;
  readonly kind: PersonKind;
  readonly code: string | null;
  readonly name: string;
  readonly birthDate: string | null;
  readonly supporterId: PersonId | null;
  readonly corporateNumber: string | null;
  /** 退職日・取引終了日, or for a dependant the day they stopped being one; null while current. */
  readonly endedOn: string | null;
  /** A sealed 個人番号 is held. */
  readonly hasNumber: boolean;
}

export type UseVerdict = { allowed: true } | { allowed: false; message: string };

export interface MatchInput {
  readonly filing: ParsedFiling;
  readonly persons: readonly MatchPerson[];
  /** The use rule for the codec's purpose, for a person whose 個人番号 would be filled. */
  readonly verdict: (personId: PersonId) => UseVerdict;
  /** The year the file is for (the file's own, else the handler's choice). */
  readonly year?: number;
  /** Row key (rowKey) → the person the handler chose. */
  readonly resolutions?: ReadonlyMap<string, PersonId>;
}

export interface Candidate {
  readonly id: PersonId;
  readonly kind: PersonKind;
  readonly code: string | null;
  readonly name: string;
  readonly birthDate: string | null;
  readonly ended: boolean;
}

export interface Fill {
  readonly span: NumberSpan;
  readonly personId: PersonId;
  /** 'number': the person's sealed 個人番号, opened at approval; 'corporate': the 法人番号 (public, not sealed). */
  readonly source: 'number' | 'corporate';
}

interface RowBase {
  /** 'L' + line for a subject, 'L' + line + '-' + n for its nth dependant. */
  readonly key: string;
  readonly line: number;
  readonly name: string;
  readonly role: 'subject' | 'dependant';
}

export type RowOutcome =
  | (RowBase & { readonly state: 'filled'; readonly personId: PersonId; readonly fills: readonly Fill[] })
  | (RowBase & { readonly state: 'ambiguous'; readonly reason: string; readonly candidates: readonly Candidate[] })
  | (RowBase & { readonly state: 'unmatched'; readonly reason: string })
  | (RowBase & { readonly state: 'refused'; readonly personId: PersonId; readonly reason: string });

export interface FilingMatch {
  readonly outcomes: readonly RowOutcome[];
  /** Every number to write, spans in file order. */
  readonly fills: readonly Fill[];
  /** Persons whose 個人番号 is opened, each once, in first-seen order. */
  readonly numberPersons: readonly PersonId[];
  /** Every person the merged file names (numbers and 法人番号). */
  readonly persons: readonly PersonId[];
  readonly ambiguous: number;
  readonly unfilled: number;
}

export const rowKey = (line: number, dependant?: number) => (dependant === undefined ? `L${line}` : `L${line}-${dependant}`);

const REASON = {
  codeNameDiffers: '社員番号は一致しますが、氏名または生年月日が登録と違います（改姓などを確認して選んでください）',
  codeUnknown: '社員番号が登録にありません。氏名が同じ人物から選んでください',
  noBirth: '生年月日がファイルか登録にないため、氏名だけでは決められません。選んでください',
  several: '氏名と生年月日が同じ人物が複数います。選んでください',
  notFound: '氏名と生年月日が一致する人物が登録されていません',
  birthDiffers: '氏名は一致しますが生年月日が違います（同姓同名の別人とみなしました）',
  noDependant: 'この従業員の扶養親族として登録されていません',
  subjectOpen: '本人（同じ行の従業員）が決まるまで照合できません',
  noNumber: '個人番号が登録されていません（未提供・廃棄済を含む）',
  notCorporate: 'ファイルでは法人ですが、法人番号が登録された支払先ではありません',
  noCorporateField: '法人番号が登録された支払先ですが、この行に法人番号の欄がありません',
  noNumberField: 'この行に個人番号の欄がありません',
  chosenNotCandidate: '選ばれた人物はこの行の候補ではありません',
} as const;

const yearEnded = (year: number) => `${year}年より前に退職・取引終了・扶養の異動をしています（この年分の対象外）`;

const candidate = (p: MatchPerson): Candidate => ({ id: p.id, kind: p.kind, code: p.code, name: p.name, birthDate: p.birthDate, ended: p.endedOn !== null });

type Found = { person: MatchPerson } | { ambiguous: string; candidates: MatchPerson[] } | { unmatched: string };

/** By name (+ birth date) among a set of persons. */
function byNameAndBirth(pool: readonly MatchPerson[], birthDate: string | undefined, none: string): Found {
  if (pool.length === 0) return { unmatched: none };
  // A company has no birth date: its name alone decides when it is the only one of that name.
  if (birthDate === undefined && pool.length === 1 && pool[0]!.corporateNumber !== null) return { person: pool[0]! };
  if (birthDate === undefined) return { ambiguous: REASON.noBirth, candidates: [...pool] };
  const exact = pool.filter((p) => p.birthDate === birthDate);
  if (exact.length === 1) return { person: exact[0]! };
  if (exact.length > 1) return { ambiguous: REASON.several, candidates: exact };
  const unknown = pool.filter((p) => p.birthDate === null);
  if (unknown.length > 0) return { ambiguous: REASON.noBirth, candidates: unknown };
  return { unmatched: REASON.birthDiffers };
}

/**
 * Groups by key. A person listed once per role (employee and payee) is one
 * candidate under a key: the entry kept is the one that ended last (a running
 * role first), so the year's check asks whether every role ended before it.
 */
function group<K>(persons: readonly MatchPerson[], key: (p: MatchPerson) => K | null): Map<K, MatchPerson[]> {
  const m = new Map<K, MatchPerson[]>();
  for (const p of persons) {
    const k = key(p);
    if (k === null) continue;
    const list = m.get(k);
    const same = list?.findIndex((q) => q.id === p.id) ?? -1;
    if (list && same >= 0) {
      const kept = list[same]!;
      if (kept.endedOn !== null && (p.endedOn === null || p.endedOn > kept.endedOn)) list[same] = p;
    } else if (list) list.push(p);
    else m.set(k, [p]);
  }
  return m;
}

export function matchFiling(input: MatchInput): FilingMatch {
  const subjects = input.persons.filter((p) => p.kind !== 'dependant');
  const byName = group(subjects, (p) => searchKey(p.name));
  const byCode = group(subjects, (p) => (p.code === null ? null : p.code.normalize('NFKC').trim()));
  const family = group(
    input.persons.filter((p) => p.kind === 'dependant'),
    (p) => p.supporterId,
  );
  const yearStart = input.year === undefined ? undefined : `${input.year}-01-01`;
  const outcomes: RowOutcome[] = [];

  /** Applies the handler's choice, then the use rules, to what matching found. */
  const settle = (base: RowBase, found: Found, spans: readonly NumberSpan[], corporateRow: boolean): RowOutcome => {
    const chosen = input.resolutions?.get(base.key);
    if (chosen !== undefined && 'ambiguous' in found) {
      const pick = found.candidates.find((c) => c.id === chosen);
      if (!pick) return { ...base, state: 'ambiguous', reason: REASON.chosenNotCandidate, candidates: found.candidates.map(candidate) };
      found = { person: pick };
    }
    if ('unmatched' in found) return { ...base, state: 'unmatched', reason: found.unmatched };
    if ('ambiguous' in found) return { ...base, state: 'ambiguous', reason: found.ambiguous, candidates: found.candidates.map(candidate) };
    const p = found.person;
    const refuse = (reason: string): RowOutcome => ({ ...base, state: 'refused', personId: p.id, reason });
    if (yearStart !== undefined && p.endedOn !== null && p.endedOn < yearStart) return refuse(yearEnded(input.year!));
    if (p.corporateNumber !== null) {
      const field = spans.filter((s) => s.digits === 13);
      if (field.length === 0) return refuse(REASON.noCorporateField);
      return { ...base, state: 'filled', personId: p.id, fills: field.map((span) => ({ span, personId: p.id, source: 'corporate' as const })) };
    }
    if (corporateRow) return refuse(REASON.notCorporate);
    const field = spans.filter((s) => s.digits === 12);
    if (field.length === 0) return refuse(REASON.noNumberField);
    if (!p.hasNumber) return refuse(REASON.noNumber);
    const v = input.verdict(p.id);
    if (!v.allowed) return refuse(v.message);
    return { ...base, state: 'filled', personId: p.id, fills: field.map((span) => ({ span, personId: p.id, source: 'number' as const })) };
  };

  for (const row of input.filing.rows) {
    const base: RowBase = { key: rowKey(row.line), line: row.line, name: row.name, role: 'subject' };
    const nameKey = searchKey(row.name);
    const named = byName.get(nameKey) ?? [];
    let found: Found;
    const code = row.employeeCode?.normalize('NFKC').trim();
    if (code) {
      const coded = byCode.get(code) ?? [];
      const sameName = coded.filter((p) => searchKey(p.name) === nameKey && (row.birthDate === undefined || p.birthDate === null || p.birthDate === row.birthDate));
      if (sameName.length === 1) found = { person: sameName[0]! };
      else if (sameName.length > 1) found = { ambiguous: REASON.several, candidates: sameName };
      else if (coded.length > 0) found = { ambiguous: REASON.codeNameDiffers, candidates: coded };
      else if (named.length > 0) found = { ambiguous: REASON.codeUnknown, candidates: named };
      else found = { unmatched: REASON.notFound };
    } else {
      found = byNameAndBirth(named, row.birthDate, REASON.notFound);
    }
    const subject = settle(base, found, row.spans, row.corporate);
    outcomes.push(subject);
    const subjectId = subject.state === 'filled' || subject.state === 'refused' ? subject.personId : undefined;
    row.dependants.forEach((d, i) => {
      const dBase: RowBase = { key: rowKey(row.line, i + 1), line: d.line ?? row.line, name: d.name, role: 'dependant' };
      if (subjectId === undefined) {
        outcomes.push({ ...dBase, state: 'unmatched', reason: REASON.subjectOpen });
        return;
      }
      const pool = (family.get(subjectId) ?? []).filter((p) => searchKey(p.name) === searchKey(d.name));
      // The 源泉徴収票 and 給与支払報告書 carry no birth date for a 配偶者 or 扶養親族: within the matched
      // subject's own family, a name that only one member bears decides; two of one name are asked.
      const found: Found = d.birthDate === undefined && pool.length === 1 ? { person: pool[0]! } : byNameAndBirth(pool, d.birthDate, REASON.noDependant);
      outcomes.push(settle(dBase, found, [d.span], false));
    });
  }

  const fills = outcomes.flatMap((o) => (o.state === 'filled' ? o.fills : [])).sort((a, b) => a.span.start - b.span.start);
  const numberPersons = [...new Set(fills.filter((f) => f.source === 'number').map((f) => f.personId))];
  const persons = [...new Set(fills.map((f) => f.personId))];
  return {
    outcomes,
    fills,
    numberPersons,
    persons,
    ambiguous: outcomes.filter((o) => o.state === 'ambiguous').length,
    unfilled: outcomes.filter((o) => o.state !== 'filled').length,
  };
}
