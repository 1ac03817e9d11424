import type { Actor } from '../domain/audit-events.js';
import { japanDate } from '../domain/dates.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import type { Person, PersonId, PersonKind } from '../domain/persons.js';
import { disposalBatch, finalPaymentMissing, isDue, personRetentionEnd, RETENTION_STARTS, type RetentionFacts, type RetentionResult, type RetentionStart } from '../domain/retention.js';
import type { PersonRole } from '../domain/roles.js';
import { writeTransaction } from '../storage/database.js';
import type { LegalHold, StoredRule } from '../storage/retention-repo.js';
import { FormError, type FieldErrors } from './accounts.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import type { Vault } from './vault.js';

/** The part of the vault `updateRule` and `updateSchedule` use. */
export type RetentionRuleStore = Pick<Vault, 'db' | 'retention' | 'audit' | 'clock'>;

/** The part of the vault `setHold` and `clearHold` use. */
export type HoldStore = Pick<Vault, 'db' | 'persons' | 'retention' | 'audit' | 'clock'>;

/** The part of the vault `assessed`, `retentionEndsOf` and `personRetention` use. */
export type RetentionReader = Pick<Vault, 'persons' | 'roles' | 'retention'>;

/** The part of the vault `dueEntries`, `retentionOverview` and `disposalList` use. */
export type RetentionDueReader = Pick<Vault, 'persons' | 'roles' | 'retention' | 'clock'>;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A free text (reason, source, note): trimmed, bounded, no control characters, never a number. */
export function cleanText(input: string | undefined, field: string, label: string, max: number, required: boolean): string | null {
  // Line breaks in a textarea fold to spaces below, as before; everything else unsafe is refused.
  const unsafe = unsafeTextProblem(label, edgeSpaceTrimmed((input ?? '').replace(/[\t\r\n]+/gu, ' ')));
  if (unsafe !== null) throw new FormError({ [field]: unsafe });
  const s = normaliseText(input ?? '').replace(/\s+/gu, ' ').trim();
  if (s === '') {
    if (required) throw new FormError({ [field]: `${label}を入れてください。` });
    return null;
  }
  if (s.length > max) throw new FormError({ [field]: `${label}は${max}文字以内にしてください。` });
  if (CONTROL.test(s)) throw new FormError({ [field]: `${label}に制御文字は使えません。` });
  if (looksLikeNumber(s)) throw new FormError({ [field]: `${label}に12桁・13桁の数字は入れられません（個人番号を書かないでください）。` });
  return s;
}

function intField(input: string | undefined, field: string, label: string, min: number, max: number): number {
  const s = (input ?? '').normalize('NFKC').trim();
  if (!/^\d{1,4}$/u.test(s) || Number(s) < min || Number(s) > max) throw new FormError({ [field]: `${label}は${min}〜${max}の整数で入れてください。` });
  return Number(s);
}

export interface RuleForm {
  years?: string | undefined;
  start?: string | undefined;
  source?: string | undefined;
}

/** Changes a rule's years, start or source note. Audited as retention.rule_changed; no change, no event. */
export function updateRule(vault: RetentionRuleStore, actor: Actor, code: string, form: RuleForm, client: string | null): void {
  const before = vault.retention.rules().find((r) => r.code === code) ?? raise('not_found', '指定された保管期間のルールはありません。');
  const errors: FieldErrors = {};
  const take = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (err instanceof FormError) Object.assign(errors, err.fields);
      else throw err;
      return undefined;
    }
  };
  const years = take(() => intField(form.years, 'years', '保管年数', 0, 30));
  const start = take(() => {
    if (!RETENTION_STARTS.includes(form.start as RetentionStart)) throw new FormError({ start: '起算の方法を一覧から選んでください。' });
    return form.start as RetentionStart;
  });
  const source = take(() => cleanText(form.source, 'source', '根拠（出典）', 500, true));
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  if (years === before.years && start === before.start && source === before.source) return;
  writeTransaction(vault.db, () => {
    vault.retention.updateRule(code, { years: years!, start: start!, source: source! }, actor.id, vault.clock.now().toISOString());
    vault.audit.append({
      actor,
      action: 'retention.rule_changed',
      client,
      detail: { rule: code, years_before: before.years, years: years!, start_before: before.start, start: start!, source_changed: source !== before.source },
    });
  });
}

