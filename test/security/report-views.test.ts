import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

describe('viewing reports', () => {
  it('records a view once per report and period per session; a change in the vault, another period or a new session records again', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-15T00:00:00Z'));
    try {
      await addStaff(vault);
      const app = testApp(vault);
      const printed = () => auditEvents(vault).filter((e) => e.action === 'report.printed').length;
      const b = new Browser(app);
      await b.signIn(AUDITOR.login, AUDITOR.password);
      const before = printed();
      const views = await Promise.all([0, 1, 2].map(() => b.get('/reports/activity?month=2026-04')));
      for (let i = 0; i < 20; i++) views.push(await b.get('/reports/activity?month=2026-04'));
      for (const v of views) expect(v.status).toBe(200);
      expect(printed() - before).toBeLessThanOrEqual(3); // the three sent at once may each record; the 20 after add nothing
      const settled = printed();
      for (let i = 0; i < 5; i++) await b.get('/reports/activity?month=2026-04');
      expect(printed()).toBe(settled);

      await b.get('/reports/activity?month=2026-03');
      expect(printed()).toBe(settled + 1);
      // Something happened in the vault: the next view is a new snapshot and is recorded.
      importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E9,新規 太郎,${syntheticNumber(51, 1)}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
      await b.get('/reports/activity?month=2026-04');
      expect(printed()).toBe(settled + 2);
      await b.get('/reports/activity?month=2026-04');
      expect(printed()).toBe(settled + 2);

      const other = new Browser(app);
      await other.signIn(AUDITOR.login, AUDITOR.password);
      await other.get('/reports/activity?month=2026-04');
      expect(printed()).toBe(settled + 3);
    } finally {
      vault.close();
    }
  });
});
