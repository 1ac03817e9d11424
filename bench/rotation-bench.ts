import { join } from 'node:path';
import { systemClock } from '../src/domain/ports.js';
import { Secret, zeroize } from '../src/domain/secret.js';
import { importPersons } from '../src/services/import/import-persons.js';
import { initDevVault } from '../src/services/init-vault.js';
import { rotateVaultKey } from '../src/services/key-rotation.js';
import { NUMBER_FIELD, numberRecordId } from '../src/services/numbers.js';
import { Opener, Sealer } from '../src/vault/sealed-box.js';
import { TEST_PIN_COST, unlockSlot } from '../src/vault/slots.js';
import { generateX25519, publicFromPrivate } from '../src/vault/x25519.js';
import type { Row } from './row.js';
import { syntheticCsv } from './synthetic.js';
import { BENCH_PURPOSES } from './bench-purposes.js';

const PIN = '135790';

/**
 * Vault key rotation over n held numbers (re-seal in batches of 1,000, each
 * batch one transaction, then the slots replaced), against the floor of the
 * same work in memory: open each sealed number with the old key and seal it
 * with the new one, no database.
 */
export async function benchRotation(root: string, n: number): Promise<Row[]> {
  const { vault, recoveryCode } = await initDevVault({
    dataDir: join(root, 'rotation'),
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret(PIN) },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  try {
    const r = importPersons(vault, Buffer.from(syntheticCsv(n)), { actor: { id: 'bench', name: 'bench' }, purposes: BENCH_PURPOSES });
    if (!r.committed) throw new Error('bench rotation: import failed');
    const rows = vault.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE state = 'held'").all() as { person_id: number; sealed: Buffer }[];
    const admin = vault.users.byLogin('bench')!;
    const oldKey = await unlockSlot(vault.slots.pinSlotOf(admin.id)!, { kind: 'pin', pin: new Secret(PIN) }, vault.keys.pepper);

    let floor = Infinity;
    for (let run = 0; run < 3; run++) {
      const next = generateX25519();
      const t = performance.now();
      const opener = new Opener(oldKey.expose(), publicFromPrivate(oldKey.expose()));
      const sealer = new Sealer(next.publicKey);
      for (const row of rows) {
        const id = numberRecordId(row.person_id);
        const plain = opener.open(row.sealed, id, NUMBER_FIELD);
        sealer.seal(plain, id, NUMBER_FIELD);
        zeroize(plain);
      }
      opener.wipe();
      sealer.wipe();
      floor = Math.min(floor, (performance.now() - t) / 1000);
      zeroize(next.privateKey);
    }
    oldKey.wipe();

    const t = performance.now();
    const result = await rotateVaultKey(vault, { operator: admin, pin: new Secret(PIN), recoveryCode, pinCost: TEST_PIN_COST });
    const seconds = (performance.now() - t) / 1000;
    if (!result.completed || result.resealed !== rows.length) throw new Error('bench rotation: incomplete');
    return [
      {
        operation: 'vault key rotation (re-seal all, batches of 1,000)',
        n: rows.length,
        seconds,
        floor: 'open old + seal new in memory',
        floorSeconds: floor,
        target: 'figure',
      },
    ];
  } finally {
    recoveryCode.wipe();
    vault.close();
  }
}
