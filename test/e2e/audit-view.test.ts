import { createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/chain.js';
import { unframe } from '../../src/audit/syslog-format.js';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { writeTransaction } from '../../src/storage/database.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { openBrowser, Screenshots, type OpenBrowser } from '../helpers/browser.js';
import { scanDataDir, windows } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { passSecondFactorInPage } from '../helpers/second-factor.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'audit');
const NUMBER = syntheticNumber(8_120_550_001, 4);

describe('the audit page in Chromium, served by mnvault serve with the syslog witness', () => {
  it('filters, runs the full verification from the button with the page’s own script (no CSP problems), opens an event, and the remote syslog receives every event', async () => {
    const { vault, dataDir } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const person = vault.persons.codes('employee').get('E1')!;
    const clock = fixedClock('2026-04-02T00:00:00Z');
    const trail = new AuditTrail(vault.auditRepo, vault.keys.audit, clock);
    writeTransaction(vault.db, () => {
      for (let i = 0; i < 3000; i++) {
        clock.advance(60_000);
        trail.append({ actor: { id: 'u1', name: '担当 一郎' }, action: i % 3 ? 'door.opened' : 'number.revealed', subjects: i % 3 ? [] : [{ id: person, name: '山田 太郎' }], purpose: i % 3 ? null : 'withholding_slip', device: 'door:main', detail: {} });
      }
    });

    const received: string[] = [];
    const sockets: Socket[] = [];
    const rx = createServer((s) => {
      sockets.push(s);
      let buf: Buffer = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        const r = unframe(Buffer.concat([buf, d]));
        received.push(...r.messages);
        buf = r.rest;
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', () => r()));
    const port = (rx.address() as { port: number }).port;

    let serving: Serving | undefined;
    let browser: OpenBrowser | undefined;
    const shots = new Screenshots(ARTIFACTS);
    try {
      const before = vault.auditRepo.head()!.seq;
      serving = await startServer(vault, loadConfig({ MNVAULT_SYSLOG: `tcp://127.0.0.1:${port}` }), { port: 0, host: '127.0.0.1', simulateDevices: false, http: true, pinCost: TEST_PIN_COST });
      const base = serving.url.replace(/\/$/u, '');
      browser = await openBrowser({ label: 'office', viewport: { width: 1280, height: 900 } });
      const p = browser.page;
      await p.goto(`${base}/login`);
      await p.getByLabel('ユーザー名', { exact: true }).fill(ADMIN.login);
      await p.getByLabel('パスワード', { exact: true }).fill(ADMIN.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await passSecondFactorInPage(p, vault, ADMIN.login);
      await p.getByRole('navigation').getByRole('link', { name: '監査記録' }).click();
      await p.waitForURL(`${base}/audit`);
      expect(await p.locator('table.audit-log tbody tr').count()).toBe(50);
      await shots.take(p, 'audit-list');

      // Filter: the numbers group and the person by name.
      await p.getByLabel('操作', { exact: true }).selectOption('group:numbers');
      await p.getByLabel('人物（人物ID、または氏名・フリガナ・社員番号）').fill('山田');
      await p.getByRole('button', { name: '絞り込む' }).click();
      await p.waitForURL(/action=group%3Anumbers/u);
      const actions = await p.locator('table.audit-log tbody td:nth-child(3)').allTextContents();
      expect(actions.length).toBe(50);
      expect(new Set(actions)).toEqual(new Set(['個人番号の表示']));
      await p.getByRole('link', { name: '古い記録へ' }).click();
      await p.waitForURL(/before=/u);
      expect(await p.locator('table.audit-log tbody tr').count()).toBe(50);
      await shots.take(p, 'audit-filtered');

      // The full verification: the button, then the page's script polls and reloads with the result.
      await p.goto(`${base}/audit`);
      await p.getByRole('button', { name: '全件を検証する' }).click();
      await p.getByText('すべて正常です').waitFor({ timeout: 30_000 });
      const head = vault.auditRepo.latest(1)[0]!;
      expect(head[4]).toBe('audit.verified');
      await p.getByText(`seq ${head[0] - 1} まで正常`).waitFor();
      await shots.take(p, 'audit-verified');
      await p.locator('#verified a').click();
      await p.waitForURL(`${base}/audit/${head[0]}`);
      await p.getByText('HMAC は正しく').waitFor();
      await shots.take(p, 'audit-event');
      for (const text of [await p.content()]) for (const w of windows(NUMBER)) expect(text).not.toContain(w);
      expect(browser.problems).toEqual([]);

      // Every event since serve started reached the witness: sign-in, the verification.
      const expectedSeqs = [...vault.auditRepo.iterateRaw(before + 1)].map((r) => String(r[0]));
      expect(expectedSeqs.length).toBeGreaterThanOrEqual(2);
      await new Promise<void>((resolveWait, reject) => {
        const end = Date.now() + 5000;
        const tick = () => (expectedSeqs.every((s) => received.some((m) => m.includes(` seq="${s}" `))) ? resolveWait() : Date.now() > end ? reject(new Error('syslog incomplete')) : setTimeout(tick, 20));
        tick();
      });
      expect(received.some((m) => / audit\.verified \[/u.test(m))).toBe(true);
      expect(received.some((m) => / auth\.signed_in \[/u.test(m))).toBe(true);
      for (const m of received) expect(m).not.toContain('山田');
    } finally {
      await browser?.close();
      await serving?.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => rx.close(() => r()));
    }
    expect(scanDataDir(dataDir, [NUMBER]).hits).toEqual([]);
  }, 120_000);
});
