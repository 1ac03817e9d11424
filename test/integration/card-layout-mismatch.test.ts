import { RequestMemory } from '../../src/gate/request-memory.js';
import { describe, expect, it } from 'vitest';
import type { CardReaders, CardSession } from '../../src/domain/card-reader.js';
import { Secret } from '../../src/domain/secret.js';
import { VirtualMyNumberCard } from '../../src/devices/mynumber-card-simulator.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk, type CardIntakeView } from '../../src/services/card-intake-desk.js';
import { registerPerson } from '../../src/services/persons.js';
import { auditEvents } from '../helpers/audit.js';
import { TEST_CARD } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';

// A real card whose files are laid out otherwise than the public descriptions say
// (device/card-readers.md): the read fails closed, and the audit row says which part.
const READER = 'Test reader 0';

/** One card in one reader; `mangle` rewrites the card's answers (a layout the codec does not expect). */
function readerWith(card: VirtualMyNumberCard, mangle: (answer: Uint8Array) => Uint8Array): CardReaders {
  const session: CardSession = { reader: READER, transmit: (apdu) => Promise.resolve(mangle(card.respond(apdu))), close: () => Promise.resolve() };
  return { state: () => ({ service: 'running', readers: [{ name: READER, card: true }] }), waitForCard: () => Promise.resolve(session) };
}

async function until(desk: CardIntakeDesk, id: string, ok: (v: CardIntakeView) => boolean): Promise<CardIntakeView> {
  for (let i = 0; i < 200; i++) {
    const v = desk.view(id)!;
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`state not reached: ${JSON.stringify(desk.view(id))}`);
}

describe('a card whose files are laid out otherwise', () => {
  it('refuses a 基本4情報 under another outer tag as a card error, stores nothing and records the problem code', async () => {
    const { vault } = await newTestVault();
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const id = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1990-01-02' }, null, null);
    const card = new VirtualMyNumberCard({ ...TEST_CARD });
    // EF 0002 starting FF 21 instead of FF 20 (its data answer, status 62 82 or 90 00).
    const desk = new CardIntakeDesk(
      vault,
      new RequestMemory(),
      readerWith(card, (a) => (a[0] === 0xff && a[1] === 0x20 ? Uint8Array.from([0xff, 0x21, ...a.subarray(2)]) : a)),
    );
    const started = desk.start(actor, id, { purposes: ['withholding_slip'], confirmLastTry: false });
    const waiting = await until(desk, started.id, (v) => v.state === 'waiting_pin');
    desk.complete(waiting.code, new Secret(TEST_CARD.pin));
    const failed = await until(desk, started.id, (v) => v.state !== 'waiting_pin');
    expect(failed.state).toBe('failed');
    expect(failed.message).toContain('カードの応答を読み取れませんでした');
    expect(vault.persons.numberOf(id)).toBeUndefined();
    const rows = auditEvents(vault).filter((e) => e.action === 'card.read_failed');
    expect(rows.map((e) => [e.detail.reason, e.detail.card_problem, e.device])).toEqual([['card_error', 'bad_tlv', READER]]);
    expect(JSON.stringify(auditEvents(vault))).not.toContain(TEST_CARD.number);
  });
});
