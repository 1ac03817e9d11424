import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { SAMPLE_EMPLOYEES, sampleFile } from '../helpers/filing-samples.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

/**
 * January 2027: the 令和8年分 源泉徴収票 and 給与支払報告書 follow the record
 * revised by the 令和7年度税制改正, whose number items are not confirmed. The
 * handler who uploads one is told so in Japanese, by line and 年分, and nothing
 * is kept; a 令和6年分 file (a late or corrected filing) is still taken.
 */
async function setUp() {
  const clock = fixedClock('2027-01-12T01:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const app = testApp(vault, { reveals: new RevealStore(), gateWindows: { approvalMs: 5 * 60_000, viewMs: 60_000 } });
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  await handler.get('/filings');
  return { handler };
}

describe('uploading a 法定調書 file of 令和7年分 or later', () => {
  it('is refused with what the appliance cannot confirm and what to do, for the 源泉徴収票 and the 給与支払報告書', async () => {
    const { handler } = await setUp();
    for (const [kind, encoding] of [
      ['nta_salary_slip', 'shift_jis'],
      ['eltax_salary_report', 'utf8'],
    ] as const) {
      const res = await handler.upload(`/filings/upload?kind=${kind}&name=gensen.csv`, sampleFile(kind, SAMPLE_EMPLOYEES, { year: 2026, encoding }));
      expect(res.status, res.text).toBe(422);
      const error = (res.body as { error: string }).error;
      expect(error).toMatch(/^1行目の11項目目「年分」：令和8年分の「[^」]+」：この年分の記録は、令和7年度税制改正（特定親族特別控除の創設など）で改められた様式のものです。/u);
      expect(error).toContain('管理者に連絡してください');
    }
  });

  it('still takes a 令和6年分 file, for a late or corrected filing', async () => {
    const { handler } = await setUp();
    const res = await handler.upload('/filings/upload?kind=nta_salary_slip&year=2024&name=gensen.csv', sampleFile('nta_salary_slip', SAMPLE_EMPLOYEES, { year: 2024 }));
    expect(res.status, res.text).toBe(201);
    expect((res.body as { review: string }).review).toMatch(/^\/filings\//u);
  });
});
