import { describe, expect, it } from 'vitest';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

describe('CSV import: the header line is capped', () => {
  it('refuses a 5 MB first line at once, with a message about the header, before parsing anything', async () => {
    const { vault } = await newTestVault();
    try {
      const huge = Buffer.from(`${'種別,氏名,個人番号,'.repeat(400_000)}\n従業員,山田 太郎,${syntheticNumber(61, 1)}\n`);
      expect(huge.length).toBeGreaterThan(5_000_000);
      const t0 = performance.now();
      const r = importPersons(vault, huge, { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
      const ms = performance.now() - t0;
      expect(r.committed).toBe(false);
      expect(r.errors).toEqual([{ line: 1, message: expect.stringMatching(/1行目（列名の行）が長すぎます/u) }]);
      // Not even decoded (the encoding is only known after decoding); the old path took 33 s here.
      expect(r.encoding).toBeNull();
      expect(ms).toBeLessThan(2_000);
      // A normal file still imports.
      expect(
        importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${syntheticNumber(61, 2)}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } }).committed,
      ).toBe(true);
    } finally {
      vault.close();
    }
  });
});
