import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { certificateDnsNames } from '../../src/web/tls.js';
import { loadConfig } from '../../src/config.js';
import { japanDate } from '../../src/domain/dates.js';
import { systemClock } from '../../src/domain/ports.js';
import { registerPerson } from '../../src/services/persons.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { formatDate } from '../../src/web/view-models.js';
import { captureStderr, forms, scanDataDir, typedFullWidth, windows } from '../helpers/canary.js';
import { openBrowser, Screenshots, type OpenBrowser, type PageProblem } from '../helpers/browser.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { passSecondFactorInPage } from '../helpers/second-factor.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');

const HANDLER = { login: 'tanto', name: '担当 花子', password: 'tanto-password-2026', pin: '482915' } as const;
const EMPLOYEE = { code: 'E100', name: '山田 太郎', kana: 'ヤマダ タロウ', birthDate: '1985-04-01' } as const;
const SPOUSE = { name: '山田 良子', kana: 'ヤマダ ヨシコ', birthDate: '1987-06-15', relationship: '配偶者' } as const;
const CHILD = { name: '山田 翔', kana: 'ヤマダ ショウ', birthDate: '2015-09-01', relationship: '子' } as const;
/** Someone else in the register: the person's page must never name them. */
const OTHER = { code: 'E200', name: '鈴木 一郎', kana: 'スズキ イチロウ', birthDate: '1979-11-03' } as const;

// Synthetic, structurally valid numbers with varied digits (no real person's).
const OWN = syntheticNumber(8_392_057_461, 1);
const SPOUSE_NO = syntheticNumber(4_718_260_935, 2);
const CHILD_NO = syntheticNumber(5_063_914_728, 3);
const NUMBERS = [OWN, SPOUSE_NO, CHILD_NO];

/** A wrong check digit: the first submission is refused. */
const wrongCheckDigit = (n: string) => n.slice(0, 11) + String((Number(n[11]) + 1) % 10);

