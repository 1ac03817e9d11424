import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ensureTls } from '../../src/web/tls.js';
import { memoryCaKeyStore } from '../helpers/tls.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

describe('the self-intake slip', () => {
  it('prints the certificate name, never the Host header the request came with, when MNVAULT_PUBLIC_URL is unset', async () => {
    const { vault, dataDir } = await newTestVault();
    try {
      await addStaff(vault);
      await ensureTls(dataDir, { hostnames: ['vault-box', 'localhost'], addresses: ['127.0.0.1'], now: vault.clock.now(), caKey: memoryCaKeyStore() });
      const app = testApp(vault, { secure: true });
      const b = new Browser(app);
      await b.signIn(HANDLER.login, HANDLER.password);
      await b.get('/persons/new');
      const created = await b.post('/persons', { kind: 'employee', code: 'E1', name: '高橋 一郎', kana: 'タカハシ イチロウ', birthDate: '1980-05-05' });
      expect(created.status).toBe(303);
      const person = created.headers.location as string;
      await b.get(person);
      const slip = await request(app)
        .post(`${person}/intake-codes`)
        .set('Host', 'vault-box.evil.example')
        .set('Cookie', b.cookieHeader())
        .type('form')
        .send(`_csrf=${encodeURIComponent(b.csrf)}&codePurposes=1&purposes_${person.split('/').pop()}=withholding_slip`);
      expect(slip.status).toBe(200);
      expect(slip.text).not.toContain('evil.example');
      expect(slip.text).toMatch(/https:\/\/vault-box(:\d+)?\/intake\?code=/u);
    } finally {
      vault.close();
    }
  });
});
