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
 * time spent inside transmit), with the split of the total by phase. The
 * virtual card process and its RSA key are made before the
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
    // The phases of one tap, in ms: pcscd seeing the card (vpcd is polled by pcscd), the APDU
    // exchanges (time inside transmit), the power-off at the end, and the sealing transaction.
    const phase = { detect: 0, apdu: 0, exchanges: 0, close: 0 };
    const timed: CardReaders = {
      state: () => readers.state(),
      async waitForCard(ms, signal) {
        const t0 = performance.now();
        const s = await readers.waitForCard(ms, signal);
        phase.detect = performance.now() - t0;
        return {
          reader: s.reader,
          async close() {
            const t = performance.now();
            await s.close();
            phase.close = performance.now() - t;
          },
          async transmit(a) {
            const t = performance.now();
            phase.exchanges++;
            try {
              return await s.transmit(a);
            } finally {
              phase.apdu += performance.now() - t;
            }
          },
        };
      },
    };
    const series = { total: [] as number[], apdu: [] as number[], detect: [] as number[], close: [] as number[], seal: [] as number[] };
    let exchanges = 0;
    for (let i = 0; i < n; i++) {
      const id = registerPerson(vault, actor, { kind: 'employee', code: `C${i}`, name: '山田 太郎', birthDate: '1990-01-02' }, null, null);
      const card = await insertVirtualCardThread({
        options: { number: syntheticNumber(i, 7), basicFour: { name: '山田 太郎', address: '東京都千代田区', birthDate: '1990-01-02', sex: '1' }, pin: '1234' },
        port: pcscd.vpcdPort,
        netns: pcscd.netns,
      });
      Object.assign(phase, { detect: 0, apdu: 0, exchanges: 0, close: 0 });
      const t = performance.now();
      const read = await readCardAtAppliance(timed, { waitMs: 10_000, pin: async () => new Secret(new TextEncoder().encode('1234')) });
      const ts = performance.now();
      sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: false }, null);
      const end = performance.now();
      series.total.push((end - t) / 1000);
      series.seal.push((end - ts) / 1000);
      series.apdu.push(phase.apdu / 1000);
      series.detect.push(phase.detect / 1000);
      series.close.push(phase.close / 1000);
      exchanges = phase.exchanges;
      await card.remove();
      for (let k = 0; k < 100 && readers.state().readers[0]?.card === true; k++) await new Promise((r) => setTimeout(r, 20));
    }
    const part = (operation: string, xs: number[]): Row => ({
      operation: `  of which ${operation}, p95`,
      n,
      seconds: p95(xs),
      floor: '',
      floorSeconds: Number.NaN,
      target: '',
    });
    return [
      {
        operation: 'card intake: tap to sealed (virtual reader, pcscd, codec, transaction), p95',
        n,
        seconds: p95(series.total),
        floor: `the APDU exchanges alone (${exchanges} exchanges, time inside transmit), p95`,
        floorSeconds: p95(series.apdu),
        target: 'p95 < 1.5 s',
      },
      part('card placed → seen by pcscd (vpcd presence poll)', series.detect),
      part(`${exchanges} APDU exchanges`, series.apdu),
      part('power-off and release of the card', series.close),
      part('the sealing transaction (seal, identity check, audit)', series.seal),
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