export interface ScheduleForm {
  batchMonth?: string | undefined;
  backupRetentionDays?: string | undefined;
}

/** The batch month (事業年度末, 1-12) and the backup retention in days. Audited as retention.schedule_changed. */
export function updateSchedule(vault: RetentionRuleStore, actor: Actor, form: ScheduleForm, client: string | null): void {
  const errors: FieldErrors = {};
  let month = 0;
  let days = 0;
  try {
    month = intField(form.batchMonth, 'batchMonth', '廃棄をまとめる月', 1, 12);
  } catch (err) {
    if (!(err instanceof FormError)) throw err;
    Object.assign(errors, err.fields);
  }
  try {
    days = intField(form.backupRetentionDays, 'backupRetentionDays', 'バックアップの保管日数', 1, 3650);
  } catch (err) {
    if (!(err instanceof FormError)) throw err;
    Object.assign(errors, err.fields);
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const before = schedule(vault);
  if (before.batchMonth === month && before.backupRetentionDays === days) return;
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    vault.retention.setSetting('batch_month', month, actor.id, at);
    vault.retention.setSetting('backup_retention_days', days, actor.id, at);
    vault.audit.append({
      actor,
      action: 'retention.schedule_changed',
      client,
      detail: { batch_month_before: before.batchMonth, batch_month: month, backup_retention_days_before: before.backupRetentionDays, backup_retention_days: days },
    });
  });
}

export function schedule(vault: Pick<Vault, 'retention'>): { batchMonth: number; backupRetentionDays: number } {
  return { batchMonth: vault.retention.setting('batch_month'), backupRetentionDays: vault.retention.setting('backup_retention_days') };
}

/** Marks a person as still needed (an ongoing procedure): disposal skips them. Audited as retention.hold_set. */
export function setHold(vault: HoldStore, actor: Actor, personId: PersonId, reasonInput: string | undefined, client: string | null): void {
  const person = vault.persons.byId(personId) ?? raise('not_found', '指定された人物は登録されていません。');
  const reason = cleanText(reasonInput, 'reason', '保留の理由', 200, true)!;
  writeTransaction(vault.db, () => {
    if (vault.retention.holdOf(personId)) throw new AppError('conflict', 'この人物は既に廃棄の保留中です。理由を変えるときは一度解除してから設定してください。');
    vault.retention.setHold(personId, reason, actor.id, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'retention.hold_set', subjects: [{ id: person.id, name: person.name }], client, detail: { reason } });
  });
}

/** Ends a hold. Audited as retention.hold_cleared with the reason it had. */
export function clearHold(vault: HoldStore, actor: Actor, personId: PersonId, client: string | null): void {
  const person = vault.persons.byId(personId) ?? raise('not_found', '指定された人物は登録されていません。');
  writeTransaction(vault.db, () => {
    const hold = vault.retention.holdOf(personId) ?? raise('conflict', 'この人物は廃棄の保留中ではありません。');
    vault.retention.clearHold(personId, actor.id, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'retention.hold_cleared', subjects: [{ id: person.id, name: person.name }], client, detail: { reason: hold.reason } });
  });
}

/** A person whose retention has ended, with what made them due and the batch they fall in. */
export interface DueEntry {
  id: PersonId;
  kind: PersonKind;
  code: string | null;
  name: string;
  retention: RetentionResult;
  batch: { date: string; label: string };
  hold: LegalHold | null;
  /** The disposal awaiting approval that already includes them. */
  proposedIn: number | null;
  /** A December leaver with no 最終支払日 recorded: check before disposing. */
  finalPaymentMissing: boolean;
}

