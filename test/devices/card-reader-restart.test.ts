import { RequestMemory } from '../../src/gate/request-memory.js';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { PcscCardReaders } from '../../src/devices/pcsc.js';
import { startPrivatePcscd, type PrivatePcscd } from '../../src/devices/private-pcscd.js';
import { insertVirtualCardThread } from '../../src/devices/virtual-card-host.js';
import { CardReadFailedError, readCardAtAppliance } from '../../src/services/card-intake.js';
import { CardIntakeDesk } from '../../src/services/card-intake-desk.js';
import { TEST_CARD } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

// The admin's home page lists the readers afresh on each view: pcscd gone and back
// (a restart, or the reader's driver replugged) shows without restarting the appliance.
// The client library reads PCSCLITE_CSOCK_NAME once per process, as the appliance's fixed
// /run/pcscd/pcscd.comm: the test points it at a link it moves to each new daemon's socket.
/** A private pcscd behind a link that stays where the client library looks (one link per file: the library keeps the first name). */
const linkDir = mkdtempSync(join(tmpdir(), 'mnvault-pcscd-link-'));
afterAll(() => rmSync(linkDir, { recursive: true, force: true }));
function movableDaemon() {
  const link = join(linkDir, 'pcscd.comm');
  return {
    async start(): Promise<PrivatePcscd> {
      const d = await startPrivatePcscd();
      rmSync(link, { force: true });
      symlinkSync(d.socketPath, link);
      process.env.PCSCLITE_CSOCK_NAME = link;
      return d;
    },
    dispose: () => rmSync(link, { force: true }),
  };
}

describe('card readers on the admin home page', () => {
  it('says pcscd is unavailable while it is gone and lists the reader again once it is back, with the same running app', async () => {
    const { vault } = await newTestVault();
    const readers = new PcscCardReaders();
    const admin = new Browser(testApp(vault, { cards: new CardIntakeDesk(vault, new RequestMemory(), readers) }));
    await admin.signIn(ADMIN.login, ADMIN.password);
    const daemon = movableDaemon();
    const start = () => daemon.start();
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
      daemon.dispose();
    }
  }, 30_000);

  it('names a reader gone in the middle of a read as a pulled card, and reads the next card once the reader is back', async () => {
    const daemon = movableDaemon();
    const readers = new PcscCardReaders();
    let pcscd = await daemon.start();
    try {
      const card = await insertVirtualCardThread({ options: TEST_CARD, port: pcscd.vpcdPort, netns: pcscd.netns });
      // The reader goes (its daemon stops) after the tries are shown and before the PIN is sent.
      const err = await readCardAtAppliance(readers, {
        waitMs: 5000,
        pin: async () => {
          await pcscd.stop();
          return new Secret(new TextEncoder().encode(TEST_CARD.pin));
        },
      }).catch((e: unknown) => e);
      await card.remove().catch(() => {});
      expect(err).toBeInstanceOf(CardReadFailedError);
      expect((err as CardReadFailedError).reason).toBe('card_removed');
      expect((err as AppError).publicMessage).toContain('最初からやり直してください');
      pcscd = await daemon.start();
      for (const deadline = Date.now() + 10_000; !readers.state().readers.some((r) => r.name === 'Virtual PCD 00 00');) {
        if (Date.now() > deadline) throw new Error('the reader did not come back');
        await new Promise((r) => setTimeout(r, 50));
      }
      const again = await insertVirtualCardThread({ options: TEST_CARD, port: pcscd.vpcdPort, netns: pcscd.netns });
      try {
        const read = await readCardAtAppliance(readers, { waitMs: 5000, pin: () => Promise.resolve(new Secret(new TextEncoder().encode(TEST_CARD.pin))) });
        expect(read.card.myNumber.expose()).toBe(TEST_CARD.number);
      } finally {
        await again.remove();
      }
    } finally {
      readers.close();
      await pcscd.stop();
      daemon.dispose();
    }
  }, 30_000);
});