describe('office flow in a real browser over HTTPS', () => {
  it('admin adds a handler, handler registers a family, the person submits numbers from a phone, the handler completes 本人確認', async () => {
    const { vault, dataDir } = await newTestVault(systemClock);
    // Another employee in the register, so "only his own family" means something.
    registerPerson(vault, { id: 'seed', name: 'テスト準備' }, { kind: 'employee', ...OTHER }, null, null);

    // Anything the server writes must not hold a number either.
    const serverOutput = captureStderr();

    const shots = new Screenshots(ARTIFACTS);
    const browsers: OpenBrowser[] = [];
    let serving: Serving | undefined;
    const pageLog: { shot: string; url: string; status: string }[] = [];
    /** 4xx answers the test provokes on purpose (a wrong form), by method and path. */
    const expectedHttp = new Set<string>();
    const today = japanDate(new Date());

    try {
      serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: false, pinCost: TEST_PIN_COST });
      const base = serving.url.replace(/\/$/u, '');
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/u);

      /** Submits a form and waits until the answer to the POST has loaded as the new page. */
      const submit = async (page: Page, press: () => Promise<void>) => {
        const answered = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.request().frame() === page.mainFrame());
        await press();
        const res = await answered;
        await page.waitForLoadState('load');
        return res.status();
      };

      /** After every page: a screenshot, no number anywhere in the HTML or the visible text, no sideways scrolling. */
      const visited = async (page: Page, name: string) => {
        await page.waitForLoadState('load');
        const file = await shots.take(page, name);
        const html = await page.content();
        const text = await page.locator('body').innerText();
        for (const n of NUMBERS) {
          for (const f of forms(n)) expect(html, `${name}: the HTML holds a number`).not.toContain(f);
          for (const w of windows(n)) expect(text, `${name}: the page shows digits of a number`).not.toContain(w);
        }
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect(overflow, `${name}: the page scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
        pageLog.push({ shot: file, url: page.url(), status: await page.title() });
        return { html, text };
      };

      // ───────────── 1. The admin adds the handler and sets the handler's PIN ─────────────
      const office = await openBrowser({ label: 'office', viewport: { width: 1366, height: 768 } });
      browsers.push(office);
      const p = office.page;

      await p.goto(`${base}/login`);
      await expect.poll(() => p.title()).toContain('サインイン');
      await visited(p, 'login');
      await p.getByLabel('ユーザー名', { exact: true }).fill(ADMIN.login);
      await p.getByLabel('パスワード', { exact: true }).fill(ADMIN.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await passSecondFactorInPage(p, vault, ADMIN.login);
      await p.waitForURL(`${base}/`);
      const adminHome = await visited(p, 'admin-home');
      expect(adminHome.text).toContain('ホーム');
      expect(adminHome.text).toContain('事務取扱責任者');

      await p.getByRole('navigation').getByRole('link', { name: '利用者の管理' }).click();
      await p.waitForURL(`${base}/admin/users`);
      await visited(p, 'admin-users');

      await p.getByRole('link', { name: '利用者を追加' }).click();
      await p.waitForURL(`${base}/admin/users/new`);
      await visited(p, 'admin-user-new');
      // First a password that is too short: the error must show beside the field.
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('氏名', { exact: true }).fill(HANDLER.name);
      await p.getByLabel('役割', { exact: true }).selectOption({ label: '事務取扱担当者' });
      await p.getByLabel('初期パスワード（12文字以上）').fill('short');
      expectedHttp.add(`400 POST ${base}/admin/users`);
      expect(await submit(p, () => p.getByRole('button', { name: '利用者を追加' }).click())).toBe(400);
      const userError = await visited(p, 'admin-user-new-error');
      expect(userError.text).toContain('入力に誤りがあります');
      await expect.poll(() => p.locator('#password-error').isVisible()).toBe(true);
      expect(await p.getByLabel('ユーザー名', { exact: true }).inputValue()).toBe(HANDLER.login);
      expect(await p.getByLabel('氏名', { exact: true }).inputValue()).toBe(HANDLER.name);
      await p.getByLabel('初期パスワード（12文字以上）').fill(HANDLER.password);
      await p.getByRole('button', { name: '利用者を追加' }).click();
      await p.waitForURL(`${base}/admin/users?done=created`);
      const usersAfterCreate = await visited(p, 'admin-users-created');
      const handlerRow = p.getByRole('row').filter({ hasText: HANDLER.login });
      await expect.poll(() => handlerRow.count()).toBe(1);
      expect(await handlerRow.innerText()).toContain(HANDLER.name);
      expect(await handlerRow.innerText()).toContain('事務取扱担当者');
      expect(await handlerRow.innerText()).toContain('未設定');
      expect(usersAfterCreate.text).toContain(HANDLER.name);

      await handlerRow.getByRole('link', { name: 'PINを設定' }).click();
      await p.waitForURL(/\/admin\/users\/[^/]+\/pin$/u);
      const pinPage = await visited(p, 'admin-user-pin');
      expect(pinPage.text).toContain(HANDLER.name);
      await p.getByLabel('あなた（管理者）のPIN').fill(ADMIN.pin);
      await p.getByLabel('新しいPIN（6〜12桁の数字）').fill(HANDLER.pin);
      await p.getByRole('main').getByRole('button', { name: 'PINを設定' }).click();
      await p.waitForURL(`${base}/admin/users?done=pin`);
      await visited(p, 'admin-users-pin-set');
      expect(await handlerRow.innerText()).toContain('設定済');

      await p.getByRole('button', { name: 'サインアウト' }).click();
      await p.waitForURL(`${base}/login?out=1`);
      const signedOut = await visited(p, 'signed-out');
      expect(signedOut.text).toContain('サインアウトしました');

      // ───────────── 2. The handler registers the employee and his family, and issues a code ─────────────
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('パスワード', { exact: true }).fill(HANDLER.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.waitForURL(`${base}/`);
      const handlerHome = await visited(p, 'handler-home');
      expect(handlerHome.text).toContain(`${HANDLER.name}（事務取扱担当者）`);
      expect(handlerHome.text).not.toContain('利用者の管理');

      await p.getByRole('navigation').getByRole('link', { name: '人物の登録' }).click();
      await p.waitForURL(`${base}/persons/new`);
      await visited(p, 'person-new');
      await p.getByLabel('種別', { exact: true }).selectOption({ label: '従業員' });
      await p.getByLabel('社員番号・取引先コード').fill(EMPLOYEE.code);
      await p.getByLabel('氏名', { exact: true }).fill(EMPLOYEE.name);
      await p.getByLabel('フリガナ', { exact: true }).fill(EMPLOYEE.kana);
      await p.getByLabel('生年月日', { exact: true }).fill(EMPLOYEE.birthDate);
      await p.getByRole('button', { name: '登録', exact: true }).click();
      await p.waitForURL(/\/persons\/\d+$/u);
      const personUrl = p.url();
      const personPage = await visited(p, 'person-registered');
      expect(personPage.text).toContain(EMPLOYEE.name);
      expect(personPage.text).toContain(EMPLOYEE.kana);
      expect(personPage.text).toContain(formatDate(EMPLOYEE.birthDate));

      for (const [i, dep] of [SPOUSE, CHILD].entries()) {
        await p.getByRole('link', { name: '扶養親族を追加' }).click();
        await p.waitForURL(/\/persons\/\d+\/dependants\/new$/u);
        const depForm = await visited(p, `dependant-new-${i + 1}`);
        expect(depForm.text).toContain(`扶養する従業員: ${EMPLOYEE.name}`);
        await p.getByLabel('氏名', { exact: true }).fill(dep.name);
        await p.getByLabel('フリガナ', { exact: true }).fill(dep.kana);
        await p.getByLabel('生年月日', { exact: true }).fill(dep.birthDate);
        await p.getByLabel('続柄', { exact: true }).selectOption({ label: dep.relationship });
        await p.getByRole('button', { name: '登録', exact: true }).click();
        await p.waitForURL(personUrl);
        const after = await visited(p, `person-with-dependant-${i + 1}`);
        expect(after.text).toContain(dep.name);
      }
      const depRows = p.locator('section').filter({ has: p.getByRole('heading', { name: '扶養親族' }) }).locator('tbody tr');
      await expect.poll(() => depRows.count()).toBe(2);

      await p.getByRole('button', { name: '本人入力用のコードを発行' }).click();
      await p.waitForURL(`${personUrl}/intake-codes`);
      const slip = await visited(p, 'intake-slip');
      expect(slip.text).toContain(`${EMPLOYEE.name} 様`);
      const code = (await p.locator('.slip .code').innerText()).trim();
      const intakeUrl = (await p.locator('.slip .url').innerText()).trim();
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/u);
      // The slip names the appliance by its certificate (never by the Host header); the phone here reaches it at the same port on loopback.
      const slipUrl = new URL(intakeUrl);
      expect(slipUrl.host).toBe(`${certificateDnsNames(vault.dataDir)[0]}:${new URL(base).port}`);
      expect(`${slipUrl.pathname}${slipUrl.search}`).toBe(`/intake?code=${encodeURIComponent(code)}`);
      await expect.poll(() => p.evaluate<boolean>("(() => { const i = document.querySelector('.slip img'); return !!i && i.complete && i.naturalWidth > 0; })()")).toBe(true);

      // ───────────── 3. The person, on a phone, in a separate browser ─────────────
      const phone = await openBrowser({ label: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      browsers.push(phone);
      const q = phone.page;
      const phoneUrl = `${base}${slipUrl.pathname}${slipUrl.search}`;
      await q.goto(phoneUrl);
      const intakeForm = await visited(q, 'phone-intake-form');
      expect(intakeForm.text).toContain(`${EMPLOYEE.name} 様`);
      expect(intakeForm.text).toContain('利用目的のお知らせ');
      // Only his own family: not the other employee, not staff, no navigation of the office app.
      for (const stranger of [OTHER.name, HANDLER.name, ADMIN.login, '人物台帳', 'サインアウト']) expect(intakeForm.text).not.toContain(stranger);
      // His own and his two dependants' numbers; the fields for a family member he adds are apart (new_*).
      const numberInputs = q.locator('form input[inputmode=numeric]:not([name^="new_"])');
      await expect.poll(() => numberInputs.count()).toBe(3);
      const labels = await q.locator('form label[for^="dependant_"]').allInnerTexts();
      expect(labels.map((l) => l.trim()).sort()).toEqual([`${SPOUSE.name}（${SPOUSE.relationship}）`, `${CHILD.name}（${CHILD.relationship}）`].sort());
      const named = intakeForm.text.match(/山田 [^\s（]+/gu) ?? [];
      expect(new Set(named)).toEqual(new Set([EMPLOYEE.name, SPOUSE.name, CHILD.name]));

      // A first try without the acknowledgement and with a mistyped child's number: errors, nothing stored, nothing echoed.
      await q.getByLabel('あなたの個人番号').fill(OWN);
      await q.getByLabel(`${SPOUSE.name}（${SPOUSE.relationship}）`).fill(SPOUSE_NO);
      await q.getByLabel(`${CHILD.name}（${CHILD.relationship}）`).fill(wrongCheckDigit(CHILD_NO));
      expectedHttp.add(`400 POST ${base}/intake`);
      expect(await submit(q, () => q.getByRole('button', { name: '提出する' }).tap())).toBe(400);
      const intakeError = await visited(q, 'phone-intake-error');
      expect(intakeError.text).toContain('入力に誤りがあります');
      expect(intakeError.text).toContain('利用目的を確認したら、チェックを入れてください。');
      expect(intakeError.text).toContain('チェックデジット');
      expect(intakeError.html).not.toContain(wrongCheckDigit(CHILD_NO));
      expect(vault.persons.count().held).toBe(0);

      await q.getByLabel('上記の利用目的を確認しました。').check();
      await q.getByLabel('あなたの個人番号').fill(OWN);
      await q.getByLabel(`${SPOUSE.name}（${SPOUSE.relationship}）`).fill(SPOUSE_NO);
      const childInput = q.getByLabel(`${CHILD.name}（${CHILD.relationship}）`);
      await childInput.fill('');
      await childInput.pressSequentially(typedFullWidth(CHILD_NO));
      expect(await childInput.inputValue()).toBe(typedFullWidth(CHILD_NO));
      expect(await submit(q, () => q.getByRole('button', { name: '提出する' }).tap())).toBe(200);
      const done = await visited(q, 'phone-intake-done');
      expect(done.text).toContain('ご提出ありがとうございました');
      expect(vault.persons.count().held).toBe(3);

      // The code worked once only.
      expectedHttp.add(`403 GET ${phoneUrl}`);
      await q.goto(phoneUrl);
      const reused = await visited(q, 'phone-intake-code-used');
      expect(reused.text).toContain('既に使われています');

      // ───────────── 4. The handler records 本人確認 ─────────────
      await p.goto(personUrl);
      const held = await visited(p, 'person-number-held');
      expect(held.text).toContain('登録済');
      expect(held.text).toContain('本人確認の記録はありません');
      await p.getByRole('link', { name: '本人確認を記録する' }).click();
      await p.waitForURL(`${personUrl}/identity-check`);
      await visited(p, 'identity-check-form');
      await p.getByLabel('対面', { exact: true }).check();
      await p.getByLabel('番号確認書類', { exact: true }).selectOption({ label: 'マイナンバーカード（個人番号カード）' });
      await p.getByRole('checkbox', { name: 'マイナンバーカード（個人番号カード）' }).check();
      await p.getByLabel('確認日', { exact: true }).fill(today);
      await p.getByRole('button', { name: '記録する' }).click();
      await p.waitForURL(personUrl);
      const checked = await visited(p, 'person-identity-checked');

      // ───────────── 5. The register and the person page ─────────────
      const checkTable = p.locator('section').filter({ has: p.getByRole('heading', { name: '本人確認の記録' }) }).locator('tbody tr');
      await expect.poll(() => checkTable.count()).toBe(1);
      const checkRow = await checkTable.innerText();
      for (const want of [formatDate(today), '対面', 'マイナンバーカード（個人番号カード）', HANDLER.name]) expect(checkRow).toContain(want);
      const numberSection = p.locator('section').filter({ has: p.getByRole('heading', { name: '個人番号', exact: true }) });
      expect(await numberSection.locator('td.state').innerText()).toBe('登録済');
      expect(checked.text).not.toContain('本人確認の記録はありません');
      for (const dep of [SPOUSE, CHILD]) expect(await depRows.filter({ hasText: dep.name }).innerText()).toContain('登録済');

      await p.getByRole('navigation').getByRole('link', { name: '人物台帳' }).click();
      await p.waitForURL(`${base}/persons`);
      const register = await visited(p, 'register');
      const row = p.getByRole('row').filter({ hasText: EMPLOYEE.name }).filter({ hasText: EMPLOYEE.code });
      await expect.poll(() => row.count()).toBe(1);
      const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
      expect(cells).toEqual([EMPLOYEE.code, EMPLOYEE.name, EMPLOYEE.kana, '従業員', '在職', '登録済']);
      expect(await p.getByRole('row').filter({ hasText: OTHER.name }).locator('td').last().innerText()).toBe('—');
      // The register shows no digits of any number, not even a part.
      for (const n of NUMBERS) for (const w of windows(n, 4)) expect(register.text).not.toContain(w);

      // ───────────── 7. No console errors, no CSP violations, no unexpected errors ─────────────
      // First prove the watchers see a violation: an injected inline script must be refused and reported.
      const before = office.problems.length;
      await p.evaluate("(() => { const s = document.createElement('script'); s.textContent = 'window.__mnvInline = 1'; document.body.append(s); })()");
      await expect.poll(() => office.problems.slice(before).map((x) => x.kind).sort()).toEqual(['console', 'csp']);
      expect(await p.evaluate<unknown>('window.__mnvInline')).toBeUndefined();
      office.problems.splice(before);

      const unexpected = (list: PageProblem[]) =>
        list.filter((x) => {
          if (x.kind === 'http') return !expectedHttp.has(`${x.text.split(' ')[0]} ${x.text.split(' ')[1]} ${x.url}`);
          // Chromium logs the status of a document answered with an error; only those the test caused are fine.
          const m = /Failed to load resource: the server responded with a status of (\d{3})/u.exec(x.text);
          if (x.kind === 'console' && m) return ![...expectedHttp].some((e) => e.startsWith(`${m[1]} `) && e.endsWith(` ${x.url}`));
          return true;
        });
      const problems = browsers.flatMap((b) => b.problems);
      expect(problems.filter((x) => x.kind === 'csp')).toEqual([]);
      expect(problems.filter((x) => x.kind === 'pageerror')).toEqual([]);
      expect(unexpected(problems)).toEqual([]);
      const tolerated = problems.filter((x) => !unexpected([x]).length);

      // ───────────── 8. Canary: the data folder holds no number in any encoding ─────────────
      for (const b of browsers.splice(0)) await b.close();
      const running = scanDataDir(dataDir, NUMBERS);
      expect(running.files).toBeGreaterThan(0);
      expect(running.hits).toEqual([]);
      await serving.stop();
      const stopped = scanDataDir(dataDir, NUMBERS);
      expect(stopped.hits).toEqual([]);
      for (const n of NUMBERS) for (const f of forms(n)) expect(serverOutput.lines.join('')).not.toContain(f);

      process.stdout.write(`\nexpected errors the test provoked (${tolerated.length}):\n${tolerated.map((x) => `  [${x.browser}/${x.kind}] ${x.text} ${x.url.replace(base, '')}`).join('\n')}\n`);
      process.stdout.write(`\nscreenshots (${shots.files.length}):\n${pageLog.map((l) => `  ${l.shot.slice(ROOT.length + 1)}  ${l.url.replace(base, '')}  「${l.status}」`).join('\n')}\n`);
    } finally {
      serverOutput.restore();
      for (const b of browsers) await b.close().catch(() => undefined);
      await serving?.stop();
    }
  }, 120_000);
});
