import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createBackup } from '../../src/services/backup.js';
import { manifestPathOf } from '../../src/services/backup-files.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { restoreBackup } from '../../src/services/restore.js';
import { openVault } from '../../src/services/vault.js';
import { devCredentialPath } from '../../src/vault/credential.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = [syntheticNumber(13579, 62), syntheticNumber(24680, 63)];
const CLI = { id: 'cli', name: 'mnvault restore' };
const flat = (s: string) => s.replace(/\s+/gu, '');

async function setUp() {
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,廃棄 一郎,${NUMBERS[0]}\n従業員,E2,在職 二郎,${NUMBERS[1]}\n`), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'cli' } });
  retirePerson(vault, { id: 'cli', name: 'cli' }, 1, '2016-03-31', null);
  const folder = tempDir('mnvault-disposal-backups-');
  vault.meta.set('backup_dir', folder);
  const before = await createBackup(vault, { folder, actor: { id: 'cli', name: 'mnvault backup' }, client: null, trigger: 'cli' });
  const app = testApp(vault);
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  await handler.get('/disposal');
  const proposed = await handler.post('/disposal', { batch: '2016-03-31' });
  const list = await handler.get('/disposal');
  const batch = /name="batch" value="([0-9-]+)"/u.exec(list.text)?.[1];
  const path = proposed.status === 303 ? proposed.headers.location! : (await handler.post('/disposal', { batch: batch! })).headers.location!;
  await admin.get(path);
  expect((await admin.post(`${path}/approve`, { confirm: '1' })).status).toBe(303);
  const disposalId = Number(path.split('/').pop());
  return { vault, dataDir, folder, before, admin, path, disposalId };
}

describe('disposal certificate and backups (issue 11 point 8)', () => {
  it('prints that encrypted copies remain in the listed backups until their age-out date, and records the later バックアップ消去確認', async () => {
    const { vault, folder, before, admin, path, disposalId } = await setUp();
    const name = before.path.split('/').pop()!;
    let doc = pdfPages((await admin.getBytes('/reports/disposal.pdf?month=2026-04')).body, 'disposal-backups');
    let text = flat(doc.pages.join(''));
    expect(text).toContain('金庫のデータベースから復元できない方法により削除・廃棄');
    expect(text).toContain('暗号化された複製が各バックアップの期限切れの日まで残ります');
    expect(text).toContain('4.バックアップに残る暗号化された複製');
    expect(text).toContain(name.slice(0, 20));
    expect(text).toContain('2026年6月30日'); // 90 days after 2026-04-01
    expect(text).toContain('未確認');
    expectNoNumbers(doc.pages.join('\n'), NUMBERS);

    // Refused while the backup made before the disposal is still in the folder.
    const early = await admin.post(`${path}/backups-erased`, { offsite: '1' });
    expect(early.status).toBe(409);
    expect(early.text).toContain(name);
    rmSync(before.path);
    rmSync(manifestPathOf(before.path));
    expect((await admin.post(`${path}/backups-erased`, {})).status).toBe(400);
    expect((await admin.post(`${path}/backups-erased`, { offsite: '1' })).status).toBe(303);
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'disposal.backups_erased', detail: { disposal_id: disposalId } });
    expect((await admin.get(path)).text).toContain('kanri が確認');
    doc = pdfPages((await admin.getBytes('/reports/disposal.pdf?month=2026-04')).body, 'disposal-backups-erased');
    text = flat(doc.pages.join(''));
    expect(text).toContain('確認済');
    void folder;
  }, 60_000);

  it('re-applies, when a backup older than a disposal is restored, the disposals made since (from the ledger outside the vault file), or refuses', async () => {
    const { vault, dataDir, folder, before, disposalId } = await setUp();
    const credential = { path: devCredentialPath(dataDir), development: true };
    const restore = (extra: object = {}) =>
      restoreBackup({ from: before.path, dataDir: join(tempDir('mnvault-restore-'), 'new'), credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2026-05-01T00:00:00Z'), ...extra });
    const ledgerPath = join(folder, 'disposal-ledger.json');
    const ledger = readFileSync(ledgerPath, 'utf8');
    expect(JSON.parse(ledger)).toMatchObject({ vaultId: vault.vaultId, disposals: [{ id: disposalId, personIds: [1] }] });
    for (const n of NUMBERS) expect(ledger).not.toContain(n);
    expect(readFileSync(join(dataDir, 'disposal-ledger.json'), 'utf8')).toBe(ledger);

    const newDir = join(tempDir('mnvault-restore-'), 'new');
    const r = await restoreBackup({ from: before.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2026-05-01T00:00:00Z') });
    expect(r.reapplied).toEqual([disposalId]);
    const restored = openVault({ dataDir: newDir, clock: fixedClock('2026-05-01T00:00:00Z') });
    try {
      expect(restored.persons.numberOf(1)?.state).toBe('disposed');
      expect(restored.persons.numberOf(2)?.state).toBe('held');
      expect(restored.retention.reappliedDisposals().map((d) => d.id)).toEqual([disposalId]);
      expect(auditEvents(restored).map((e) => e.action)).toEqual(expect.arrayContaining(['disposal.reapplied', 'backup.restored', 'restore.drill']));
    } finally {
      restored.close();
    }

    // A forged ledger (a disposal trimmed away) does not authenticate.
    const forged = JSON.parse(ledger) as { disposals: unknown[] };
    forged.disposals = [];
    writeFileSync(ledgerPath, JSON.stringify(forged));
    await expect(restore()).rejects.toMatchObject({ code: 'tampered' });
    // No ledger: refused, unless the operator states there never was a disposal.
    rmSync(ledgerPath);
    await expect(restore()).rejects.toMatchObject({ code: 'conflict', publicMessage: expect.stringContaining('廃棄台帳') });
    await expect(restore({ disposalLedger: join(dataDir, 'disposal-ledger.json') })).resolves.toMatchObject({ reapplied: [disposalId] });
  }, 60_000);
});
