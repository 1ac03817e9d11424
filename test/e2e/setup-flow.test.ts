import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pinPadSocketPath, startServer, type Serving } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { systemClock } from '../../src/domain/ports.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { auditEvents } from '../helpers/audit.js';
import { openBrowser, Screenshots, type OpenBrowser } from '../helpers/browser.js';
import { keystrokes } from '../helpers/keypad.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { passSecondFactorInPage } from '../helpers/second-factor.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'setup');
/** Waits (up to 10 s) until the element's text contains, equals or matches what is expected. */
async function hasText(locator: Locator, want: string | RegExp, exact = false): Promise<void> {
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = (await locator.innerText().catch(() => '')).trim();
    if (typeof want !== 'string' ? want.test(text) : exact ? text === want : text.includes(want)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(text).toBe(String(want));
}

const HANDLER = { login: 'tanto', name: '担当 花子', password: 'tanto-password-2026', pin: '482915' } as const;

describe('first-run setup in a real browser over HTTPS', () => {
  it('walks an admin through every step with the simulated devices, then shows the status and the CA page', async () => {
    const { vault } = await newTestVault(systemClock);
    const shots = new Screenshots(ARTIFACTS);
    let serving: Serving | undefined;
    let browser: OpenBrowser | undefined;
    try {
      serving = await startServer(vault, loadConfig({ MNVAULT_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128' }), {
        port: 0,
        host: '127.0.0.1',
        simulateDevices: true,
        http: false,
        pinCost: TEST_PIN_COST,
      });
      const base = serving.url.replace(/\/$/u, '');
      browser = await openBrowser({ label: 'setup', viewport: { width: 1100, height: 800 } });
      const p = browser.page;
      const heading = (page: Page) => page.getByRole('heading', { level: 2 }).first().innerText();

      await p.goto(`${base}/login`);
      await p.getByLabel('ユーザー名', { exact: true }).fill(ADMIN.login);
      await p.getByLabel('パスワード', { exact: true }).fill(ADMIN.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await passSecondFactorInPage(p, vault, ADMIN.login);
      await p.waitForURL(`${base}/`);
      await hasText(p.locator('.setup-banner'), '初期設定が終わっていません。');
      await shots.take(p, 'home-banner');

      await p.locator('.setup-banner a').click();
      await p.waitForURL(/\/admin\/setup\/company$/u);
      await p.getByLabel('会社名（100文字以内）').fill('株式会社サンプル商事');
      await shots.take(p, 'company');
      await p.getByRole('button', { name: '保存して次へ' }).click();

      await p.waitForURL(/\/admin\/setup\/networks$/u);
      expect(await heading(p)).toContain('接続を許すLAN');
      await p.getByLabel('新しい値（例: 192.168.1.0/24）').fill('127.0.0.0/8,192.168.10.0/24');
      await p.getByRole('button', { name: '確かめる' }).click();
      await hasText(p.locator('pre.command').last(), 'MNVAULT_ALLOWED_NETWORKS=127.0.0.0/8,192.168.10.0/24', true);
      await shots.take(p, 'networks');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      // The PIN pad step: a key pressed on the (simulated) pad shows up without its digit.
      await p.waitForURL(/\/admin\/setup\/pinpad$/u);
      await hasText(p.locator('#pinpad-live-message'), 'キー入力を待っています…', true);
      const pad = connect(pinPadSocketPath(vault.dataDir));
      await new Promise((r) => pad.once('connect', r));
      pad.write(keystrokes('5'));
      await hasText(p.locator('#pinpad-live-message'), 'キー入力を受け取りました');
      pad.destroy();
      expect(await p.locator('#pinpad-live').innerText()).not.toMatch(/押した数字: 5|「5」/u);
      await shots.take(p, 'pinpad');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      await p.waitForURL(/\/admin\/setup\/security-key$/u);
      await p.getByRole('link', { name: 'セキュリティキーの登録・管理へ' }).waitFor();
      await shots.take(p, 'security-key');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      await p.waitForURL(/\/admin\/setup\/door$/u);
      await p.getByRole('button', { name: 'テスト解錠' }).click();
      await hasText(p.locator('.notice'), '解錠の信号を送りました');
      await shots.take(p, 'door');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      // Handlers: add one and set their PIN through 利用者の管理, then come back.
      await p.waitForURL(/\/admin\/setup\/handlers$/u);
      await hasText(p.locator('.warning'), '事務取扱担当者がまだいません。');
      await shots.take(p, 'handlers-none');
      await p.getByRole('link', { name: '事務取扱担当者を追加' }).click();
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('氏名', { exact: true }).fill(HANDLER.name);
      await p.getByLabel('初期パスワード（12文字以上）').fill(HANDLER.password);
      await p.getByRole('button', { name: '利用者を追加' }).click();
      await p.waitForURL(/\/admin\/users(\?done=created)?$/u);
      await p.goto(`${base}/admin/setup/handlers`);
      await p.getByRole('row', { name: new RegExp(HANDLER.name, 'u') }).getByRole('link', { name: 'PINを設定' }).click();
      await p.getByLabel('あなた（管理者）のPIN').fill(ADMIN.pin);
      await p.getByLabel('新しいPIN（6〜12桁の数字）').fill(HANDLER.pin);
      await p.getByRole('main').getByRole('button', { name: 'PINを設定' }).click();
      await p.waitForURL(/\/admin\/users(\?done=pin)?$/u);
      await p.goto(`${base}/admin/setup/handlers`);
      await hasText(p.getByRole('row', { name: new RegExp(HANDLER.name, 'u') }), '設定済');
      await shots.take(p, 'handlers');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      await p.waitForURL(/\/admin\/setup\/backup$/u);
      await p.getByLabel('バックアップ先のフォルダー（絶対パス）').fill('relative/path');
      await p.getByRole('button', { name: '確認して保存' }).click();
      await hasText(p.locator('#backupDir-error'), '絶対パス');
      await shots.take(p, 'backup-error');
      await p.getByLabel('バックアップ先のフォルダー（絶対パス）').fill(tempDir('mnvault-e2e-backup-'));
      await p.getByRole('button', { name: '確認して保存' }).click();
      await hasText(p.locator('.notice'), '保存しました。');
      await shots.take(p, 'backup');
      await p.getByRole('button', { name: '確認して次へ' }).click();

      await p.waitForURL(/\/admin\/setup\/finish$/u);
      await shots.take(p, 'finish');
      await p.getByRole('button', { name: '初期設定を完了する' }).click();
      await p.waitForURL(/\/admin\/status\?completed=1$/u);
      await hasText(p.locator('h1'), '設定の確認', true);
      await shots.take(p, 'status');

      await p.goto(`${base}/`);
      expect(await p.locator('.setup-banner').count()).toBe(0);
      await p.getByRole('button', { name: 'サインアウト' }).click();
      await p.getByRole('link', { name: /ローカルCAの証明書の入れ方/u }).click();
      await p.waitForURL(/\/ca$/u);
      await hasText(p.locator('#ca-sha256'), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/u, true);
      await shots.take(p, 'ca');

      const actions = auditEvents(vault).map((e) => e.action);
      expect(actions).toContain('door.test_pulse');
      expect(actions.filter((a) => a === 'setup.completed')).toHaveLength(1);
      // The only 4xx the walk provokes is the refused backup path.
      const problems = browser.problems.filter((x) => !(x.url.endsWith('/admin/setup/backup') && (x.text === '400 POST' || /status of 400/u.test(x.text))));
      expect(problems).toEqual([]);
      expect(shots.files.length).toBe(13);
    } finally {
      await browser?.close();
      await serving?.stop();
    }
  }, 120_000);
});
