import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk } from '../../src/services/card-intake-desk.js';
import { RevealStore } from '../../src/services/gate.js';
import { registerPerson } from '../../src/services/persons.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { forms } from '../helpers/canary.js';
import { keystrokes } from '../helpers/keypad.js';
import { TEST_CARD, usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const pcsc = usePcscd();

describe('「カードで取得」 through the office app and the appliance PIN pad', () => {
  it('starts from the intake page, shows the code and the tries while waiting, then the comparison without the number, and seals on confirmation', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const id = registerPerson(vault, actorOf(vault.users.byLogin(ADMIN.login)!), { kind: 'employee', code: 'E1', name: '山田太郎', birthDate: '1990-01-02' }, null, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    attachPinPad(vault, new RevealStore(), keypadPort(pad), 'pinpad:test', undefined, () => {}, undefined, () => {}, desk);
    const app = testApp(vault, { cards: desk });
    const inserted = await pcsc.insert();
    const socket = connect(pad.server.address() as string);
    await new Promise((r) => socket.once('connect', r));
    try {
      const admin = new Browser(app);
      await admin.signIn(ADMIN.login, ADMIN.password);
      expect((await admin.get('/')).text).toContain('Virtual PCD 00 00');
      const handler = new Browser(app);
      await handler.signIn(HANDLER.login, HANDLER.password);
      expect((await handler.get(`/persons/${id}/intake`)).text).toContain(`/persons/${id}/card-intake`);
      // A corporation has no My Number: the shared collection rule refuses it before any card is read (issue 11 point 1).
      const corporation = registerPerson(vault, actorOf(vault.users.byLogin(ADMIN.login)!), { kind: 'payee', code: 'C1', name: '株式会社見本', corporateNumber: '7123456789012' }, null, null);
      await handler.get(`/persons/${corporation}/card-intake`);
      const refusedCorporation = await handler.post(`/persons/${corporation}/card-intake`, { purposes: ['payment_record_fees'] });
      expect(refusedCorporation.status).toBe(400);
      expect(refusedCorporation.text).toContain('番号法20条');
      const form = await handler.get(`/persons/${id}/card-intake`);
      expect(form.status).toBe(200);
      expect(form.text).not.toContain('type="password"');
      const started = await handler.post(`/persons/${id}/card-intake`, { purposes: ['withholding_slip'] });
      expect(started.status).toBe(303);
      const statusPath = started.headers.location!;
      let page = await handler.get(statusPath);
      for (let i = 0; i < 100 && !page.text.includes('残り回数'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        page = await handler.get(statusPath);
      }
      expect(page.text).toContain('id="auto-refresh" data-seconds="2"');
      const code = /<dd><strong>(\d{6})<\/strong><\/dd>/u.exec(page.text)![1]!;
      expect(page.text).toMatch(/残り回数<\/dt><dd>3</u);
      socket.write(keystrokes(`${code}\n1234\n`));
      for (let i = 0; i < 100 && !page.text.includes('比較'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        page = await handler.get(statusPath);
      }
      expect(page.text).toContain('空白の違いのみ');
      expect(page.text).toContain('個人番号は表示しません');
      for (const f of forms(TEST_CARD.number)) expect(page.text).not.toContain(f);
      // A difference must be confirmed: without the box nothing is stored.
      const refused = await handler.post(`${statusPath}/confirm`, {});
      expect(refused.status).toBe(400);
      expect(vault.persons.numberOf(id)).toBeUndefined();
      const done = await handler.post(`${statusPath}/confirm`, { confirmedDifferences: 'yes' });
      expect(done.status).toBe(303);
      expect(vault.persons.numberOf(id)?.state).toBe('held');
      // The purposes shown at the appliance are recorded as notified that day (issue 11 point 3), as handler intake records them.
      expect(vault.purposeNotices.forPerson(id)).toMatchObject([{ via: 'handler', role: 'employee', purposes: ['withholding_slip'] }]);
      const person = await handler.get(`/persons/${id}`);
      expect(person.text).toContain('個人番号カード（ICチップ読取）');
      for (const f of forms(TEST_CARD.number)) expect(person.text).not.toContain(f);
    } finally {
      socket.destroy();
      await pad.close();
      await inserted.remove();
    }
  });
});
