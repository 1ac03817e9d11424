import { randomInt } from 'node:crypto';
import { myNumberCheckDigit } from '../domain/my-number.js';
import { PcscCardReaders } from '../devices/pcsc.js';
import { privatePcscdProblem, startPrivatePcscd, type PrivatePcscd } from '../devices/private-pcscd.js';
import { insertVirtualCardThread, type VirtualCardOnReader } from '../devices/virtual-card-host.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { CardIntakeDesk } from '../services/card-intake-desk.js';
import type { Vault } from '../services/vault.js';
import { logEvent } from '../log.js';

/** The PIN of the simulated card, typed on the simulated PIN pad in the demo. */
export const SIMULATED_CARD_PIN = '1234';

/**
 * 「カードで取得」: card readers through the system's pcscd, or with simulated
 * devices a private pcscd with a virtual reader where, each time a handler
 * starts a card intake, a virtual card is placed that carries the person's
 * name and birth date, a fresh synthetic number and PIN 1234 (development only).
 */
export async function startCards(
  vault: Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'identityChecks' | 'campaigns' | 'gate' | 'audit' | 'clock'>,
  requests: RequestMemory,
  simulate: boolean,
): Promise<{ desk: CardIntakeDesk; close(): Promise<void> }> {
  const status = (message: string) => logEvent('info', 'device_state', { device: 'card-reader', state: message });
  if (!simulate) {
    const readers = new PcscCardReaders();
    return { desk: new CardIntakeDesk(vault, requests, readers, status), close: async () => readers.close() };
  }
  let pcscd: PrivatePcscd;
  try {
    const problem = privatePcscdProblem();
    if (problem !== undefined) throw new Error(problem);
    pcscd = await startPrivatePcscd();
  } catch (err) {
    // The rest of the simulated appliance works without it; say why the card intake does not.
    logEvent('warn', 'notice', { message: `模擬カードリーダーを使えません（${err instanceof Error ? err.message : String(err)}）。カードで取得は使えません。` });
    const readers = new PcscCardReaders();
    return { desk: new CardIntakeDesk(vault, requests, readers, status), close: async () => readers.close() };
  }
  const readers = new PcscCardReaders();
  let card: VirtualCardOnReader | undefined;
  const desk = new CardIntakeDesk(vault, requests, readers, status, async (personId) => {
    if (card) {
      await card.remove().catch(() => {});
      card = undefined;
      // Wait until pcscd has seen the last card go, so the next read does not catch its ghost.
      for (let i = 0; i < 100 && readers.state().readers[0]?.card === true; i++) await new Promise((r) => setTimeout(r, 20));
    }
    const person = vault.persons.byId(personId);
    if (!person) return;
    const first11 = String(randomInt(1, 10 ** 11)).padStart(11, '0');
    card = await insertVirtualCardThread({
      options: {
        number: `${first11}${myNumberCheckDigit(first11)}`,
        basicFour: { name: person.name, address: '東京都千代田区千代田1-1', birthDate: person.birthDate ?? '1990-01-01', sex: '1' },
        pin: SIMULATED_CARD_PIN,
      },
      port: pcscd.vpcdPort,
      netns: pcscd.netns,
    });
  });
  return {
    desk,
    async close() {
      await card?.remove().catch(() => {});
      readers.close();
      await pcscd.stop();
    },
  };
}
