import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk, type CardIntakeView } from '../../src/services/card-intake-desk.js';
import { RevealStore } from '../../src/services/gate.js';
import { registerPerson } from '../../src/services/persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { auditEvents } from '../helpers/audit.js';
import { keystrokes } from '../helpers/keypad.js';
import { TEST_CARD, usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';

const pcsc = usePcscd();

async function until(desk: CardIntakeDesk, id: string, ok: (v: CardIntakeView) => boolean): Promise<CardIntakeView> {
  for (let i = 0; i < 200; i++) {
    const v = desk.view(id)!;
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`state not reached: ${JSON.stringify(desk.view(id))}`);
}

describe('「カードで取得」 with the card PIN typed on the appliance PIN pad', () => {
  it('shows the tries before the PIN, takes code and card PIN from the pad, shows the review without the number, and seals on confirmation', async () => {
    const { vault } = await newTestVault();
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const id = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1990-01-02' }, null, null);
    const statusLines: string[] = [];
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers, (m) => statusLines.push(m));
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    const padStates: string[] = [];
    attachPinPad(vault, new RevealStore(), keypadPort(pad), 'pinpad:test', undefined, (s) => padStates.push(s.message), undefined, () => {}, desk);
    const inserted = await pcsc.insert();
    const socket = connect(pad.server.address() as string);
    await new Promise((r) => socket.once('connect', r));
    try {
      const started = desk.start(actor, id, { purposes: ['withholding_slip'], confirmLastTry: false });
      const waiting = await until(desk, started.id, (v) => v.state === 'waiting_pin');
      expect(waiting.triesLeft).toBe(3);
      expect(waiting.message).toContain('残り3回');
      socket.write(keystrokes(`${started.code}\n1234\n`));
      const review = await until(desk, started.id, (v) => v.state === 'review' || v.state === 'failed');
      expect(review.state).toBe('review');
      expect(review.review).toEqual({ match: { name: { same: true }, birthDate: 'same', acceptable: true }, signature: 'valid' });
      expect(JSON.stringify(review)).not.toContain(TEST_CARD.number);
      expect(padStates).toContain('カードを読み取っています。カードをリーダーから離さないでください。');
      desk.confirm(actor, started.id, false, '127.0.0.1');
      expect(desk.view(started.id)!.state).toBe('sealed');
      expect(vault.persons.numberOf(id)?.state).toBe('held');
      // A person whose number is held gets no second card read.
      expect(() => desk.start(actor, id, { purposes: ['withholding_slip'], confirmLastTry: false })).toThrow(/登録済み/u);
      const actions = auditEvents(vault).map((e) => e.action);
      expect(actions).toContain('number.recorded');
      expect(actions).toContain('identity.checked');
      expect(JSON.stringify(auditEvents(vault))).not.toContain('1234"');
    } finally {
      socket.destroy();
      await pad.close();
      await inserted.remove();
    }
  });
});
