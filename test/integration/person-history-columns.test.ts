import { describe, expect, it } from 'vitest';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticCsv } from '../../bench/synthetic.js';
import { newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

/**
 * The person page's history reads no column stored after an event's subjects except purpose: at a
 * million persons the import's event names every person (43 MB of subjects), and SQLite reaches a later
 * non-NULL column only by walking and decrypting every overflow page of that value (82 ms per page view).
 */
describe('a person\'s history (AuditRepo.forPerson)', () => {
  it('returns when, who, what and why, and NULL for the columns stored after the subjects', async () => {
    const { vault } = await newTestVault();
    expect(importPersons(vault, Buffer.from(syntheticCsv(50)), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
    const [row] = vault.auditRepo.forPerson(1);
    expect(row).toBeDefined();
    const [seq, at, , actorName, action, subjects, , client, device, detail, prevHash, hash] = row!;
    expect([typeof seq, typeof at, actorName, action, subjects]).toEqual(['number', 'string', 'mnvault import', 'persons.imported', '[]']);
    expect([client, device, detail, prevHash, hash]).toEqual([null, null, null, null, null]);
  });
});
