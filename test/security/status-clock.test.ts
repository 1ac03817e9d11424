import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

describe('the status page shows the clock', () => {
  it('shows the time read, and 要確認 with what to do when the clock is before the newest audit event', async () => {
    const clock = fixedClock('2026-04-01T12:00:00Z');
    const { vault } = await newTestVault(clock);
    try {
      const b = new Browser(testApp(vault));
      await b.signIn(ADMIN.login, ADMIN.password);
      const ok = await b.get('/admin/status');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('装置の時刻 2026-04-01T12:00:00.000Z');
      expect(ok.text).not.toContain('時計が遅れています');
      clock.advance(-2 * 60 * 60 * 1000);
      const behind = await b.get('/admin/status');
      expect(behind.text).toMatch(/最新の監査記録（2026-04-01T12:00:00\.000Z）より前/u);
      expect(behind.text).toContain('時計が遅れています');
    } finally {
      vault.close();
    }
  });

  it('marks a local CA made before name constraints for replacement', async () => {
    const { vault, dataDir } = await newTestVault(fixedClock(new Date().toISOString()));
    try {
      mkdirSync(join(dataDir, 'tls'), { recursive: true });
      // A CA as older versions made it: basicConstraints, no NameConstraints.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=old CA', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE',
        '-keyout', join(dataDir, 'old-ca-key.pem'), '-out', join(dataDir, 'tls', 'ca.pem')], { stdio: 'ignore' });
      const b = new Browser(testApp(vault));
      await b.signIn(ADMIN.login, ADMIN.password);
      const page = await b.get('/admin/status');
      expect(page.text).toContain('ローカルCAの名前の制約');
      expect(page.text).toContain('名前の制約がありません');
    } finally {
      vault.close();
    }
  });
});
