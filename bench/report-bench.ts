import { join } from 'node:path';
import { fixedClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { ACTIVITY_ACTIONS } from '../src/reports/activity.js';
import { htmlToPdf } from '../src/reports/pdf.js';
import { monthPeriod } from '../src/reports/period.js';
import { printReport } from '../src/reports/print.js';
import { renderReportHtml } from '../src/reports/render.js';
import { initDevVault } from '../src/services/init-vault.js';
import { writeTransaction } from '../src/storage/database.js';
import { ReportRepo } from '../src/storage/report-repo.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import type { Row } from './row.js';

const now = () => performance.now() / 1000;

/**
 * The monthly 取扱状況記録 over n events of one month: building the model and
 * rendering its HTML (target ≤ 3 s at 100,000), and the PDF, against reading
 * the same rows from the encrypted trail and doing nothing with them.
 */
export async function benchReports(root: string, n: number, pdfN: number): Promise<Row[]> {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, recoveryCode } = await initDevVault({
    dataDir: join(root, 'reports'),
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock,
    pinCost: TEST_PIN_COST,
  });
  recoveryCode.wipe();
  try {
    const actor = { id: 'u-1', name: '担当 花子' };
    const step = Math.floor((29 * 86_400_000) / n);
    writeTransaction(vault.db, () => {
      for (let i = 0; i < n; i++) {
        clock.advance(step);
        const subject = [{ id: (i % 5000) + 1, name: `試験 太郎${(i % 5000) + 1}` }];
        if (i % 4 === 0) vault.audit.append({ actor, action: 'auth.signed_in', client: '192.168.1.20', detail: { user_id: actor.id } });
        else if (i % 4 === 1) vault.audit.append({ actor, action: 'identity.checked', client: '192.168.1.20', subjects: subject, detail: { method: 'in_person' } });
        else vault.audit.append({ actor, action: 'number.revealed', device: 'pinpad:bench', purpose: 'withholding_slip', subjects: subject, detail: { request_id: i } });
      }
    });
    const period = monthPeriod('2026-04');
    const head = vault.audit.head()!.seq;
    let floor = Infinity;
    for (let run = 0; run < 3; run++) {
      const t = now();
      let k = 0;
      for (const r of new ReportRepo(vault.db).events(ACTIVITY_ACTIONS, period.from, period.to, head)) k += r.seq > 0 ? 1 : 0;
      floor = Math.min(floor, now() - t);
      if (k !== n) throw new Error(`report bench: read ${k} of ${n}`);
    }
    let ours = Infinity;
    let html = '';
    for (let run = 0; run < 2; run++) {
      const t = now();
      const model = printReport(vault, { id: 'bench', name: 'bench' }, { kind: 'activity', period }, 'html', null);
      html = await renderReportHtml(model, { mode: 'pdf' });
      ours = Math.min(ours, now() - t);
    }
    const rows: Row[] = [
      { operation: `monthly 取扱状況記録: build + render HTML (${(html.length / 1e6).toFixed(1)} MB)`, n, seconds: ours, floor: 'read the same rows from the trail', floorSeconds: floor, target: '≤ 3 s' },
    ];
    if (pdfN > 0) {
      const small = printReport(vault, { id: 'bench', name: 'bench' }, { kind: 'activity', period }, 'pdf', null);
      small.sections[1]!.tables[0]!.rows.length = Math.min(pdfN, small.sections[1]!.tables[0]!.rows.length);
      const smallHtml = await renderReportHtml(small, { mode: 'pdf' });
      let t = now();
      await htmlToPdf('<!doctype html><html lang="ja"><body><p>帳票</p></body></html>');
      const bare = now() - t;
      t = now();
      const pdf = await htmlToPdf(smallHtml);
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/gu) ?? []).length;
      rows.push({ operation: `monthly 取扱状況記録: HTML → A4 PDF in Chromium (${pdfN.toLocaleString('en-US')} rows, ${pages} pages)`, n: pdfN, seconds: now() - t, floor: 'Chromium start + a one-line PDF', floorSeconds: bare, target: 'figure' });
    }
    return rows;
  } finally {
    vault.close();
  }
}
