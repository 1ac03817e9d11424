import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../../src/domain/audit-events.js';
import { checkAnchor, parseAnchor } from '../../src/audit/anchors.js';
import { verifyRows } from '../../src/audit/chain.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { setCompanyName } from '../../src/services/settings.js';
import type { Vault } from '../../src/services/vault.js';
import { namedAuditRow } from '../../src/storage/audit-repo.js';
import { writeTransaction } from '../../src/storage/database.js';
import { htmlToPdf } from '../../src/reports/pdf.js';
import { monthPeriod } from '../../src/reports/period.js';
import { printReport, type ReportRequest } from '../../src/reports/print.js';
import { renderReportHtml } from '../../src/reports/render.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { expectNoNumbers, expectPaged, pdfPages } from './pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const COMPANY = '株式会社サンプル商事';
const PERSONS = 40;
const NUMBERS = Array.from({ length: PERSONS }, (_, i) => syntheticNumber(i + 1, 11));

/** A vault with 40 persons and a month (April 2026, Japan time) of events the report must count. */
async function seeded() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},試験 太郎${i + 1},${n}`)].join('\n');
  const imported = importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } });
  expect(imported.committed).toBe(true);
  setCompanyName(vault, { id: 'admin', name: '管理 一郎' }, COMPANY, null);
  const handler = vault.users.byLogin(HANDLER.login)!;
  const actor = { id: handler.id, name: handler.displayName };
  const subject = (i: number) => ({ id: i + 1, name: `試験 太郎${i + 1}` });
  const append = (e: AuditEventInput) => {
    clock.advance(60_000);
    writeTransaction(vault.db, () => vault.audit.append(e));
  };
  for (let i = 0; i < 90; i++) append({ actor, action: 'number.revealed', device: 'pinpad:test', purpose: i % 3 === 0 ? 'health_pension_insurance' : 'withholding_slip', subjects: [subject(i % PERSONS)], detail: { request_id: i + 1 } });
  for (let i = 0; i < 2; i++) append({ actor, action: 'numbers.exported', client: '192.168.1.20', purpose: 'salary_payment_report', subjects: Array.from({ length: PERSONS }, (_, j) => subject(j)), detail: { request_id: 200 + i, persons: PERSONS, encoding: 'utf8_bom' } });
  for (let i = 0; i < 30; i++) append({ actor, action: 'auth.signed_in', client: '192.168.1.20', detail: { user_id: handler.id } });
  for (let i = 0; i < 7; i++) append({ actor, action: 'auth.sign_in_failed', client: '192.168.1.21', detail: { user_id: handler.id, reason: 'wrong_password' } });
  for (let i = 0; i < 5; i++) append({ actor, action: 'identity.checked', client: '192.168.1.20', subjects: [subject(i)], detail: { method: 'in_person', number_document: 'my_number_card', identity_documents: '' } });
  append({ actor: { id: 'admin', name: '管理 一郎' }, action: 'number.disposed', subjects: [subject(38), subject(39)], detail: { disposal_id: 7, proposed_by: handler.id, approved_by: '管理 一郎', reason: '保存期間の経過', batch: '2026-03-31' } });
  // Outside the month: must not be counted.
  clock.advance(31 * 86_400_000);
  append({ actor, action: 'number.revealed', device: 'pinpad:test', purpose: 'withholding_slip', subjects: [subject(0)], detail: { request_id: 999 } });
  return { vault, dataDir, clock, actor };
}

async function printPdf(vault: Vault, req: ReportRequest, name: string) {
  const model = printReport(vault, { id: 'admin', name: '管理 一郎', role: '事務取扱責任者' }, req, 'pdf', null);
  const pdf = await htmlToPdf(await renderReportHtml(model, { mode: 'pdf' }));
  return { model, doc: pdfPages(pdf, name) };
}

const compact = (s: string) => s.replace(/\s+/gu, '');

describe('printed reports through headless Chromium', () => {
  it('prints the monthly 取扱状況記録 over several A4 pages: header and x / y on each, counts of the month, the chain head, and no number', async () => {
    const { vault } = await seeded();
    const { model, doc } = await printPdf(vault, { kind: 'activity', period: monthPeriod('2026-04') }, 'activity');
    expect(doc.pages.length).toBeGreaterThanOrEqual(3);
    expectPaged(doc, ['特定個人情報等取扱状況記録', COMPANY]);
    const text = doc.pages.join('\n');
    const flat = compact(text);
    // Counts match the events made above (the one in May is left out).
    expect(flat).toContain('記録の件数136件');
    expect(flat).toContain('利用・出力｜個人番号の表示90件');
    expect(flat).toContain('利用・出力｜個人番号の出力（CSV）2件');
    expect(flat).toContain('システムの利用｜サインイン30件');
    expect(flat).toContain('システムの利用｜サインイン失敗7件');
    expect(flat).toContain('本人確認｜本人確認5件');
    expect(flat).toContain('取得｜CSV取り込み1件');
    expect(flat).toContain('削除・廃棄｜個人番号の削除・廃棄1件');
    expect(flat).toContain('源泉徴収票作成事務60件');
    expect(flat).toContain('健康保険・厚生年金保険届出事務30件');
    expect(flat).toContain('番号を表示・出力した実人数40名');
    // The head printed is the report.printed event, which is the trail's head and what verify walks to.
    const head = vault.audit.head()!;
    expect(model.head).toEqual({ seq: head.seq, hash: head.hash.toString('hex') });
    expect(flat).toContain(`seq${head.seq}`);
    expect(flat).toContain(head.hash.toString('hex'));
    // What the paper says is an anchor `audit verify --anchor` accepts: the chain verifies whole and passes through it.
    const printedAnchor = /seq(\d+)([0-9a-f]{64})/u.exec(flat)!;
    const anchor = parseAnchor(`${printedAnchor[1]}:${printedAnchor[2]}`);
    const verified = verifyRows(vault.auditRepo.iterateRaw(), vault.keys.audit, 1, undefined);
    expect(verified).toMatchObject({ ok: true, head: { seq: head.seq } });
    expect(checkAnchor(anchor, [...vault.auditRepo.iterateRaw(anchor.seq, anchor.seq)].map(namedAuditRow)[0], head.seq).ok).toBe(true);
    const printed = auditEvents(vault).at(-1)!;
    expect(printed).toMatchObject({ action: 'report.printed', detail: { kind: 'activity', period: '2026-04', format: 'pdf', covers_through_seq: head.seq - 1 } });
    expect(flat).toContain('事務取扱責任者');
    expect(flat).toContain('監査担当');
    expectNoNumbers(text, NUMBERS);
  }, 60_000);

  it('prints the 入退室記録, the disposal certificate, the ledger, the notice and the incident draft with header, pages and head', async () => {
    const { vault } = await seeded();
    const entries = await printPdf(vault, { kind: 'entries', period: monthPeriod('2026-04') }, 'entries');
    expectPaged(entries.doc, ['入退室記録', COMPANY]);
    expect(compact(entries.doc.pages.join(''))).toContain('承認（入室）0件');

    const disposal = await printPdf(vault, { kind: 'disposal', period: monthPeriod('2026-04') }, 'disposal');
    expectPaged(disposal.doc, ['削除・廃棄記録', COMPANY]);
    const d = compact(disposal.doc.pages.join(''));
    expect(d).toContain('削除・廃棄の件数1件');
    expect(d).toContain('対象者の数2名');
    expect(d).toContain('担当花子'); // proposed_by, a user id, printed as the name
    expect(d).toContain('試験太郎39');
    const empty = await printPdf(vault, { kind: 'disposal', period: monthPeriod('2026-03') }, 'disposal-none');
    expect(compact(empty.doc.pages.join(''))).toContain('該当なし');

    const register = await printPdf(vault, { kind: 'register' }, 'register');
    expectPaged(register.doc, ['特定個人情報ファイル管理台帳', COMPANY]);
    const r = compact(register.doc.pages.join(''));
    expect(r).toContain(`人物台帳（特定個人情報ファイル）`);
    expect(r).toContain(`${PERSONS}名`);
    expect(r).toContain('担当花子');
    expect(r).toContain('源泉徴収票作成事務');

    const notice = await printPdf(vault, { kind: 'notice', personId: 3 }, 'notice');
    expectPaged(notice.doc, ['利用目的通知書', COMPANY]);
    expect(compact(notice.doc.pages.join(''))).toContain('試験太郎3様');

    const incident = await printPdf(vault, { kind: 'incident', period: monthPeriod('2026-04'), filter: { improper: true, knownOn: '2026-05-07' }, filterLabel: '' }, 'incident');
    expectPaged(incident.doc, ['漏えい等報告', COMPANY]);
    const inc = compact(incident.doc.pages.join(''));
    expect(inc).toContain('本人の数（実人数）40名');
    expect(inc).toContain('報告が必要');

    const all = [entries, disposal, empty, register, notice, incident].map((x) => x.doc.pages.join('\n')).join('\n');
    expectNoNumbers(all, NUMBERS);
    // Each print is on the trail, and the last one is the head `audit verify` reports.
    expect(auditEvents(vault).filter((e) => e.action === 'report.printed').map((e) => e.detail.kind)).toEqual(['entries', 'disposal', 'disposal', 'register', 'notice', 'incident']);
    expect(incident.model.head.seq).toBe(vault.audit.head()!.seq);
  }, 120_000);
});

describe('pdftotext is there', () => {
  it('has poppler-utils', () => {
    expect(execFileSync('pdftotext', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) ?? '').toBeDefined();
  });
});
