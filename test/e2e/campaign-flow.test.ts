import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { systemClock } from '../../src/domain/ports.js';
import { registerPerson } from '../../src/services/persons.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { openBrowser, Screenshots, type OpenBrowser } from '../helpers/browser.js';
import { captureStderr, forms, scanDataDir } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'campaign');
const SEED = { id: 'seed', name: 'テスト準備' };
const OWN = syntheticNumber(7_301_558_204, 4);
const SPOUSE_NO = syntheticNumber(2_846_019_377, 5);
const BABY_NO = syntheticNumber(6_120_993_481, 6);

describe('a collection campaign in a real browser', () => {
  it('issue, print (reload keeps the codes), the employee submits with a dependant on a phone, progress moves, the reminder reissues to who is left', async () => {
    const { vault, dataDir } = await newTestVault(systemClock);
    const serverOutput = captureStderr();
    await addStaff(vault);
    const person = (form: { code: string; name: string; kana: string }, supporter: number | null = null) =>
      registerPerson(vault, SEED, { kind: 'employee', birthDate: '1985-04-01', relationship: supporter ? '配偶者' : '', corporateNumber: '', ...form }, supporter, null);
    const yamada = person({ code: 'E100', name: '山田 太郎', kana: 'ヤマダ タロウ' });
    const yoshiko = person({ code: '', name: '山田 良子', kana: 'ヤマダ ヨシコ' }, yamada);
    person({ code: 'E200', name: '鈴木 一郎', kana: 'スズキ イチロウ' });

    const shots = new Screenshots(ARTIFACTS);
    const browsers: OpenBrowser[] = [];
    let serving: Serving | undefined;
    try {
      serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: false, pinCost: TEST_PIN_COST });
      const base = serving.url.replace(/\/$/u, '');
      const visited = async (page: Page, name: string) => {
        await page.waitForLoadState('load');
        await shots.take(page, name);
        const html = await page.content();
        for (const n of [OWN, SPOUSE_NO, BABY_NO]) for (const f of forms(n)) expect(html, `${name}: the HTML holds a number`).not.toContain(f);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect(overflow, `${name}: the page scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
        return page.locator('body').innerText();
      };
      const counts = async (page: Page) => Object.fromEntries(await Promise.all(['pending', 'issued', 'expired', 'submitted', 'verified'].map(async (s) => [s, Number(await page.locator(`td[data-state="${s}"]`).innerText())])));

      // ── The handler creates the campaign and issues the codes ──
      const office = await openBrowser({ label: 'office', viewport: { width: 1366, height: 768 } });
      browsers.push(office);
      const p = office.page;
      await p.goto(`${base}/login`);
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('パスワード', { exact: true }).fill(HANDLER.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.waitForURL(`${base}/`);
      await p.getByRole('navigation').getByRole('link', { name: '収集キャンペーン' }).click();
      await p.waitForURL(`${base}/campaigns`);
      await visited(p, 'campaigns');
      await p.getByLabel('問い合わせ先', { exact: true }).fill('人事部 佐藤 内線201');
      await p.getByRole('button', { name: '保存する' }).click();
      await p.waitForURL(`${base}/campaigns?saved=contact`);
      await p.getByLabel('キャンペーンの名前').fill('2026年度 番号収集');
      await p.getByRole('button', { name: '対象者を選んでキャンペーンを作る' }).click();
      await p.waitForURL(/\/campaigns\/\d+$/u);
      const campaignUrl = p.url();
      await visited(p, 'campaign-created');
      expect(await counts(p)).toEqual({ pending: 2, issued: 0, expired: 0, submitted: 0, verified: 0 });

      await p.getByRole('button', { name: /未発行の人に入力コードを発行/u }).click();
      await p.waitForURL(/\/slips\/[A-Za-z0-9_-]+$/u);
      const slipText = await visited(p, 'slips-a4');
      expect(slipText).toContain('山田 太郎 様');
      expect(slipText).toContain('山田 良子');
      expect(slipText).toContain('人事部 佐藤 内線201');
      const codes = await p.locator('.ccode').allInnerTexts();
      expect(codes).toHaveLength(2);
      await p.reload();
      await visited(p, 'slips-reloaded');
      expect(await p.locator('.ccode').allInnerTexts()).toEqual(codes);
      await p.getByRole('link', { name: '1枚に4人分' }).click();
      await p.waitForURL(/layout=sheet/u);
      await visited(p, 'slips-sheet');
      const csv = await p.request.get(await p.locator('#slips-csv').evaluate((a) => (a as unknown as { href: string }).href));
      expect(csv.headers()['content-type']).toContain('text/csv');
      for (const c of codes) expect(await csv.text()).toContain(c);
      const pdf = await p.request.get(await p.locator('#slips-pdf').evaluate((a) => (a as unknown as { href: string }).href));
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

      // ── The employee submits on a phone, with his spouse's number ──
      const phone = await openBrowser({ label: 'phone', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
      browsers.push(phone);
      const q = phone.page;
      await q.goto(`${base}/intake?code=${encodeURIComponent(codes[0]!)}`);
      const form = await visited(q, 'phone-intake');
      expect(form).toContain('人事部 佐藤 内線201');
      expect(form).toContain('山田 良子');
      await q.getByLabel('上記の利用目的を確認しました。').check();
      await q.getByLabel('あなたの個人番号').fill(`${OWN.slice(0, 11)}${(Number(OWN[11]) + 1) % 10}`);
      await q.getByRole('button', { name: '提出する' }).click();
      await q.waitForLoadState('load');
      await visited(q, 'phone-intake-error');
      // The acknowledgement stays ticked; the number field is emptied.
      expect(await q.getByLabel('上記の利用目的を確認しました。').isChecked()).toBe(true);
      expect(await q.getByLabel('あなたの個人番号').inputValue()).toBe('');
      await q.getByLabel('あなたの個人番号').fill(OWN);
      await q.locator('input[name^="dependant_"]').fill(SPOUSE_NO);
      // A child born this year joins the family on the same page (異動日, number).
      await q.locator('#family-changes summary').click();
      await q.locator('#new_0_name').fill('山田 花');
      await q.locator('#new_0_kana').fill('ヤマダ ハナ');
      await q.locator('#new_0_birthDate').fill('2026-01-10');
      await q.locator('#new_0_relationship').selectOption('子');
      await q.locator('#new_0_since').fill('2026-01-10');
      await q.locator('#new_0_number').fill(BABY_NO);
      // His spouse's registered birth date was wrong: corrected on the same page, with the date of the change.
      await q.locator(`#changed_${yoshiko}_birthDate`).fill('1985-04-02');
      await q.locator(`#changed_${yoshiko}_on`).fill('2026-01-10');
      await shots.take(q, 'phone-intake-family-filled', [q.locator('input[inputmode="numeric"]')]);
      await q.getByRole('button', { name: '提出する' }).click();
      await q.waitForLoadState('load');
      expect(await visited(q, 'phone-intake-done')).toContain('ご提出ありがとうございました');
      // The brand leads back to the code page, not to the staff sign-in.
      expect(await q.locator('a.brand').getAttribute('href')).toBe('/intake');

      expect(vault.persons.dependantsOf(yamada).map((d) => d.name)).toEqual(['山田 良子', '山田 花']);
      expect(vault.persons.byId(yoshiko)!.birthDate).toBe('1985-04-02');
      expect(vault.persons.count().held).toBe(3);

      // ── Progress, then the reminder to who has not submitted ──
      await p.goto(campaignUrl);
      await visited(p, 'campaign-progress');
      expect(await counts(p)).toEqual({ pending: 0, issued: 1, expired: 0, submitted: 1, verified: 0 });
      expect(await p.locator('#not-submitted').innerText()).toContain('鈴木 一郎');
      expect(await p.locator('#not-submitted').innerText()).not.toContain('山田 太郎');
      await p.getByRole('button', { name: /未提出の人に入力コードを再発行/u }).click();
      await p.waitForURL(/\/slips\/[A-Za-z0-9_-]+$/u);
      await visited(p, 'slips-reminder');
      const again = await p.locator('.ccode').allInnerTexts();
      expect(again).toHaveLength(1);
      expect(again[0]).not.toBe(codes[1]);
      expect(await p.locator('.cslip').innerText()).toContain('鈴木 一郎');
      await p.getByRole('button', { name: /印刷を終えた/u }).click();
      await p.waitForURL(`${campaignUrl}?notice=printed`);
      await visited(p, 'campaign-after-reminder');
      expect(await counts(p)).toEqual({ pending: 0, issued: 1, expired: 0, submitted: 1, verified: 0 });
      await p.goBack();
      await p.waitForLoadState('load');
      expect(await visited(p, 'slips-gone')).toContain('再発行してください');
      // The old code of the reminded person no longer works.
      await q.goto(`${base}/intake?code=${encodeURIComponent(codes[1]!)}`);
      expect(await visited(q, 'phone-old-code')).toContain('入力コードの画面へ戻る');

      // ── A bulk update of existing employees by CSV, matched by 社員番号 ──
      await p.goto(`${base}/imports`);
      await p.getByLabel('登録済みの従業員を更新する（社員番号で照合）').check();
      await p.locator('#file').setInputFiles({ name: 'update.csv', mimeType: 'text/csv', buffer: Buffer.from('社員番号,フリガナ\nE200,スズキ カズオ\n') });
      await p.getByRole('button', { name: '取り込む' }).click();
      await expect.poll(() => p.locator('#result').innerText()).toContain('更新しました: 1人');
      await visited(p, 'bulk-update');
      expect(vault.persons.byId(yamada + 2)!.kana).toBe('スズキ カズオ');

      for (const b of browsers) expect(b.problems.filter((x) => x.kind !== 'http' && !/status of (400|403|404|410)/u.test(x.text)), b.label).toEqual([]);
      // Canary: no number in the data folder (any encoding) or the server's output.
      const numbers = [OWN, SPOUSE_NO, BABY_NO];
      expect(scanDataDir(dataDir, numbers).hits).toEqual([]);
      for (const n of numbers) for (const f of forms(n)) expect(serverOutput.lines.join('')).not.toContain(f);
    } finally {
      for (const b of browsers) await b.close();
      await serving?.stop();
      serverOutput.restore();
    }
  }, 120_000);
});
