import { describe, expect, it } from 'vitest';
import { erasureVerdict, type ErasureFacts, type RoleRetention } from '../../src/domain/erasure.js';
import type { RetentionRule } from '../../src/domain/retention.js';

const RULES: RetentionRule[] = [
  { code: 'dependant_declaration', name: '扶養控除等申告書', document: '', appliesTo: ['employee', 'dependant'], years: 7, start: 'after_jan10_next_year', source: '' },
  { code: 'payment_record', name: '支払調書', document: '', appliesTo: ['payee'], years: 5, start: 'after_jan31_next_year', source: '' },
];
const employee = (retiredOn: string | null): RoleRetention => ({
  role: 'employee', label: '従業員', facts: { kind: 'employee', status: retiredOn ? 'retired' : 'active', retiredOn, dependantUntil: null, supporterRetiredOn: null },
});
const payee = (endedOn: string | null): RoleRetention => ({
  role: 'payee', label: '支払先', facts: { kind: 'payee', status: endedOn ? 'retired' : 'active', retiredOn: endedOn, dependantUntil: null, supporterRetiredOn: null },
});
const facts = (over: Partial<ErasureFacts>): ErasureFacts => ({ numberState: 'disposed', roles: [employee('2026-03-31')], held: false, erased: false, ...over });

describe('erasureVerdict (番号法20条・ガイドライン第4-3-(3), 個人情報保護法22条: the stricter reading)', () => {
  it('allows erasure from the day after the latest retention end of every role, once the number is disposed', () => {
    expect(erasureVerdict(facts({}), RULES, '2034-01-11')).toEqual({ ok: true, from: '2034-01-11' });
    expect(erasureVerdict(facts({}), RULES, '2034-01-10')).toMatchObject({ ok: false, from: '2034-01-11', reason: expect.stringContaining('2034-01-10 まで続きます') });
    const both = facts({ roles: [employee('2026-03-31'), payee('2035-01-15')] });
    expect(erasureVerdict(both, RULES, '2040-01-01')).toMatchObject({ ok: false, from: '2041-02-01' });
    expect(erasureVerdict(both, RULES, '2041-02-01')).toEqual({ ok: true, from: '2041-02-01' });
  });

  it('refuses while the number is held or was never provided, while a role has not ended, under a hold, and twice', () => {
    expect(erasureVerdict(facts({ numberState: 'held' }), RULES, '2040-01-01')).toMatchObject({ ok: false, reason: expect.stringContaining('個人番号をまだ保管しています') });
    expect(erasureVerdict(facts({ numberState: 'not_provided' }), RULES, '2040-01-01')).toMatchObject({ ok: false, reason: expect.stringContaining('未提供') });
    expect(erasureVerdict(facts({ roles: [employee('2026-03-31'), payee(null)] }), RULES, '2040-01-01')).toMatchObject({ ok: false, from: null, reason: expect.stringContaining('役割「支払先」がまだ終了していません') });
    expect(erasureVerdict(facts({ held: true }), RULES, '2040-01-01')).toMatchObject({ ok: false, reason: expect.stringContaining('保留') });
    expect(erasureVerdict(facts({ erased: true }), RULES, '2040-01-01')).toMatchObject({ ok: false, reason: expect.stringContaining('既に削除') });
  });
});
