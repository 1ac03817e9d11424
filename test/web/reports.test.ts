import { describe, expect, it } from 'vitest';
import type { AuditSubject } from '../../src/domain/audit-events.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { writeTransaction } from '../../src/storage/database.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const N = 101;
const NUMBERS = Array.from({ length: N }, (_, i) => syntheticNumber(i + 1, 23));

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},試験 花子${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  return { vault, clock, app: testApp(vault) };
}

const persons = (from: number, to: number): AuditSubject[] => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, name: `試験 花子${from + i}` }));

function exportOf(vault: Vault, subjects: AuditSubject[], actorId = 'u-h') {
  writeTransaction(vault.db, () => vault.audit.append({ actor: { id: actorId, name: '担当 花子' }, action: 'numbers.exported', purpose: 'withholding_slip', client: '192.168.1.30', subjects, detail: { persons: subjects.length } }));
}

async function signedIn(app: ReturnType<typeof testApp>, who: { login: string; password: string }) {
  const b = new Browser(app);
  await b.signIn(who.login, who.password);
  return b;
}

describe('reports over HTTP', () => {
  it('lets admins and auditors open a print view (audited before rendering), refuses handlers, and answers a bad month in Japanese', async () => {
    const { vault, app } = await setUp();
    const auditor = await signedIn(app, AUDITOR);
    const index = await auditor.get('/reports?month=2026-04');
    expect(index.status).toBe(200);
    expect(index.text).toContain('特定個人情報等取扱状況記録');
    expect(index.text).not.toContain('.pdf?month'); // PDFs are the admin's
    const view = await auditor.get('/reports/activity?month=2026-04');
    expect(view.status).toBe(200);
    expect(view.text).toContain('<link rel="stylesheet" href="/static/print.css">');
    expect(view.text).not.toMatch(/<style|style=/u);
    expect(view.text).toContain('（会社名未設定）');
    const printed = auditEvents(vault).at(-1)!;
    expect(printed).toMatchObject({ action: 'report.printed', detail: { kind: 'activity', period: '2026-04', format: 'html' } });
    const head = vault.audit.head()!;
    expect(head.seq).toBe(printed.seq);
    expect(view.text).toContain(head.hash.toString('hex'));
    expect(view.text).toContain(`seq <span class="seq">${head.seq}</span>`);
    expect((await auditor.get('/reports/activity.pdf?month=2026-04')).status).toBe(403);

    const bad = await auditor.get('/reports/activity?month=2026-13');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('対象月は YYYY-MM の形式');
    expect(bad.text).not.toMatch(/at .*\.ts|Error:/u);
    expect((await auditor.get('/reports/nothing?month=2026-04')).status).toBe(404);

    const handler = await signedIn(app, HANDLER);
    expect((await handler.get('/reports')).status).toBe(403);
    expect((await handler.get('/reports/activity?month=2026-04')).status).toBe(403);
    expect((await handler.get('/incident')).status).toBe(403);
    // A handler hands the purpose notice over at intake.
    const notice = await handler.get('/persons/1/notice');
    expect(notice.status).toBe(200);
    expect(notice.text).toContain('試験 花子1 様');
    // Handed to the employee: no QR, no hash, no command.
    expect(notice.text).not.toContain('data:image/png');
    expect(notice.text).not.toContain('mnvault');
    expect(notice.text).not.toMatch(/[0-9a-f]{64}/u);
    for (const n of NUMBERS) expect(notice.text + view.text).not.toContain(n);
    expect((await handler.get('/persons/9999/notice')).status).toBe(404);

    const css = await auditor.get(`/reports/page.css?h=${encodeURIComponent('帳票"} body{color:red')}`);
    expect(css.headers['content-type']).toMatch(/text\/css/u);
    expect(css.text).not.toContain('"}');
    expect(css.text).toMatch(/^@page \{ @top-left \{ content: "[^"]*"; \} \}\n$/u);
  });

  it('lets an admin download a PDF and set the company name (audited), and refuses a number-like name', async () => {
    const { vault, app } = await setUp();
    const admin = await signedIn(app, ADMIN);
    const form = await admin.get('/settings');
    expect(form.status).toBe(200);
    const saved = await admin.post('/settings', { companyName: '株式会社テスト工業' });
    expect(saved.status).toBe(200);
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'settings.updated', detail: { key: 'company_name', before: '（会社名未設定）', after: '株式会社テスト工業' } });
    const refused = await admin.post('/settings', { companyName: `会社 ${NUMBERS[0]}` });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('会社名に使えない文字');
    expect(refused.text).not.toContain(NUMBERS[0]);
    expect((await (await signedIn(app, AUDITOR)).get('/settings')).status).toBe(403);

    const pdf = await admin.getBytes('/reports/register.pdf');
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'report.printed', detail: { kind: 'register', format: 'pdf' } });

    const missing = await (await signedIn(testApp(vault, { chromiumPath: '/nonexistent/chromium' }), ADMIN)).get('/reports/activity.pdf?month=2026-04');
    expect(missing.status).toBeGreaterThanOrEqual(500);
    expect(missing.text).toContain('Chromium（/nonexistent/chromium）が見つからない');
  }, 60_000);

  it('counts the persons whose numbers left the vault against the thresholds: 100 is not over, 101 is, and 1 is enough when improper', async () => {
    const { vault, app } = await setUp();
    exportOf(vault, persons(1, 100));
    const auditor = await signedIn(app, AUDITOR);
    const q = '/incident?from=2026-04-01&to=2026-04-30';
    let page = await auditor.get(q);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/class="incident-persons">100 名/u);
    expect(page.text).toContain('人数・目的の基準には該当しません');

    // One more person, by a reveal at the PIN pad: 101 is over 100.
    writeTransaction(vault.db, () => vault.audit.append({ actor: { id: 'u-h', name: '担当 花子' }, action: 'number.revealed', purpose: 'withholding_slip', device: 'pinpad:desk', subjects: persons(101, 101), detail: { request_id: 5 } }));
    page = await auditor.get(q);
    expect(page.text).toMatch(/class="incident-persons">101 名/u);
    expect(page.text).toMatch(/class="incident-events">2 件/u);
    expect(page.text).toContain('報告が必要です');

    // Narrowed to the PIN pad and improper purpose suspected: one person is enough, 60 days for the final report.
    page = await auditor.get(`${q}&device=pinpad:desk&improper=1&known=2026-05-01`);
    expect(page.text).toMatch(/class="incident-persons">1 名/u);
    expect(page.text).toContain('報告が必要です');
    expect(page.text).toContain('2026年5月6日'); // 速報 (5 days)
    expect(page.text).toContain('2026年6月30日'); // 確報 (60 days)
    // No record in the trail is not evidence that nothing left: undetermined, never "not required" (issue 11).
    page = await auditor.get(`${q}&device=pinpad:other&improper=1`);
    expect(page.text).toMatch(/class="incident-persons">0 名/u);
    expect(page.text).toContain('判定できません（報告不要とはしません）');
    expect(page.text).not.toContain('人数・目的の基準には該当しません');

    const draft = await auditor.get(`/incident/print?from=2026-04-01&to=2026-04-30&improper=1`);
    expect(draft.status).toBe(200);
    expect(draft.text).toContain('速報に記載する事項（案）');
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'report.printed', detail: { kind: 'incident', period: '2026-04-01..2026-04-30' } });
    for (const n of NUMBERS) expect(page.text + draft.text).not.toContain(n);

    const bad = await auditor.get('/incident?from=2026-04-31&to=2026-04-01');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('期間は開始日と終了日を YYYY-MM-DD の形式');
  });
});
