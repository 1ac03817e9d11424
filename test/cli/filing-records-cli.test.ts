import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { correctFilingSubmission, recordFilingSubmission } from '../../src/services/filing-records.js';
import { auditEvents } from '../helpers/audit.js';
import { mnvault } from '../helpers/cli.js';
import { addHandover } from '../helpers/filing.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { expectNoNumbers } from '../reports/pdf-helpers.js';
import { openVault } from '../../src/services/vault.js';

const NUMBERS = [syntheticNumber(1, 257), syntheticNumber(2, 257)];

async function setUp() {
  // January 2026: the filing season of 2025.
  const { vault, dataDir } = await newTestVault(fixedClock('2026-01-20T01:00:00Z'));
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},一覧 太郎${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const h = vault.users.byLogin(HANDLER.login)!;
  const actor = { id: h.id, name: h.displayName };
  const ids = NUMBERS.map((_, i) => vault.persons.codes('employee').get(`E${i + 1}`)!);
  const slip = addHandover(vault, { kind: 'nta_salary_slip', year: 2025, personIds: ids, destination: 'tax_office', channel: 'etax', actor });
  addHandover(vault, { kind: 'eltax_salary_report', year: 2025, personIds: ids.slice(0, 1), destination: 'municipality', channel: 'eltax', actor, purpose: 'salary_payment_report' });
  addHandover(vault, { kind: 'nta_salary_slip', year: 2024, personIds: ids, destination: 'tax_office', channel: 'etax', actor });
  recordFilingSubmission(vault, actor, slip, { destinationName: '麹町税務署', submittedOn: '2026-01-20', receiptNo: '20260120103000123456' }, null);
  correctFilingSubmission(vault, actor, slip, { destinationName: '神田税務署', submittedOn: '2026-01-20', receiptNo: '20260120103000123456', reason: '提出先の取り違え' }, null);
  vault.close();
  return { dataDir };
}

describe('mnvault filing-records (issue 18)', () => {
  it('lists the 提出記録 of a year with the corrections, and writes its PDF (audited); never a number', async () => {
    const { dataDir } = await setUp();
    const list = mnvault(['filing-records', 'list', '--year', '2025', '--data', dataDir]);
    expect(list.stderr).not.toContain('エラー');
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('2025年分の申告書ファイル: 2 件（提出の記録がないもの 1 件、削除の確認がないもの 2 件）');
    const lines = list.stdout.split('\n');
    const slip = lines.find((l) => l.startsWith('1\t'))!.split('\t');
    expect(slip).toEqual(['1', '給与所得の源泉徴収票', '2025年分', '税務署 神田税務署', 'e-Tax', '2 名', expect.any(String), '2026/01/20（訂正あり）', '20260120103000123456', '未確認']);
    expect(lines.find((l) => l.startsWith('2\t'))).toContain('給与支払報告書（個人別明細書）\t2025年分\t市区町村\teLTAX\t1 名');
    expect(list.stdout).not.toContain('2024年分');
    const history = list.stdout.slice(list.stdout.indexOf('提出の記録の訂正'));
    expect(history).toContain('給与所得の源泉徴収票（#1）\t当初の記録\t麹町税務署\t2026/01/20');
    expect(history).toContain('給与所得の源泉徴収票（#1）\t訂正1\t神田税務署\t2026/01/20\t20260120103000123456\t提出先の取り違え\t担当 花子');
    expectNoNumbers(list.stdout + list.stderr, NUMBERS);

    const file = join(tempDir(), 'filings-2025.pdf');
    const pdf = mnvault(['filing-records', 'pdf', '--year', '2025', '--data', dataDir, '--out', file]);
    expect(pdf.stderr).not.toContain('エラー');
    expect(pdf.status).toBe(0);
    expect(pdf.stdout).toMatch(/提出記録（申告書ファイルの提供・提出）（2025年分）を .* に書き出しました。監査記録の先頭: seq \d+ [0-9a-f]{64}/u);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/gu, '');
    for (const piece of ['2025年分', '3.提出の記録の訂正', '当初の記録麹町税務署', '訂正1神田税務署', '提出先の取り違え', '（訂正あり）']) expect(text).toContain(piece);
    expectNoNumbers(text, NUMBERS);
    const vault = openVault({ dataDir, clock: fixedClock('2026-01-20T02:00:00Z') });
    try {
      const printed = auditEvents(vault).filter((e) => e.action === 'report.printed');
      expect(printed.map((e) => [e.actorId, e.detail.kind, e.detail.period])).toEqual([['cli', 'filings', '2025']]);
    } finally {
      vault.close();
    }
  }, 90_000);

  it('refuses a missing or impossible year and an unknown action with exit 2 and a Japanese message, writing nothing', async () => {
    const { dataDir } = await setUp();
    const file = join(tempDir(), 'x.pdf');
    for (const args of [
      ['list', '--data', dataDir],
      ['list', '--year', '1999', '--data', dataDir],
      ['pdf', '--year', '２０２５年', '--data', dataDir, '--out', file],
      ['print', '--year', '2025', '--data', dataDir],
      ['pdf', '--year', '2025', '--data', dataDir, '--out', join(tempDir(), 'x.txt')],
    ]) {
      const r = mnvault(['filing-records', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^エラー: (--year に年分|年分は2016年から|list か pdf|--out に書き出すPDF)/mu);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/u);
    }
    expect(existsSync(file)).toBe(false);
  }, 60_000);
});
