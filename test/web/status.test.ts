import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

describe('web app basics', () => {
  it('shows the home page only after sign-in, with counts and no number, under a strict CSP', async () => {
    const { vault } = await newTestVault();
    const number = syntheticNumber(1, 2);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${number}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const b = new Browser(testApp(vault));
    const anon = await b.get('/');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/login');
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    const home = await b.get('/');
    expect(home.status).toBe(200);
    expect(home.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(home.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(home.text).toContain('登録済</th><td>1 名');
    expect(home.text).not.toContain(number);
    const list = await b.get('/persons');
    expect(list.text).toContain('山田 太郎');
    expect(list.text).toContain('登録済');
    expect(list.text).not.toContain(number);
    expect((await b.get('/health')).body).toMatchObject({ status: 'ok' });
    expect((await b.get('/static/none.css')).status).toBe(404);
  });

  it('serves HTTPS with TLS 1.2+ and HSTS, and plain HTTP only on loopback', async () => {
    const { vault } = await newTestVault();
    await expect(startServer(vault, loadConfig({}), { port: 0, host: '0.0.0.0', simulateDevices: false, http: true })).rejects.toMatchObject({ code: 'invalid' });
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: false });
    try {
      expect(serving.url).toMatch(/^https:/);
      expect(serving.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const { readFileSync } = await import('node:fs');
      const https = await import('node:https');
      const port = (serving.server.address() as { port: number }).port;
      const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/login', ca: readFileSync(`${vault.dataDir}/tls/ca.pem`), servername: 'localhost', minVersion: 'TLSv1.2' }, (r) => {
            r.resume();
            resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] as string | undefined });
          })
          .on('error', reject);
      });
      expect(res.status).toBe(200);
      expect(res.hsts).toMatch(/max-age=\d+/);
    } finally {
      await serving.stop();
    }
  });

  it('refuses simulated devices in production mode', async () => {
    const { vault } = await newTestVault();
    await expect(startServer(vault, loadConfig({ MNVAULT_MODE: 'production' }), { port: 0, host: '127.0.0.1', simulateDevices: true, http: true })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('answers clients outside the allowed networks with 403 and an audit event', async () => {
    const { vault } = await newTestVault();
    const { parseNetworks } = await import('../../src/web/network.js');
    const b = new Browser(testApp(vault, { allowedNetworks: parseNetworks(['192.0.2.0/24']) }));
    const before = vault.auditRepo.count();
    const r = await b.get('/login');
    expect(r.status).toBe(403);
    expect(r.text).toContain('社内LAN');
    expect(vault.auditRepo.latest(1)[0]![4]).toBe('network.denied');
    expect(vault.auditRepo.count()).toBe(before + 1);
  });
});

describe('device state for admins', () => {
  it('shows the PIN pad state on the admin home page only', async () => {
    const { vault } = await newTestVault();
    const { addStaff, HANDLER } = await import('../helpers/web.js');
    await addStaff(vault);
    const app = testApp(vault, { deviceStatus: () => ({ pinPad: 'searching' }) });
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    expect((await admin.get('/')).text).toContain('未接続（接続を待っています）');
    const handler = new Browser(app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    expect((await handler.get('/')).text).not.toContain('装置の状態');
  });
});
