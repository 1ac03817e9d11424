import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { systemClock } from '../../src/domain/ports.js';
import { packagePath } from '../../src/paths.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { openBrowser, Screenshots, type OpenBrowser } from '../helpers/browser.js';
import { auditEvents } from '../helpers/audit.js';
import { captureStderr, forms, scanDataDir, windows } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e-gate');
const MAIN = packagePath('dist', 'src', 'cli', 'main.js');

const YAMADA = syntheticNumber(7_305_918_264, 11);
const HANAKO = syntheticNumber(6_150_482_973, 12);
const SUZUKI = syntheticNumber(2_947_061_385, 13);
const PAYEE = syntheticNumber(9_416_270_358, 14);
const NUMBERS = [YAMADA, HANAKO, SUZUKI, PAYEE];
const grouped = (n: string) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;

const CSV = [
  '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号',
  `従業員,E1,山田 太郎,ヤマダ タロウ,1985-04-01,${YAMADA},,`,
  `扶養親族,,山田 花子,ヤマダ ハナコ,1987-06-15,${HANAKO},配偶者,E1`,
  `従業員,E2,鈴木 一郎,スズキ イチロウ,1979-11-03,${SUZUKI},,`,
  `支払先,P1,佐藤 講師,サトウ コウシ,1970-01-20,${PAYEE},,`,
].join('\r\n');

/** The terminal PIN pad (`mnvault pinpad`), driven through its stdin as a person would type. */
class PinPadSimulator {
  readonly output: string[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => this.output.push(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => this.output.push(d.toString('utf8')));
  }

