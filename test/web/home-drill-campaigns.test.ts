import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { registerPerson } from '../../src/services/persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const SEED = { id: 'seed', name: 'テスト準備' };
const tasksOf = (html: string) => /<section class="tasks"[\s\S]*?<\/section>/u.exec(html)?.[0] ?? '';
const counts = (html: string): Record<string, number> =>
  Object.fromEntries([...html.matchAll(/<td data-label="[^"]*" data-state="([a-z]+)">(\d+)<\/td>/gu)].map((m): [string, number] => [m[1]!, Number(m[2])]));

async function setUp() {
  const clock = fixedClock('2026-04-10T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const app = testApp(vault);
  const as = async (who: { login: string; password: string }) => {
    const b = new Browser(app);
    expect((await b.signIn(who.login, who.password)).status).toBe(303);
    return b;
  };
  return { vault, clock, as };
}

describe("the admin's home page: the next restore drill and collection progress", () => {
  it('says when no drill is recorded (with a link), records one on the backup page with a message, then shows the next one due', async () => {
    const { vault, clock, as } = await setUp();
    const admin = await as(ADMIN);
    const before = tasksOf((await admin.get('/')).text);
    expect(before).toMatch(/復元訓練の記録がありません。 <a href="\/admin\/backups#drill">/u);
    await admin.get('/admin/backups');
    // A drill in the future, without a result: back to the form with both problems and the note kept.
    const bad = await admin.post('/admin/backups/drills', { drilledOn: '2026-05-01', result: '', note: '予備機で確認' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('訓練の日が未来の日付です');
    expect(bad.text).toContain('id="result-error"');
    expect(bad.text).toContain('value="予備機で確認"');
    const ok = await admin.post('/admin/backups/drills', { drilledOn: '令和8年4月1日', result: 'ok', note: '予備機で確認' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/admin/backups?saved=drill#drill');
    const page = await admin.get(ok.headers.location!);
    expect(page.text).toContain('復元訓練を記録しました');
    expect(page.text).toContain('予備機で確認');
    expect(vault.db.prepare("SELECT detail FROM audit_events WHERE action = 'restore.drill_recorded'").pluck().get()).toBe(JSON.stringify({ drilled_on: '2026-04-01', result: 'ok' }));
    expect(tasksOf((await admin.get('/')).text)).toContain('次の復元訓練: 2026年10月1日（令和8年） までに（前回 2026年4月1日（令和8年）、成功）');
    // Half a year later it is overdue.
    clock.advance(200 * 86_400_000);
    expect(tasksOf((await (await as(ADMIN)).get('/')).text)).toContain('復元訓練の期限 2026年10月1日（令和8年） を過ぎています');
  });

  it('lists open campaigns with their members per state from the maintained counters, and drops a campaign once everyone submitted', async () => {
    const { vault, as } = await setUp();
    const reg = (code: string, name: string) => registerPerson(vault, SEED, { kind: 'employee', code, name, kana: '', birthDate: '1980-01-01', relationship: '', corporateNumber: '' }, null, null);
    const a = reg('E1', '青木 一郎');
    reg('E2', '伊藤 二郎');
    const admin = await as(ADMIN);
    expect(tasksOf((await admin.get('/')).text)).toContain('未提出の人がいる収集キャンペーンはありません');
    const h = await as(HANDLER);
    await h.get('/campaigns');
    const created = await h.post('/campaigns', { name: '春の番号収集', filter: 'missing', validDays: '14', purposes_employee: ['withholding_slip'] });
    expect(created.status).toBe(303);
    const id = Number(/(\d+)$/u.exec(created.headers.location!)![1]);
    let home = tasksOf((await admin.get('/')).text);
    expect(home).toContain(`<a href="/campaigns/${id}">春の番号収集</a>`);
    expect(counts(home)).toEqual({ pending: 2, issued: 0, expired: 0, submitted: 0, verified: 0 });
    const slips = await h.get((await h.post(`/campaigns/${id}/issue`)).headers.location!);
    const codes = [...slips.text.matchAll(/<p class="ccode">([A-Z0-9-]{14})<\/p>/gu)].map((m) => m[1]!);
    expect(counts(tasksOf((await admin.get('/')).text))).toEqual({ pending: 0, issued: 2, expired: 0, submitted: 0, verified: 0 });
    // One employee submits: the trigger of migration 140 moves the member, the counter follows.
    const person = new Browser(h.app);
    await person.get(`/intake?code=${codes[0]}`);
    expect((await person.post('/intake', { code: codes[0]!, acknowledged: 'yes', own: syntheticNumber(77, 3) })).status).toBe(200);
    home = tasksOf((await admin.get('/')).text);
    expect(counts(home)).toEqual({ pending: 0, issued: 1, expired: 0, submitted: 1, verified: 0 });
    expect(vault.db.prepare('SELECT pending, issued, submitted, verified FROM campaign_counts WHERE campaign_id = ?').get(id)).toEqual({ pending: 0, issued: 1, submitted: 1, verified: 0 });
    // The second submits too: nobody is left, the campaign leaves the home page.
    const other = new Browser(h.app);
    await other.get(`/intake?code=${codes[1]}`);
    expect((await other.post('/intake', { code: codes[1]!, acknowledged: 'yes', own: syntheticNumber(78, 3) })).status).toBe(200);
    expect(tasksOf((await admin.get('/')).text)).not.toContain('春の番号収集');
    expect(a).toBeGreaterThan(0);
  });
});

describe('the admin home reads answer from an index or a counter', () => {
  it('open campaigns walk campaign_counts_open, their 期限切れ a range of campaign_members_state; the last drill walks restore_drills_on', async () => {
    const { vault } = await newTestVault();
    const plan = (sql: string, ...args: unknown[]) => (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join('\n');
    const open = plan(
      `SELECT c.id, c.name, k.pending, k.issued, k.submitted, k.verified FROM campaign_counts k JOIN campaigns c ON c.id = k.campaign_id
          WHERE k.pending + k.issued > 0 ORDER BY k.campaign_id DESC LIMIT ?`,
      5,
    );
    // A walk of the partial index: only campaigns someone has not submitted to, newest first.
    expect(open).toContain('SCAN k USING INDEX campaign_counts_open');
    expect(open).not.toContain('TEMP B-TREE');
    expect(open).not.toMatch(/SCAN c\b|campaign_members/u);
    expect(plan("SELECT count(*) FROM campaign_members WHERE campaign_id = ? AND state = 'issued' AND expires_at <= ?", 1, 'x')).toContain(
      'USING COVERING INDEX campaign_members_state (campaign_id=? AND state=? AND expires_at<?)',
    );
    const drill = plan('SELECT * FROM restore_drills ORDER BY drilled_on DESC, id DESC LIMIT ?', 1);
    expect(drill).toContain('restore_drills_on');
    expect(drill).not.toContain('TEMP B-TREE');
  });
});
