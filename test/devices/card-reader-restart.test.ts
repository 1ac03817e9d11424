import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcscCardReaders } from '../../src/devices/pcsc.js';
import { startPrivatePcscd } from '../../src/devices/private-pcscd.js';
import { CardIntakeDesk } from '../../src/services/card-intake-desk.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

// The admin's home page lists the readers afresh on each view: pcscd gone and back
// (a restart, or the reader's driver replugged) shows without restarting the appliance.
// The client library reads PCSCLITE_CSOCK_NAME once per process, as the appliance's fixed
// /run/pcscd/pcscd.comm: the test points it at a link it moves to each new daemon's socket.
describe('card readers on the admin home page', () => {
  it('says pcscd is unavailable while it is gone and lists the reader again once it is back, with the same running app', async () => {
    const { vault } = await newTestVault();
    const readers = new PcscCardReaders();
    const admin = new Browser(testApp(vault, { cards: new CardIntakeDesk(vault, readers) }));
    await admin.signIn(ADMIN.login, ADMIN.password);
    const dir = mkdtempSync(join(tmpdir(), 'mnvault-pcscd-link-'));
    const link = join(dir, 'pcscd.comm');
    const start = async () => {
      const d = await startPrivatePcscd();
      rmSync(link, { force: true });
      symlinkSync(d.socketPath, link);
      process.env.PCSCLITE_CSOCK_NAME = link;
      return d;
    };
    let pcscd = await start();
    try {
      expect((await admin.get('/')).text).toContain('Virtual PCD 00 00');
      await pcscd.stop();
      const gone = await admin.get('/');
      expect(gone.text).toContain('使えません（pcscd が動いていません）');
      expect(gone.text).not.toContain('Virtual PCD 00 00');
      pcscd = await start();
      let back = await admin.get('/');
      for (const deadline = Date.now() + 10_000; !back.text.includes('Virtual PCD 00 00') && Date.now() < deadline; back = await admin.get('/')) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(back.text).toContain('Virtual PCD 00 00');
    } finally {
      readers.close();
      await pcscd.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
