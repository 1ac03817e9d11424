import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../../src/domain/audit-events.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { writeTransaction } from '../../src/storage/database.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 3 }, (_, i) => syntheticNumber(i + 1, 91));
const flat = (s: string) => s.replace(/\s+/gu, '');

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault } = await newTestVault(clock);
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},記録 太郎${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const h = vault.users.byLogin(HANDLER.login)!;
  const actor = { id: h.id, name: h.displayName };
  const append = (e: AuditEventInput) => {
    clock.advance(60_000);
    return writeTransaction(vault.db, () => vault.audit.append(e)).seq;
  };
  // What happens at the appliance and to the file, as the services record it.
  append({ actor, action: 'slot.unlock_failed', device: 'pinpad:desk', purpose: 'withholding_slip', detail: { request_id: 1, kind: 'pin', failures: 1 } });
  append({ actor, action: 'gate.key_refused', device: '/dev/hidraw3', purpose: 'withholding_slip', detail: { request_id: 2, key_id: 1, reason: 'counter' } });
  append({ actor, action: 'gate.pin_locked', device: 'pinpad:desk', detail: { user_id: h.id, failures: 5 } });
  append({ actor: { id: 'cli', name: 'mnvault backup' }, action: 'backup.created', detail: { file: 'vault-20260401.db', folder: '/srv/backup', trigger: 'cli' } });
  append({ actor: { id: 'cli', name: 'mnvault restore' }, action: 'restore.drill', subjects: [{ id: 1, name: '記録 太郎1' }], detail: { result: 'opened', slot_kind: 'pin' } });
  append({ actor: { id: 'cli', name: 'mnvault rotate-vault-key' }, action: 'vault.key_rotated', detail: { rotation_id: 1 } });
  const subjects = NUMBERS.map((_, i) => ({ id: i + 1, name: `記録 太郎${i + 1}` }));
  const sent = append({ actor, action: 'numbers.exported', purpose: 'withholding_slip', client: '192.168.1.30', subjects, detail: { request_id: 3, persons: 3, encoding: 'utf8_bom' } });
  const kept = append({ actor, action: 'numbers.exported', purpose: 'salary_payment_report', client: '192.168.1.30', subjects: subjects.slice(0, 1), detail: { request_id: 4, persons: 1, encoding: 'utf8_bom' } });
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  return { vault, clock, handler, admin, sent, kept };
}

describe('取扱状況記録, 入退室記録, 提供・提出 and 持出し (issue 11 point 11)', () => {
  it('records where an export went and that its file was deleted, and prints both with the refusals, backups, drills and key changes', async () => {
    const { vault, handler, admin, sent, kept } = await setUp();
    const list = await handler.get('/exports');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/exports/${sent}`);
    expect(list.text).toContain('持出し中（ファイル未削除）');

    await handler.get(`/exports/${sent}`);
    const bad = await handler.post(`/exports/${sent}/provisions`, { destination: 'tax_office', channel: 'etax', providedOn: '2026-03-01' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('提出日が出力した日より前です');
    const ok = await handler.post(`/exports/${sent}/provisions`, { destination: 'tax_office', channel: 'etax', providedOn: '2026-04-01' });
    expect(ok.status).toBe(303);
    await handler.post(`/exports/${sent}/provisions`, { destination: 'tax_accountant', channel: 'media', providedOn: '2026-04-01' });
    const unconfirmed = await handler.post(`/exports/${sent}/deleted`, {});
    expect(unconfirmed.status).toBe(400);
    expect((await handler.post(`/exports/${sent}/deleted`, { confirmed: '1' })).status).toBe(303);
    expect((await handler.post(`/exports/${sent}/deleted`, { confirmed: '1' })).status).toBe(409);
    const events = auditEvents(vault);
    expect(events.filter((e) => e.action === 'export.provided').map((e) => e.detail)).toEqual([
      expect.objectContaining({ export_seq: sent, destination: 'tax_office', channel: 'etax', provided_on: '2026-04-01', persons: 3 }),
      expect.objectContaining({ export_seq: sent, destination: 'tax_accountant', channel: 'media' }),
    ]);
    expect(events.find((e) => e.action === 'export.provided')!.subjects).toHaveLength(3);
    expect(events.filter((e) => e.action === 'export.file_deleted')).toHaveLength(1);

    const pdf = await admin.getBytes('/reports/activity.pdf?month=2026-04');
    expect(pdf.status).toBe(200);
    const doc = pdfPages(pdf.body, 'activity-records');
    const text = flat(doc.pages.join(''));
    expect(text).toContain('装置での承認の失敗｜');
    for (const piece of ['装置での承認の失敗', 'ファイルの複製', '鍵の管理', '提供・提出', '持出し', '4.提供・提出の記録', '税務署', 'e-Tax', '税理士（委託先）', '5.持出し中の出力ファイル']) expect(text).toContain(piece);
    // The export still out is listed; the one whose file was deleted is not.
    const carry = text.slice(text.indexOf('5.持出し中の出力ファイル'));
    expect(carry).toContain(`${kept}2026/04/01`);
    expect(carry).not.toContain(`${sent}2026/04/01`);
    expectNoNumbers(doc.pages.join('\n'), NUMBERS);

    const entries = await admin.getBytes('/reports/entries.pdf?month=2026-04');
    const e = flat(pdfPages(entries.body, 'entries-records').pages.join(''));
    expect(e).toContain('装置での承認の失敗（PIN誤り）');
    expect(e).toContain('装置での承認の失敗・拒否3件');
    expect(e).toContain('扉の出来事0件');
    expect(e).toContain('装置での承認の拒否（セキュリティ');
    expect(e).toContain('カウンタの逆行（複製の疑い）');
    expect(e).toContain('装置での承認の失敗（PINのロック）');
  }, 60_000);
});
