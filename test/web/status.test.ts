import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';

describe('status page', () => {
  it('shows counts and the chain head without any number, under a strict CSP', async () => {
    const { vault } = await newTestVault();
    const number = syntheticNumber(1, 2);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${number}\n`), { actor: { id: 't', name: 't' } });
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false });
    try {
      const page = await fetch(serving.url);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(html).toContain('登録済</th><td>1 名');
      expect(html).not.toContain(number);
      expect(html).not.toContain('山田');
      const health = await (await fetch(new URL('/health', serving.url))).json();
      expect(health).toMatchObject({ status: 'ok' });
      expect((await fetch(new URL('/static/none.css', serving.url))).status).toBe(404);
    } finally {
      await serving.stop();
    }
  });

  it('refuses simulated devices in production mode', async () => {
    const { vault } = await newTestVault();
    await expect(startServer(vault, loadConfig({ MNVAULT_MODE: 'production' }), { port: 0, host: '127.0.0.1', simulateDevices: true })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
