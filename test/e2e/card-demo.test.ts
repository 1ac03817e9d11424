import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { privatePcscdProblem } from '../../src/devices/private-pcscd.js';
import { systemClock } from '../../src/domain/ports.js';
import { packagePath } from '../../src/paths.js';
import { actorOf } from '../../src/services/accounts.js';
import { createCampaign } from '../../src/services/campaigns.js';
import { registerPerson } from '../../src/services/persons.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { auditEvents } from '../helpers/audit.js';
import { openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

const MAIN = packagePath('dist', 'src', 'cli', 'main.js');
const missing = privatePcscdProblem();

/**
 * The terminal PIN pad (`mnvault pinpad`), typed into as the README's demo says. It gets 30 s to
 * start: a node process starting on a loaded 2-core machine can take more than 10.
 */
async function startPinPad(dataDir: string): Promise<{ child: ChildProcessWithoutNullStreams; output: string[] }> {
  const child = spawn(process.execPath, [MAIN, 'pinpad', '--data', dataDir], { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  await expect.poll(() => output.join(''), { timeout: 30_000 }).toContain('模擬PINパッド');
  return { child, output };
}

describe.skipIf(missing)(`the README's card demo: serve --simulate-devices offers a virtual card${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('lets a handler take a number by カードで取得 with the virtual card and the simulated PIN pad, from the intake page and from a campaign, never showing it', async () => {
    expect(existsSync(MAIN), 'dist is missing: npm test builds it').toBe(true);
    const { vault, dataDir } = await newTestVault(systemClock);
    await addStaff(vault);
    const admin = actorOf(vault.users.byLogin(ADMIN.login)!);
    const id = registerPerson(vault, admin, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1985-04-01' }, null, null);
    let serving: Serving | undefined;
    let office: OpenBrowser | undefined;
    let pad: Awaited<ReturnType<typeof startPinPad>> | undefined;
    try {
      serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: true, http: true, pinCost: TEST_PIN_COST });
      const base = serving.url.replace(/\/$/u, '');
      pad = await startPinPad(dataDir);
      office = await openBrowser({ label: 'card-demo', viewport: { width: 1366, height: 768 } });
      const p = office.page;
      await p.goto(`${base}/login`);
      await p.getByLabel('ユーザー名', { exact: true }).fill(HANDLER.login);
      await p.getByLabel('パスワード', { exact: true }).fill(HANDLER.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.waitForURL(`${base}/`);

      await p.goto(`${base}/persons/${id}/intake`);
      await p.getByRole('link', { name: 'カードで取得（ICチップ読取）' }).click();
      await p.getByRole('button', { name: '読み取りを始める' }).click();
      await p.waitForURL(/\/card-intake\/[0-9a-f-]+$/u);
      // The page refreshes itself until the virtual card is on the reader and its tries are shown.
      await expect.poll(async () => (await p.locator('body').innerText()).includes('残り3回'), { timeout: 20_000 }).toBe(true);
      const code = (await p.locator('dd strong').first().innerText()).trim();
      expect(code).toMatch(/^\d{6}$/u);
      pad.child.stdin.write(`${code}\r1234\r`);
      await expect.poll(async () => (await p.reload(), await p.locator('body').innerText()).includes('カードの内容と登録内容の比較'), { timeout: 20_000 }).toBe(true);
      // The virtual card's number is random: no run of twelve digits (in any grouping) may be on the page.
      expect((await p.locator('body').innerText()).replace(/[\s-]/gu, '')).not.toMatch(/\d{12}/u);
      await p.getByRole('button', { name: '個人番号を登録する' }).click();
      await p.waitForURL(`${base}/persons/${id}`);
      expect(vault.persons.numberOf(id)?.state).toBe('held');
      const checked = auditEvents(vault).find((e) => e.action === 'identity.checked');
      expect(checked).toMatchObject({ device: 'Virtual PCD 00 00', detail: { number_document: 'my_number_card_ic', signature: 'valid' } });

      // From a collection campaign's list: the same flow, back to the campaign, counted as 本人確認済.
      const second = registerPerson(vault, admin, { kind: 'employee', code: 'E2', name: '伊藤 二郎', birthDate: '1990-07-07' }, null, null);
      const campaign = createCampaign(vault, admin, { name: '新入社員', filter: 'missing', validDays: '14', purposes: { employee: ['withholding_slip'] } }, null);
      await p.goto(`${base}/campaigns/${campaign.id}`);
      await p.locator(`a[href="/persons/${second}/card-intake?campaign=${campaign.id}"]`).click();
      await p.getByRole('button', { name: '読み取りを始める' }).click();
      await p.waitForURL(/\/card-intake\/[0-9a-f-]+$/u);
      await expect.poll(async () => (await p.locator('body').innerText()).includes('残り3回'), { timeout: 20_000 }).toBe(true);
      pad.child.stdin.write(`${(await p.locator('dd strong').first().innerText()).trim()}\r1234\r`);
      await expect.poll(async () => (await p.reload(), await p.locator('body').innerText()).includes('カードの内容と登録内容の比較'), { timeout: 20_000 }).toBe(true);
      await p.getByRole('button', { name: '個人番号を登録する' }).click();
      await p.waitForURL(`${base}/campaigns/${campaign.id}?notice=card`);
      expect(await p.locator('td[data-state="verified"]').innerText()).toBe('1');
      expect(await p.locator('td[data-state="pending"]').innerText()).toBe('0');
    } finally {
      await office?.close();
      if (pad && pad.child.exitCode === null) {
        const exited = new Promise((r) => pad!.child.once('exit', r));
        pad.child.stdin.end('\x04');
        await exited;
      }
      await serving?.stop();
    }
  }, 150_000);
});
