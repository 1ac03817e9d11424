import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { fixedClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { keystrokes } from '../helpers/keypad.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { until } from '../helpers/until.js';

/**
 * Issue 11 point 5 (one number, one record): an export writes each person in
 * the role its purpose concerns. A 社長 in a 支払調書 file is the payee under his
 * 取引先コード; a part-timer in a 被扶養者異動届 file is the dependant of the
 * employee who supports her. (The file used to print the primary kind: 従業員
 * with the 社員番号.)
 */
const n = (i: number) => syntheticNumber(i, 57);
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

describe('export rows in the role the purpose concerns (issue 11 point 5)', () => {
  it('writes a 社長 as the payee with his 取引先コード, and a part-timer as the dependant of her supporter', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const csv = ['種別,社員番号,氏名,個人番号', `従業員,E1,社長 大家,${n(1)}`, `従業員,E2,正社 夫,${n(2)}`, `従業員,E3,パート 妻,${n(3)}`].join('\n');
    expect(importPersons(vault, Buffer.from(csv), { purposes: ['withholding_slip'], actor: { id: 't', name: 't' } }).committed).toBe(true);
    const id = (code: string) => vault.persons.codes('employee').get(code)!;
    const store = new RevealStore();
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows);
    const handler = new Browser(testApp(vault, { reveals: store, gateWindows: windows }));
    await handler.signIn(HANDLER.login, HANDLER.password);

    await handler.get(`/persons/${id('E1')}`);
    expect((await handler.post(`/persons/${id('E1')}/roles`, { role: 'payee', code: 'P9' })).status).toBe(303);
    expect((await handler.post(`/persons/${id('E1')}/purposes`, { purposes: ['payment_record_real_estate'] })).status).toBe(303);
    await handler.get(`/persons/${id('E3')}`);
    expect((await handler.post(`/persons/${id('E3')}/roles`, { role: 'dependant', supporterCode: 'E2', relationship: '配偶者' })).status).toBe(303);
    expect((await handler.post(`/persons/${id('E3')}/purposes`, { purposes: ['health_dependant_change'] })).status).toBe(303);

    /** Asks an export, approves it at the pad and returns the file's rows (header first). */
    const exported = async (set: string, purpose: string): Promise<string[]> => {
      await handler.get('/gate/export/new');
      const asked = await handler.post('/gate/export', { set, purpose, encoding: 'utf8_bom' });
      expect(asked.status, asked.text).toBe(303);
      const code = /class="request-code">(\d{6})</u.exec((await handler.get(asked.headers.location!)).text)![1]!;
      const socket = connect(pad.server.address() as string);
      await new Promise((r) => socket.once('connect', r));
      socket.write(keystrokes(`${code}\n${HANDLER.pin}\n`));
      const ready = await until(
        async () => (await handler.get(`${asked.headers.location}/status`)).body as { state: string; download: string },
        (b) => b.state === 'approved',
      );
      socket.destroy();
      const file = await handler.getBytes(ready.download);
      expect(file.status).toBe(200);
      return (file.body as Buffer).subarray(3).toString('utf8').trim().split('\r\n');
    };

    try {
      const payees = await exported('payees', 'payment_record_real_estate');
      expect(payees).toEqual([payees[0], `支払先,P9,社長 大家,,,${n(1)},,`]);
      const dependants = await exported('employees', 'health_dependant_change');
      expect(dependants).toEqual([dependants[0], `扶養親族,,パート 妻,,,${n(3)},配偶者,E2`]);
      // A purpose of the primary role still writes the primary role.
      const slips = await exported('employees', 'withholding_slip');
      expect(slips.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['従業員,E1,社長 大家', '従業員,E2,正社 夫', '従業員,E3,パート 妻']);
    } finally {
      await pad.close();
      store.clear();
    }
  }, 60_000);
});
