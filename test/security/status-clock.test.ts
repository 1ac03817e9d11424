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
});
