import { ALL_PURPOSES } from '../helpers/purposes.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonical, chainHash } from '../../src/audit/chain.js';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createBackup } from '../../src/services/backup.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { approveErasure, proposeErasure } from '../../src/services/erasure.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { restoreBackup } from '../../src/services/restore.js';
import { openVault, type Vault } from '../../src/services/vault.js';
import type { AuditFields } from '../../src/storage/audit-repo.js';
import { writeTransaction } from '../../src/storage/database.js';
import { devCredentialPath } from '../../src/vault/credential.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

const N = [syntheticNumber(11, 64), syntheticNumber(12, 64)];
const NAME = '旧形式 花子';
const everyValue = (vault: Vault) =>
  (vault.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]).map((t) => JSON.stringify(vault.db.prepare(`SELECT * FROM "${t}"`).raw().all())).join('\n');

/** Appends a row as the code before version 2 wrote it: names inside the chained subjects, first element 1. */
function appendVersion1(vault: Vault, action: string, subjects: { id: number; name: string }[]): number {
  return writeTransaction(vault.db, () => {
    const head = vault.auditRepo.head()!;
    const fields: AuditFields = [head.seq + 1, head.at, 'cli', 'mnvault', action, JSON.stringify(subjects), null, null, null, '{}'];
    expect(canonical(fields).startsWith('[1,')).toBe(true);
    vault.auditRepo.insert([...fields, head.hash, chainHash(vault.keys.audit, head.hash, canonical(fields))], subjects.map((s) => s.id));
    return fields[0];
  });
}

async function setUp() {
  const { vault, dataDir } = await newTestVault(fixedClock('2035-04-01T00:00:00Z'));
  await addStaff(vault);
  const actor = { id: 'cli', name: 'cli' };
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,フリガナ,生年月日,個人番号\n従業員,E1,${NAME},キュウケイシキ ハナコ,1959-09-09,${N[0]}\n従業員,E2,在職 二郎,,,${N[1]}\n`), { actor, purposes: ALL_PURPOSES });
  retirePerson(vault, actor, 1, '2026-03-31', null);
  const admin = vault.users.byLogin(ADMIN.login)!;
  const d = proposeDisposal(vault, admin, { personIds: ['1'] }, null);
  approveDisposal(vault, admin, d, null);
  return { vault, dataDir, admin };
}

describe('the audit trail across an erasure (canonical versions 1 and 2)', () => {
  it('keeps version-1 rows verifying, rewrites the ones naming the erased person under an attestation, and catches a later change to them', async () => {
    const { vault, admin } = await setUp();
    const legacy = appendVersion1(vault, 'person.updated', [{ id: 1, name: NAME }, { id: 2, name: '在職 二郎' }]);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: true });
    approveErasure(vault, admin, proposeErasure(vault, admin, 1, null), null);

    expect(everyValue(vault)).not.toContain(NAME);
    expect(everyValue(vault)).not.toContain('1959-09-09');
    const erased = auditEvents(vault).find((e) => e.action === 'person.erased')!;
    expect(erased.detail).toMatchObject({ legacy_rows: 1, redacted_v1: expect.stringMatching(new RegExp(`^${legacy}:`, 'u')) });
    expect(auditEvents(vault).find((e) => e.seq === legacy)!.subjects).toEqual([{ id: 1, name: '削除済 #1' }, { id: 2, name: '在職 二郎' }]);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: true });

    // The rewritten row is held by the attestation alone: any further change shows.
    vault.db.exec('DROP TRIGGER audit_events_no_update');
    vault.db.prepare('UPDATE audit_events SET subjects = ? WHERE seq = ?').run(JSON.stringify([{ id: 1, name: '削除済 #1' }, { id: 2, name: '別人' }]), legacy);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: legacy });
  });

  it('re-applies the erasure when a backup made before it is restored, and the restored chain verifies', async () => {
    const { vault, dataDir, admin } = await setUp();
    const folder = tempDir('mnvault-erasure-backups-');
    vault.meta.set('backup_dir', folder);
    const before = await createBackup(vault, { folder, actor: { id: 'cli', name: 'mnvault backup' }, client: null, trigger: 'cli' });
    const erasureId = proposeErasure(vault, admin, 1, null);
    approveErasure(vault, admin, erasureId, null);
    const ledger = JSON.parse(readFileSync(join(folder, 'disposal-ledger.json'), 'utf8')) as { format: string; erasures: unknown[] };
    expect(ledger).toMatchObject({ format: 'mnvault-disposal-ledger/2', erasures: [{ id: erasureId, personId: 1 }] });
    expect(JSON.stringify(ledger)).not.toContain(NAME);

    const newDir = join(tempDir('mnvault-restore-'), 'new');
    await restoreBackup({ from: before.path, dataDir: newDir, credential: { path: devCredentialPath(dataDir), development: true }, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: { id: 'cli', name: 'mnvault restore' }, clock: fixedClock('2035-05-01T00:00:00Z') });
    const restored = openVault({ dataDir: newDir, clock: fixedClock('2035-05-01T00:00:00Z') });
    try {
      expect(restored.persons.byId(1)!.name).toBe('削除済 #1');
      expect(everyValue(restored)).not.toContain(NAME);
      expect(auditEvents(restored).filter((e) => e.action === 'person.erased').map((e) => e.detail)).toEqual([expect.objectContaining({ erasure_id: erasureId, reapplied: true })]);
      expect(verifyChain(restored.auditRepo, restored.keys.audit)).toMatchObject({ ok: true });
    } finally {
      restored.close();
    }
  }, 60_000);
});
