import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { verifyChain, verifyChainParallel } from '../../src/audit/verify.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { Vault } from '../../src/services/vault.js';
import { newTestVault } from '../helpers/vault.js';

const actor = { id: 'u1', name: '監査 太郎' };

async function vaultWithEvents(count: number): Promise<Vault> {
  const { vault } = await newTestVault();
  writeTransaction(vault.db, () => {
    for (let i = 0; i < count; i++) {
      vault.audit.append({ actor, action: 'number.revealed', subjects: [{ id: i, name: `人物${i}` }], purpose: 'withholding_slip', client: '192.168.1.5', detail: { i } });
    }
  });
  vault.db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  return vault;
}

describe('audit chain', () => {
  it('verifies an untouched chain and reports the count and head', async () => {
    const vault = await vaultWithEvents(20);
    const r = verifyChain(vault.auditRepo, vault.keys.audit);
    expect(r).toMatchObject({ ok: true, count: 24 });
    expect(r.ok && r.head?.seq).toBe(24);
  });

  it('refuses updates and deletes through the append-only triggers', async () => {
    const { vault } = await newTestVault();
    expect(() => vault.db.prepare("UPDATE audit_events SET actor_name = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => vault.db.prepare('DELETE FROM audit_events WHERE seq = 1').run()).toThrow(/append-only/);
  });

  it('names the row whose content was altered, even by one byte', async () => {
    const vault = await vaultWithEvents(20);
    const detail = vault.db.prepare('SELECT detail FROM audit_events WHERE seq = 11').pluck().get() as string;
    vault.db.prepare('UPDATE audit_events SET detail = ? WHERE seq = 11').run(detail.replace(/\d/u, (d) => String((Number(d) + 1) % 10)));
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: 11, count: 10 });
  });

  it('names the row whose stored hash was altered', async () => {
    const vault = await vaultWithEvents(20);
    const hash = vault.db.prepare('SELECT hash FROM audit_events WHERE seq = 15').pluck().get() as Buffer;
    hash.writeUInt8(hash.readUInt8(0) ^ 1, 0);
    vault.db.prepare('UPDATE audit_events SET hash = ? WHERE seq = 15').run(hash);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: 15 });
  });

  it('names a deleted row', async () => {
    const vault = await vaultWithEvents(20);
    vault.db.prepare('DELETE FROM audit_events WHERE seq = 9').run();
    const r = verifyChain(vault.auditRepo, vault.keys.audit);
    expect(r).toMatchObject({ ok: false, badSeq: 9 });
    expect(!r.ok && r.reason).toContain('欠落');
  });

  it('names the first of two swapped rows', async () => {
    const vault = await vaultWithEvents(20);
    vault.db.exec(`
      UPDATE audit_events SET seq = -1 WHERE seq = 7;
      UPDATE audit_events SET seq = 7 WHERE seq = 12;
      UPDATE audit_events SET seq = 12 WHERE seq = -1;`);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: 7 });
  });

  it('names an inserted row, even one that copies a valid row', async () => {
    const vault = await vaultWithEvents(20);
    vault.db.exec(`
      UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 6;
      UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1006;
      INSERT INTO audit_events SELECT 6, at, actor_id, actor_name, action, subjects, purpose, client, device, detail, prev_hash, hash FROM audit_events WHERE seq = 7;`);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: 7 });
  });

  it('refuses a detail that holds a number, and writes nothing', async () => {
    const { vault } = await newTestVault();
    const before = vault.auditRepo.count();
    expect(() =>
      writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'persons.imported', detail: { note: '番号 1234 5678 9018' } })),
    ).toThrow();
    expect(vault.auditRepo.count()).toBe(before);
  });
});

describe('audit chain, verified in parallel ranges', () => {
  const parallel = (vault: Vault) =>
    verifyChainParallel({ repo: vault.auditRepo, dbPath: join(vault.dataDir, 'vault.db'), dbKey: vault.dbKey, auditKey: vault.keys.audit, threads: 3, parallelFrom: 1 });

  it('gives the same verdict as one thread on an intact chain', async () => {
    const vault = await vaultWithEvents(296);
    expect(await parallel(vault)).toMatchObject({ ok: true, count: 300, head: { seq: 300 } });
  });

  for (const seq of [100, 101, 150, 200, 201, 300]) {
    it(`names seq ${seq} when it is deleted, at a seam or inside a range`, async () => {
      const vault = await vaultWithEvents(296);
      vault.db.prepare('DELETE FROM audit_events WHERE seq = ?').run(seq);
      const single = verifyChain(vault.auditRepo, vault.keys.audit);
      const multi = await parallel(vault);
      if (seq === 300) {
        // A cut tail leaves a shorter valid chain: only a printed head (anchor) reveals it.
        expect(multi).toMatchObject({ ok: true, count: 299 });
      } else {
        expect(multi).toMatchObject({ ok: false, badSeq: seq });
        expect(single).toMatchObject({ ok: false, badSeq: seq });
      }
    });
  }

  it('names an altered row in the last range', async () => {
    const vault = await vaultWithEvents(296);
    vault.db.prepare("UPDATE audit_events SET actor_name = 'x' WHERE seq = 250").run();
    expect(await parallel(vault)).toMatchObject({ ok: false, badSeq: 250 });
  });
});
