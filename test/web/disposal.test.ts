import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser } from '../../src/services/accounts.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { M } from '../../src/web/messages.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const N1 = syntheticNumber(1, 62);
const N2 = syntheticNumber(2, 62);
const N3 = syntheticNumber(3, 62);
const T = M.retention;

async function setUp() {
  const { vault } = await newTestVault(fixedClock('2035-04-01T00:00:00Z'));
  await addStaff(vault);
  const system = { id: 'test', name: 'テスト' };
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,退職 一郎,${N1}\n従業員,E2,退職 二郎,${N2}\n従業員,E3,在職 三郎,${N3}\n`), { purposes: ALL_PURPOSES, actor: system });
  const ids = { e1: vault.persons.codes('employee').get('E1')!, e2: vault.persons.codes('employee').get('E2')!, e3: vault.persons.codes('employee').get('E3')! };
  retirePerson(vault, system, ids.e1, '2026-03-31', null);
  retirePerson(vault, system, ids.e2, '2026-03-31', null);
  const app = testApp(vault);
  const as = async (who: { login: string; password: string }) => {
    const b = new Browser(app);
    await b.signIn(who.login, who.password);
    await b.get('/');
    return b;
  };
  return { vault, app, ids, as };
}

function noLeak(text: string): void {
  for (const n of [N1, N2, N3]) expect(text).not.toContain(n);
  expect(text).not.toMatch(/at [\w.<>]+ \(|Error:|node_modules/u);
}

describe('disposal pages', () => {
  it('a handler proposes a batch, an admin approves, and the register and person page show 廃棄済 with the date', async () => {
    const { vault, app, ids, as } = await setUp();
    const handler = await as(HANDLER);
    const list = await handler.get('/disposal');
    expect(list.status).toBe(200);
    expect(list.text).toContain('2034年3月末（2名）');
    expect(list.text).toContain('退職 一郎');
    expect(list.text).toContain('扶養控除等申告書 7年');
    expect(list.text).not.toContain('在職 三郎');
    const proposed = await handler.post('/disposal', { batch: '2034-03-31', note: '年度末の廃棄' });
    expect(proposed.status).toBe(303);
    const path = proposed.headers.location!;
    expect(path).toMatch(/^\/disposal\/\d+$/u);
    expect((await handler.post(`${path}/approve`)).status).toBe(403);

    const admin = await as(ADMIN);
    const page = await admin.get(path);
    expect(page.text).toContain(T.record.state.proposed);
    expect(page.text).toContain(T.record.approve);
    // Approval destroys numbers: the first post only asks to confirm, and nothing is destroyed.
    const asked = await admin.post(`${path}/approve`);
    expect(asked.status).toBe(200);
    expect(asked.text).toContain(M.accounts.confirm.disposal.message);
    expect((await admin.get(path)).text).toContain(T.record.state.proposed);
    const approved = await admin.post(`${path}/approve`, { confirm: '1' });
    expect(approved.status).toBe(303);
    const done = await admin.get(approved.headers.location!);
    expect(done.text).toContain('廃棄しました（2名）');
    expect(done.text).toContain(T.record.state.executed);
    expect(done.text).toContain('2035年6月30日');
    noLeak(done.text);

    const person = await admin.get(`/persons/${ids.e1}`);
    expect(person.text).toContain(M.numberState.disposed);
    expect(person.text).toContain('2035/04/01 09:00');
    expect(person.text).not.toContain('/gate/reveal');
    const register = await admin.get('/persons');
    expect(register.text).toContain(`${T.person.disposedOn} 2035/04/01 09:00`);
    expect(vault.persons.numberOf(ids.e3)!.state).toBe('held');
    expect((await handler.get('/disposal')).text).toContain(T.list.none);
    expect(app).toBeDefined();
  });

  it('shows the auditor the list without propose buttons and refuses their posts; anonymous goes to sign-in', async () => {
    const { as, app } = await setUp();
    const auditor = await as(AUDITOR);
    const list = await auditor.get('/disposal');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(T.list.proposeBatch);
    expect((await auditor.post('/disposal', { batch: '2034-03-31' })).status).toBe(403);
    expect((await auditor.get('/admin/retention')).text).toContain(T.rules.readOnly);
    expect((await auditor.post('/admin/retention/schedule', { batchMonth: '3', backupRetentionDays: '90' })).status).toBe(403);
    expect((await new Browser(app).get('/disposal')).headers.location).toBe('/login');
  });

  it('refuses the proposing admin as approver when a second admin exists, over HTTP', async () => {
    const { vault, as } = await setUp();
    const first = vault.users.byLogin(ADMIN.login)!;
    await createUser(vault, { id: first.id, name: first.displayName }, { login: 'kanri2', displayName: '責任者 二号', role: 'admin', password: new Secret('second admin pass 1') }, null);
    const admin = await as(ADMIN);
    const path = (await admin.post('/disposal', { batch: '2034-03-31' })).headers.location!;
    expect((await admin.get(path)).text).toContain(T.record.cannotApproveOwn);
    const refused = await admin.post(`${path}/approve`, { confirm: '1' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('提案した本人は承認できません');
    const second = await as({ login: 'kanri2', password: 'second admin pass 1' });
    await second.get(path);
    expect((await second.post(`${path}/approve`, { confirm: '1' })).status).toBe(303);
  });

  it('sets and clears a legal hold from the person page, and the list shows it apart', async () => {
    const { vault, ids, as } = await setUp();
    const handler = await as(HANDLER);
    await handler.get(`/persons/${ids.e2}`);
    expect((await handler.post(`/persons/${ids.e2}/hold`, { reason: '税務調査対応中' })).status).toBe(303);
    const person = await handler.get(`/persons/${ids.e2}`);
    expect(person.text).toContain('税務調査対応中');
    expect(person.text).toContain(T.person.holdClear);
    const list = await handler.get('/disposal');
    expect(list.text).toContain('2034年3月末（1名）');
    expect(list.text.split(T.list.heldTitle)[1]).toContain('退職 二郎');
    expect((await handler.post(`/persons/${ids.e2}/hold/clear`)).status).toBe(303);
    expect(auditEvents(vault).map((e) => e.action).filter((a) => a.startsWith('retention.hold'))).toEqual(['retention.hold_set', 'retention.hold_cleared']);
  });

  it('lets an admin edit a rule and the schedule, audited with the client', async () => {
    const { vault, as } = await setUp();
    const admin = await as(ADMIN);
    const page = await admin.get('/admin/retention');
    expect(page.text).toContain('所得税法施行規則第76条の3');
    const saved = await admin.post('/admin/retention/rules/employment_insurance', { years: '5', start: 'event_date', source: '社内規程（2035年改定）' });
    expect(saved.headers.location).toBe('/admin/retention?saved=1');
    expect((await admin.post('/admin/retention/schedule', { batchMonth: '12', backupRetentionDays: '60' })).status).toBe(303);
    const events = auditEvents(vault).filter((e) => e.action.startsWith('retention.'));
    expect(events.map((e) => e.action)).toEqual(['retention.rule_changed', 'retention.schedule_changed']);
    expect(events[0]!.detail).toMatchObject({ rule: 'employment_insurance', years_before: 4, years: 5 });
    expect(events[0]!.client).not.toBeNull();
    expect((await admin.get('/disposal')).text).toContain('2034年12月末');
  });

  it('answers hostile input with a Japanese 400 and stores nothing', async () => {
    const { vault, ids, as } = await setUp();
    const handler = await as(HANDLER);
    const admin = await as(ADMIN);
    await handler.get('/disposal');
    const before = vault.auditRepo.count();
    const cases: [Browser, string, Record<string, string | string[]>, number, string][] = [
      [handler, '/disposal', { batch: 'abc' }, 400, '指定してください'],
      [handler, '/disposal', {}, 400, '指定してください'],
      [handler, '/disposal', { personId: 'x' }, 400, '正しくありません'],
      [handler, '/disposal', { personId: String(ids.e3) }, 400, '在職 三郎'],
      [handler, '/disposal', { personId: '99999' }, 400, '#99999'],
      [handler, '/disposal', { batch: '2034-03-31', note: `番号 ${N3}` }, 400, '12桁'],
      [handler, '/disposal', { batch: '2034-03-31', note: ['a', 'b'] }, 400, '形式が正しくありません'],
      [handler, '/disposal', { batch: '2034-03-31', extra: '1' }, 400, '形式が正しくありません'],
      [handler, '/disposal', { batch: '2034-03-31', note: 'x'.repeat(1001) }, 400, '形式が正しくありません'],
      [handler, '/disposal', { batch: '2034-03-31', note: 'a\u202eb' }, 400, '制御文字'],
      [handler, `/persons/${ids.e1}/hold`, { reason: '' }, 400, '保留の理由を入れてください'],
      [handler, `/persons/${ids.e1}/hold/clear`, {}, 409, '保留中ではありません'],
      [handler, '/persons/abc/hold', { reason: 'x' }, 404, 'ページは存在しません'],
      [admin, '/admin/retention/rules/employment_insurance', { years: 'abc', start: 'event_date', source: 's' }, 400, '0〜30の整数'],
      [admin, '/admin/retention/rules/employment_insurance', { years: '4', start: 'whenever', source: 's' }, 400, '起算の方法'],
      [admin, '/admin/retention/rules/no_such_rule', { years: '4', start: 'event_date', source: 's' }, 404, 'ルールはありません'],
      [admin, '/admin/retention/rules/DROP%20TABLE', { years: '4', start: 'event_date', source: 's' }, 404, 'ありません'],
      [admin, '/admin/retention/schedule', { batchMonth: '13', backupRetentionDays: '90' }, 400, '1〜12'],
      [admin, '/admin/retention/schedule', { batchMonth: '3', backupRetentionDays: '0' }, 400, '1〜3650'],
      [admin, '/disposal/abc/approve', {}, 404, 'ページは存在しません'],
      [admin, '/disposal/424242/approve', {}, 404, '廃棄の記録'],
      [handler, '/admin/retention/schedule', { batchMonth: '3', backupRetentionDays: '90' }, 403, M.forbidden],
    ];
    for (const [who, path, form, status, text] of cases) {
      const res = await who.post(path, form);
      expect([path, res.status], JSON.stringify(form).slice(0, 80)).toEqual([path, status]);
      expect(res.text).toContain(text);
      noLeak(res.text);
    }
    expect(vault.auditRepo.count()).toBe(before);
    expect(vault.retention.disposals('proposed')).toEqual([]);
  });
});