  static async start(dataDir: string): Promise<PinPadSimulator> {
    const child = spawn(process.execPath, [MAIN, 'pinpad', '--data', dataDir], { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
    const sim = new PinPadSimulator(child);
    await expect.poll(() => sim.output.join(''), { timeout: 10_000 }).toContain('模擬PINパッド');
    return sim;
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end('\x04');
    await exited;
  }
}

describe('the physical gate in a real browser with the PIN pad simulator', () => {
  it('a handler sees a number after code and PIN at the appliance, then it is masked; an export downloads once; the trail and the data folder hold what they should', async () => {
    expect(existsSync(MAIN), 'dist is missing: npm test builds it').toBe(true);
    const { vault, dataDir } = await newTestVault(systemClock);
    await addStaff(vault);
    const imported = importPersons(vault, Buffer.from(CSV, 'utf8'), { purposes: ALL_PURPOSES, actor: { id: 'seed', name: 'テスト準備' } });
    expect(imported.imported).toEqual({ employee: 2, dependant: 1, payee: 1, notProvided: 0 });
    const yamada = vault.persons.codes('employee').get('E1')!;

    const serverOutput = captureStderr();

    const shots = new Screenshots(ARTIFACTS);
    let serving: Serving | undefined;
    let office: OpenBrowser | undefined;
    let pad: PinPadSimulator | undefined;
    const viewMs = 6_000;
    try {
      serving = await startServer(vault, loadConfig({}), {
        port: 0,
        host: '127.0.0.1',
        simulateDevices: true,
        http: false,
        pinCost: TEST_PIN_COST,
        gateWindows: { approvalMs: 120_000, viewMs },
      });
      const base = serving.url.replace(/\/$/u, '');
      pad = await PinPadSimulator.start(dataDir);

      office = await openBrowser({ label: 'office', viewport: { width: 1366, height: 768 } });
      const p = office.page;
      /** No number in the HTML or text of a page, except where the test expects the one revealed. */
      const clean = async (page: Page, name: string, shownNumber?: string) => {
        const html = await page.content();
        const text = await page.locator('body').innerText();
        for (const n of NUMBERS) {
          if (n === shownNumber) continue;
          for (const f of forms(n)) expect(html, `${name}: the HTML holds a number`).not.toContain(f);
          for (const w of windows(n)) expect(text, `${name}: the page shows digits of a number`).not.toContain(w);
        }
        await shots.take(page, name, [page.locator('#revealed')]);
      };

      await p.goto(`${base}/login`);
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('パスワード', { exact: true }).fill(HANDLER.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.waitForURL(`${base}/`);

      // ───────────── 1. Reveal: request in the browser, approve at the appliance ─────────────
      await p.goto(`${base}/persons/${yamada}`);
      await clean(p, 'person');
      await p.getByLabel('利用目的').selectOption('withholding_slip');
      await p.getByLabel('メモ（任意）').fill('年末調整の源泉徴収票');
      await p.getByRole('button', { name: '番号を表示する（管理区域で承認）' }).click();
      await p.waitForURL(/\/gate\/\d+$/u);
      const code = (await p.locator('.request-code').innerText()).trim();
      expect(code).toMatch(/^\d{6}$/u);
      await expect.poll(() => p.locator('#gate-state').innerText()).toBe('管理区域での承認待ち');
      await clean(p, 'reveal-waiting');

      // A wrong PIN first: refused, counted, nothing shown.
      pad.type(`${code}\r000000\r`);
      await expect.poll(() => auditEvents(vault).some((e) => e.action === 'slot.unlock_failed'), { timeout: 10_000 }).toBe(true);
      expect(await p.locator('#revealed').innerText()).toBe('');

      pad.type(`${code}\r${HANDLER.pin}\r`);
      await expect.poll(() => p.locator('#revealed').innerText(), { timeout: 10_000 }).toBe(grouped(YAMADA));
      expect(await p.locator('#gate-state').innerText()).toBe('承認済み（表示中）');
      await expect.poll(() => p.locator('#countdown').innerText()).toMatch(/あと \d+ 秒で隠します。/u);
      await clean(p, 'reveal-shown', YAMADA);

      // The viewing window ends: the page masks the number by itself.
      await expect.poll(() => p.locator('#revealed').innerText(), { timeout: viewMs + 5_000 }).toBe('************（表示時間が終わりました）');
      expect(await p.locator('#gate-state').innerText()).toBe('表示を終了しました');
      await clean(p, 'reveal-masked');
      // Coming back to the page does not show it again.
      await p.reload();
      await expect.poll(() => p.locator('#revealed').innerText()).toBe('************（表示時間が終わりました）');
      await clean(p, 'reveal-reloaded');

      // ───────────── 2. Export: the employees and their dependants, Shift_JIS, once ─────────────
      await p.goto(`${base}/gate/export/new`);
      await p.getByLabel('対象').selectOption('employees');
      await p.getByLabel('利用目的').selectOption('withholding_slip');
      await p.getByLabel('文字コード').selectOption('shift_jis');
      await clean(p, 'export-form');
      await p.getByRole('button', { name: '出力を申請する（管理区域で承認）' }).click();
      await p.waitForURL(/\/gate\/\d+$/u);
      expect(await p.locator('table.details').innerText()).toContain('3 名');
      const exportCode = (await p.locator('.request-code').innerText()).trim();
      await clean(p, 'export-waiting');
      // Before approval there is nothing to download.
      expect(await p.getByRole('link', { name: 'CSVをダウンロード（1回だけ）' }).isVisible()).toBe(false);
      pad.type(`${exportCode}\r${HANDLER.pin}\r`);
      const link = p.getByRole('link', { name: 'CSVをダウンロード（1回だけ）' });
      await link.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await p.locator('#gate-state').innerText()).toBe('承認済み（ダウンロードできます）');
      await expect.poll(() => p.locator('#countdown').innerText()).toMatch(/あと \d+ 秒でダウンロードできなくなります。/u);
      await clean(p, 'export-ready');
            const [download] = await Promise.all([p.waitForEvent('download'), link.click()]);
      const path = await download.path();
      const bytes = readFileSync(path);
      await download.delete();
      const { default: iconv } = await import('iconv-lite');
      const text = iconv.decode(bytes, 'cp932');
      expect(download.suggestedFilename()).toMatch(/^mynumber-withholding_slip-\d{8}\.csv$/u);
      const lines = text.trim().split('\r\n');
      expect(lines[0]).toBe('種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号');
      // In the order the persons were stored: an import stores employees, then dependants, each in register order.
      expect(lines.slice(1)).toEqual([
        `従業員,E2,鈴木 一郎,スズキ イチロウ,1979-11-03,${SUZUKI},,`,
        `従業員,E1,山田 太郎,ヤマダ タロウ,1985-04-01,${YAMADA},,`,
        `扶養親族,,山田 花子,ヤマダ ハナコ,1987-06-15,${HANAKO},配偶者,E1`,
      ]);
      expect(text).not.toContain(PAYEE);
      await expect.poll(() => p.locator('#gate-state').innerText()).toBe('ダウンロード済み・または期限切れ');
      expect(await p.locator('#download').isVisible()).toBe(false);
      await clean(p, 'export-done');
      // A second download is refused with a Japanese message.
      const again = await p.request.get(`${base}${new URL(download.url()).pathname}`);
      expect(again.status()).toBe(403);
      expect(await again.text()).toContain('既にダウンロードされたか');

      // ───────────── 3. The trail: entries with their purpose, the reveal and the export naming everyone ─────────────
      const events = auditEvents(vault);
      const entries = events.filter((e) => e.action === 'gate.entry');
      expect(entries).toHaveLength(2);
      for (const e of entries) {
        expect(e.purpose).toBe('withholding_slip');
        expect(e.device).toBe('pinpad:simulator');
      }
      const revealed = events.find((e) => e.action === 'number.revealed')!;
      expect(revealed.subjects.map((s) => s.id)).toEqual([yamada]);
      const exported = events.find((e) => e.action === 'numbers.exported')!;
      expect(exported.subjects.map((s) => s.name).sort()).toEqual(['山田 太郎', '山田 花子', '鈴木 一郎'].sort());
      expect(events.some((e) => e.action === 'slot.unlock_failed')).toBe(true);

      // ───────────── 4. The entry log (入退室記録), as the auditor reads it ─────────────
      await p.getByRole('button', { name: 'サインアウト' }).click();
      await p.waitForURL(/\/login/u);
      await p.getByLabel('ユーザー名', { exact: true }).fill(AUDITOR.login);
      await p.getByLabel('パスワード', { exact: true }).fill(AUDITOR.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.waitForURL(`${base}/`);
      await p.goto(`${base}/entries`);
      const rows = p.locator('table.entry-log tbody tr');
      const logText = await p.locator('table.entry-log').innerText();
      // The two approvals and, since issue 11, the wrong PIN typed at the pad before one of them.
      expect(await rows.count()).toBe(3);
      expect(logText).toContain('番号の表示');
      expect(logText).toContain('番号の出力');
      expect(logText).toContain('装置での承認の失敗（PIN誤り）');
      expect(logText.match(/源泉徴収票作成事務/gu)?.length).toBe(3);
      expect(logText).toContain('担当 花子');
      await clean(p, 'entry-log');

      // ───────────── 5. Canary: nothing of any number in the data folder, the server's output or the pad's ─────────────
      await pad.stop();
      expect(pad.output.join('')).not.toMatch(/[0-9]{6}/u);
      const running = scanDataDir(dataDir, NUMBERS);
      expect(running.hits).toEqual([]);
      await serving.stop();
      expect(scanDataDir(dataDir, NUMBERS).hits).toEqual([]);
      for (const n of NUMBERS) for (const f of forms(n)) expect(serverOutput.lines.join('')).not.toContain(f);
      expect(office.problems.filter((x) => x.kind === 'csp' || x.kind === 'pageerror')).toEqual([]);
    } finally {
      serverOutput.restore();
      await pad?.stop().catch(() => undefined);
      await office?.close().catch(() => undefined);
      await serving?.stop();
    }
  }, 120_000);
});