/**
 * Every person whose number is held and whose primary role has ended, with
 * the retention of all their roles (personRetentionEnd: null while a further
 * role goes on). The one walk behind the disposal list, the home page's
 * counts and the 管理台帳's retention rows, so they never disagree.
 */
function assessed(vault: RetentionReader, ids?: readonly PersonId[]) {
  const rules = vault.retention.rules();
  // A few persons (a write's marked persons) read their own roles; a walk reads the table once.
  const roles = ids && ids.length <= 64 ? new Map(ids.map((id) => [id, vault.roles.forPerson(id)])) : vault.roles.allByPerson();
  const supporters = supporterLookup(vault);
  return vault.retention.candidates(ids).map((c) => {
    const facts: RetentionFacts[] = [c, ...(roles.get(c.id) ?? []).map((r) => roleRetentionFacts(r, supporters))];
    return { candidate: c, facts, result: personRetentionEnd(facts, rules) };
  });
}

/**
 * The retention end (personRetentionEnd over every role) of each of `ids`
 * that holds a number and is visible, or null while a role goes on; ids
 * absent from the map hold no number or are not visible. The one computation
 * behind persons.retention_end (services/retention-due.ts).
 */
export function retentionEndsOf(vault: RetentionReader, ids: readonly PersonId[]): Map<PersonId, string | null> {
  return new Map(assessed(vault, ids).map((a) => [a.candidate.id, a.result?.end ?? null]));
}

/** Persons whose number may be disposed of today (Japan time), held ones included and marked. */
export function dueEntries(vault: RetentionDueReader, ids?: readonly PersonId[]): DueEntry[] {
  return dueOf(vault, assessed(vault, ids));
}

function dueOf(vault: Pick<Vault, 'retention' | 'clock'>, all: ReturnType<typeof assessed>): DueEntry[] {
  const today = japanDate(vault.clock.now());
  const month = vault.retention.setting('batch_month');
  const holds = vault.retention.activeHolds();
  const open = vault.retention.openProposals();
  const out: DueEntry[] = [];
  for (const { candidate: c, facts, result: r } of all) {
    if (!r || !isDue(r.end, today)) continue;
    out.push({
      id: c.id, kind: c.kind, code: c.code, name: c.name, retention: r, batch: disposalBatch(r.end, month), hold: holds.get(c.id) ?? null, proposedIn: open.get(c.id) ?? null,
      finalPaymentMissing: facts.some(finalPaymentMissing),
    });
  }
  return out;
}

/**
 * The counts the home page and the 管理台帳 print: persons holding a number
 * whose every role has ended, those of them past retention and those held.
 */
export function retentionOverview(vault: RetentionDueReader): RetentionOverview {
  const all = assessed(vault);
  const due = dueOf(vault, all);
  return { ended: all.filter((a) => a.result !== null).length, due: due.length, held: due.filter((e) => e.hold).length };
}

export interface RetentionOverview {
  ended: number;
  due: number;
  held: number;
}

export interface DueBatch {
  date: string;
  label: string;
  /** The batch's date has passed: these should have been disposed of already. */
  overdue: boolean;
  entries: DueEntry[];
}

/** The disposal list: due persons grouped by batch (oldest first), and the held ones apart. */
export function disposalList(vault: RetentionDueReader): { today: string; batchMonth: number; batches: DueBatch[]; held: DueEntry[] } {
  const today = japanDate(vault.clock.now());
  const all = dueEntries(vault);
  const byBatch = new Map<string, DueBatch>();
  for (const e of all.filter((x) => !x.hold)) {
    const b = byBatch.get(e.batch.date) ?? { date: e.batch.date, label: e.batch.label, overdue: e.batch.date < today, entries: [] };
    b.entries.push(e);
    byBatch.set(e.batch.date, b);
  }
  return {
    today,
    batchMonth: vault.retention.setting('batch_month'),
    batches: [...byBatch.values()].sort((a, b) => a.date.localeCompare(b.date)),
    held: all.filter((x) => x.hold),
  };
}

