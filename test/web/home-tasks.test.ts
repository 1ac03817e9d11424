import { ALL_PURPOSES, defaultCodePurposes } from '../helpers/purposes.js';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { issueIntakeCode, INTAKE_CODE_TTL_MS } from '../../src/services/intake.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

const NUMBER = syntheticNumber(5_551_234, 3);

async function setUp() {
  const clock = fixedClock('2026-04-10T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { actor: { id: 't', name: 't' }, purposes: ALL_PURPOSES });
  const app = testApp(vault);
  const registrar = new Browser(app);
  await registrar.signIn(ADMIN.login, ADMIN.password);
  await registrar.get('/persons/new');
  for (const [code, name] of [['E2', '未取 二郎'], ['E3', '期限 三子']]) await registrar.post('/persons', { kind: 'employee', code: code!, name: name! });
  const as = async (who: { login: string; password: string }) => {
    const b = new Browser(app);
    await b.signIn(who.login, who.password);
    return b;
  };
  return { vault, clock, app, as };
}

/** The text between the task list's heading and its end. */
const tasksOf = (html: string) => /<section class="tasks"[\s\S]*?<\/section>/u.exec(html)?.[0] ?? '';

describe('home pages are task lists', () => {
  it("handler: own requests with links, persons waiting for intake and identity checks, codes near expiry; no hashes or ids", async () => {
    const s = await setUp();
    const e1 = s.vault.persons.codes('employee').get('E1')!;
    const e3 = s.vault.persons.codes('employee').get('E3')!;
    const admin = s.vault.users.byLogin(ADMIN.login)!;
    // A code issued long enough ago to expire within the next day, and a fresh one that is not listed.
    s.clock.advance(-(INTAKE_CODE_TTL_MS - 12 * 3600_000));
    issueIntakeCode(s.vault, { id: admin.id, name: admin.displayName }, e3, null, defaultCodePurposes(s.vault, e3));
    s.clock.advance(INTAKE_CODE_TTL_MS - 12 * 3600_000);
    const e2 = s.vault.persons.codes('employee').get('E2')!;
    issueIntakeCode(s.vault, { id: admin.id, name: admin.displayName }, e2, null, defaultCodePurposes(s.vault, e2));
    const h = await s.as(HANDLER);
    await h.get(`/persons/${e1}`);
    const asked = await h.post('/gate/reveal', { personId: String(e1), purpose: 'withholding_slip' });
    const home = await h.get('/');
    const tasks = tasksOf(home.text);
    expect(tasks).toContain(`href="${asked.headers.location}"`);
    expect(tasks).toContain('番号の表示（山田 太郎）');
    expect(tasks).toContain('個人番号をまだ取得していない人が 2 名います。');
    expect(tasks).toContain('href="/persons?filter=missing"');
    expect(tasks).toContain('本人確認がまだの人が 1 名います。');
    expect(tasks).toMatch(/期限 三子<\/a> — 2026\/04\/10 21:00 まで/u);
    expect(tasks).not.toContain('未取 二郎</a>');
    expect(home.text).not.toMatch(/[0-9a-f]{64}/u);
    expect(home.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/u);
    expect(home.text).not.toContain('開発用のデータベース鍵');
  });

  it('admin: alarms and PIN locks first, requests waiting at the appliance, disposal proposals, backup state', async () => {
    const s = await setUp();
    const handler = s.vault.users.byLogin(HANDLER.login)!;
    s.vault.db.prepare("UPDATE users SET pin_locked_at = '2026-04-09T00:00:00Z', failed_pins = 5 WHERE id = ?").run(handler.id);
    const h = await s.as(HANDLER);
    const e1 = s.vault.persons.codes('employee').get('E1')!;
    await h.get(`/persons/${e1}`);
    await h.post('/gate/reveal', { personId: String(e1), purpose: 'withholding_slip' });
    const a = await s.as(ADMIN);
    const tasks = tasksOf((await a.get('/')).text);
    const locked = tasks.indexOf('担当 花子 さんのPINがロックされています');
    expect(locked).toBeGreaterThan(-1);
    expect(tasks.indexOf('装置での承認を待っている申請が 1 件あります。')).toBeGreaterThan(locked);
    expect(tasks).toContain('バックアップがまだ一度も作られていません。');
    expect(tasks).toContain('定時バックアップが設定されていません。');
  });

  it('auditor: the reports of the month just ended to sign, and the chain state in words', async () => {
    const s = await setUp();
    const home = await (await s.as(AUDITOR)).get('/');
    const tasks = tasksOf(home.text);
    expect(tasks).toContain('2026-03 の帳票');
    expect(tasks).toContain('href="/reports/activity?month=2026-03"');
    expect(tasks).toContain('まだ検証されていません。');
    expect(home.text).not.toMatch(/[0-9a-f]{64}/u);
  });
});

describe('home task counts answer from indexes', () => {
  it('open requests, codes near expiry and a handler\'s requests use their indexes', async () => {
    const { vault } = await newTestVault();
    const plan = (sql: string, ...args: unknown[]) => (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join('\n');
    expect(plan("SELECT count(*) FROM gate_requests WHERE state = 'requested' AND approve_by > ?", 'x')).toContain('gate_requests_open_code');
    const codes = plan('SELECT c.person_id, p.name, c.expires_at FROM intake_codes c JOIN persons p ON p.id = c.person_id WHERE c.used_at IS NULL AND c.expires_at > ? AND c.expires_at <= ? ORDER BY c.expires_at LIMIT ?', 'a', 'b', 10);
    expect(codes).toContain('USING INDEX intake_codes_unused_expiry');
    expect(codes).not.toContain('TEMP B-TREE');
  });
});
