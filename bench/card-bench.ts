import { join } from 'node:path';
import type { CardReaders } from '../src/domain/card-reader.js';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { PcscCardReaders } from '../src/devices/pcsc.js';
import { startPrivatePcscd } from '../src/devices/private-pcscd.js';
import { insertVirtualCardThread } from '../src/devices/virtual-card-host.js';
import { actorOf } from '../src/services/accounts.js';
import { readCardAtAppliance, sealCardIntake } from '../src/services/card-intake.js';
import { initDevVault } from '../src/services/init-vault.js';
import { registerPerson } from '../src/services/persons.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import type { Row } from './row.js';
import { syntheticNumber } from './synthetic.js';

/**
 * Tap-to-sealed for one card through the virtual reader (a private pcscd with
 * vpcd, the smartcard binding, the codec, the intake transaction), n cards one
 * after another, p95; against the APDU exchanges alone in the same runs (the
 * time spent inside transmit). The virtual card's RSA key is made before the
 * card is placed, so it is not counted.
 */
export async function benchCard(root: string, n: number): Promise<Row[]> {
  const pcscd = await startPrivatePcscd();
  const readers = new PcscCardReaders();
  const { vault } = await initDevVault({
    dataDir: join(root, 'card'),
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  try {
    const actor = actorOf(vault.users.byLogin('bench')!);
    let apduMs = 0;
    const timed: CardReaders = {
      state: () => readers.state(),
      async waitForCard(ms, signal) {
        const s = await readers.waitForCard(ms, signal);
        return {
          reader: s.reader,
          close: () => s.close(),
          async transmit(a) {
            const t = performance.now();
            try {
              return await s.transmit(a);
            } finally {
              apduMs += performance.now() - t;
            }
          },
        };
      },
    };
    const total: number[] = [];
    const apdu: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = registerPerson(vault, actor, { kind: 'employee', code: `C${i}`, name: '山田 太郎', birthDate: '1990-01-02' }, null, null);
      const card = await insertVirtualCardThread({
        options: { number: syntheticNumber(i, 7), basicFour: { name: '山田 太郎', address: '東京都千代田区', birthDate: '1990-01-02', sex: '1' }, pin: '1234' },
        port: pcscd.vpcdPort,
      });
      const t = performance.now();
      apduMs = 0;
      const read = await readCardAtAppliance(timed, { waitMs: 10_000, pin: async () => new Secret(new TextEncoder().encode('1234')) });
      sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: false }, null);
      total.push((performance.now() - t) / 1000);
      apdu.push(apduMs / 1000);
      await card.remove();
      for (let k = 0; k < 100 && readers.state().readers[0]?.card === true; k++) await new Promise((r) => setTimeout(r, 20));
    }
    return [
      {
        operation: 'card intake: tap to sealed (virtual reader, pcscd, codec, transaction), p95',
        n,
        seconds: p95(total),
        floor: 'the APDU exchanges alone (time inside transmit), p95',
        floorSeconds: p95(apdu),
        target: 'p95 < 1.5 s',
      },
    ];
  } finally {
    vault.close();
    readers.close();
    await pcscd.stop();
  }
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}