/** What the person page shows about retention: the end from the rules, the batch, the hold, the disposal. */
export function personRetention(vault: RetentionReader, personId: PersonId): {
  result: RetentionResult | null;
  /** A December leaver with no 最終支払日 recorded: the end may be a year early (warned on the page). */
  finalPaymentMissing: boolean;
  lastPaidOn: string | null;
  batch: { date: string; label: string } | null;
  hold: LegalHold | null;
  disposal: ReturnType<Vault['retention']['executedDisposalOf']>;
  rules: StoredRule[];
} {
  const p = vault.persons.byId(personId) ?? raise('not_found', '指定された人物は登録されていません。');
  const supporter = p.supporterId === null ? undefined : vault.persons.byId(p.supporterId);
  const rules = vault.retention.rules();
  const facts = retentionFactsOf(vault, p, supporter);
  const all = [facts, ...vault.roles.forPerson(p.id).map((r) => roleRetentionFacts(r, supporterLookup(vault)))];
  const result = personRetentionEnd(all, rules);
  return {
    result,
    finalPaymentMissing: all.some(finalPaymentMissing),
    lastPaidOn: facts.lastPaidOn ?? null,
    batch: result ? disposalBatch(result.end, vault.retention.setting('batch_month')) : null,
    hold: vault.retention.holdOf(personId) ?? null,
    disposal: vault.retention.executedDisposalOf(personId),
    rules,
  };
}

type SupporterFacts = { retiredOn: string | null; lastPaidOn: string | null };

/** The supporting employee's 退職日 (once retired) and 最終支払日, looked up once per supporter. */
function supporterLookup(vault: Pick<Vault, 'persons' | 'retention'>): (id: PersonId) => SupporterFacts {
  const seen = new Map<PersonId, SupporterFacts>();
  return (id) => {
    let f = seen.get(id);
    if (!f) {
      const s = vault.persons.byId(id);
      const retired = s?.status === 'retired' && !!s.retiredOn;
      f = { retiredOn: retired ? s.retiredOn : null, lastPaidOn: retired ? vault.retention.lastPaidOn(id) : null };
      seen.set(id, f);
    }
    return f;
  };
}

/**
 * The retention facts of a further role (person_roles): its own end (退職日・
 * 取引終了日, or 異動日 for a dependant role) and 最終支払日; a dependant role
 * also ends with its supporter's 退職 (and counts from the supporter's 最終支払日).
 */
export function roleRetentionFacts(r: PersonRole, supporter: (id: PersonId) => SupporterFacts): RetentionFacts {
  if (r.role === 'dependant') {
    const s = r.supporterId === null ? { retiredOn: null, lastPaidOn: null } : supporter(r.supporterId);
    return { kind: 'dependant', status: 'active', retiredOn: null, dependantUntil: r.endedOn, supporterRetiredOn: s.retiredOn, supporterLastPaidOn: s.lastPaidOn };
  }
  return { kind: r.role, status: r.endedOn ? 'retired' : 'active', retiredOn: r.endedOn, dependantUntil: null, supporterRetiredOn: null, lastPaidOn: r.lastPaidOn };
}

/** The facts retention reads for one person, 最終支払日 (theirs and the supporter's) included. */
export function retentionFactsOf(vault: Pick<Vault, 'persons' | 'retention'>, p: Person, supporter: Person | undefined): RetentionFacts {
  const retired = supporter?.status === 'retired';
  return {
    kind: p.kind,
    status: p.status,
    retiredOn: p.retiredOn,
    dependantUntil: vault.persons.dependantUntil(p.id),
    supporterRetiredOn: retired ? supporter.retiredOn : null,
    lastPaidOn: vault.retention.lastPaidOn(p.id),
    supporterLastPaidOn: retired ? vault.retention.lastPaidOn(supporter.id) : null,
  };
}

function raise(code: 'not_found' | 'conflict', message: string): never {
  throw new AppError(code, message);
}
