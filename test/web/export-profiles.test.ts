import { connect } from 'node:net';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { APPLIANCE_PROFILE } from '../../src/domain/export-profiles.js';
import { fixedClock } from '../../src/domain/ports.js';
import { RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import { captureStderr, scanDataDir } from '../helpers/canary.js';
import { keystrokes } from '../helpers/keypad.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { until } from '../helpers/until.js';

/**
 * Issue 18 (formats, last point): the file a handler takes away from an export
 * is written from its column profile — exactly the profile's header, column
 * order and encoding, each number in the profile's number cell of its
 * person's row — and the numbers reach nothing else: not the data folder,
 * not the log.
 */
const n = (i: number) => syntheticNumber(i, 63);
const NUMBERS = [n(1), n(2), n(3)];
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

describe('export written from its column profile (issue 18)', () => {
  it('writes the appliance profile in UTF-8 with BOM and in Shift_JIS, numbers in the 個人番号 cell of their rows, and nowhere else', async () => {
    const log = captureStderr();
    const { vault, dataDir } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    const store = new RevealStore();
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    try {
      await addStaff(vault);
      const csv = [
        '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号',
        `従業員,E1,髙橋 一郎,タカハシ イチロウ,1980-05-06,${n(1)},,`,
        `従業員,E2,渡邉 二子,,,${n(2)},,`,
        `扶養親族,,髙橋 花子,,,${n(3)},配偶者,E1`,
      ].join('\n');
      expect(importPersons(vault, Buffer.from(csv), { purposes: ['withholding_slip'], actor: { id: 't', name: 't' } }).committed).toBe(true);
      attachPinPad(vault, store, keypadPort(pad), 'pinpad:test', windows);
      const handler = new Browser(testApp(vault, { reveals: store, gateWindows: windows }));
      await handler.signIn(HANDLER.login, HANDLER.password);

      const exported = async (encoding: 'utf8_bom' | 'shift_jis'): Promise<Buffer> => {
        await handler.get('/gate/export/new');
        const asked = await handler.post('/gate/export', { set: 'employees', purpose: 'withholding_slip', encoding });
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
        return file.body as Buffer;
      };
      const at = APPLIANCE_PROFILE.columns.indexOf('my_number');
      const keyAt = APPLIANCE_PROFILE.columns.indexOf(APPLIANCE_PROFILE.key);
      const check = (text: string) => {
        const lines = text.split('\r\n');
        expect(lines.at(-1)).toBe('');
        expect(lines[0]).toBe(APPLIANCE_PROFILE.header!.join(','));
        const rows = lines.slice(1, -1).map((l) => l.split(','));
        for (const r of rows) expect(r).toHaveLength(APPLIANCE_PROFILE.columns.length);
        const byName = new Map(rows.map((r) => [r[2], r]));
        expect(byName.get('髙橋 一郎')![at]).toBe(n(1));
        expect(byName.get('髙橋 一郎')![keyAt]).toBe('E1');
        expect(byName.get('渡邉 二子')![at]).toBe(n(2));
        expect(byName.get('髙橋 花子')![at]).toBe(n(3));
        expect(byName.get('髙橋 花子')!.slice(-2)).toEqual(['配偶者', 'E1']);
        // The numbers are in their cells and in no other.
        for (const r of rows) r.forEach((cell, i) => i !== at && expect(NUMBERS.some((num) => cell.includes(num))).toBe(false));
        expect(rows).toHaveLength(3);
      };

      const utf8 = await exported('utf8_bom');
      expect([...utf8.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      check(utf8.subarray(3).toString('utf8'));

      const sjis = await exported('shift_jis');
      expect(sjis[0]).not.toBe(0xef);
      // 髙 and 邉 are Windows-31J characters (IBM extensions / JIS X 0208): the file is cp932, not strict Shift_JIS.
      expect(iconv.encode(iconv.decode(sjis, 'cp932'), 'cp932').equals(sjis)).toBe(true);
      expect(sjis.includes(Buffer.from('髙', 'utf8'))).toBe(false);
      check(iconv.decode(sjis, 'cp932'));

      vault.close();
      const scan = scanDataDir(dataDir, NUMBERS);
      expect(scan.files).toBeGreaterThan(0);
      expect(scan.hits).toEqual([]);
      for (const num of NUMBERS) expect(log.lines.join('').includes(num)).toBe(false);
    } finally {
      log.restore();
      await pad.close();
      store.clear();
    }
  }, 60_000);
});
