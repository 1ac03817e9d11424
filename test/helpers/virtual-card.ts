import { afterAll, beforeAll } from 'vitest';
import { VirtualMyNumberCard, type VirtualMyNumberCardOptions } from '../../src/devices/mynumber-card-simulator.js';
import { PcscCardReaders } from '../../src/devices/pcsc.js';
import { startPrivatePcscd, type PrivatePcscd } from '../../src/devices/private-pcscd.js';
import { insertVirtualCard, type VpcdConnection } from '../../src/devices/vpcd-client.js';

export const TEST_CARD: VirtualMyNumberCardOptions = {
  number: '123456789018',
  basicFour: { name: '山田 太郎', address: '東京都千代田区霞が関一丁目1番1号', birthDate: '1990-01-02', sex: '1' },
  pin: '1234',
};

/**
 * Starts a private pcscd with a virtual reader for this test file (stopped
 * after it), and the real PC/SC binding on top. CI starts nothing itself.
 */
export function usePcscd() {
  const ctx: { pcscd?: PrivatePcscd; readers?: PcscCardReaders } = {};
  beforeAll(async () => {
    ctx.pcscd = await startPrivatePcscd();
    ctx.readers = new PcscCardReaders();
  });
  afterAll(async () => {
    ctx.readers?.close();
    await ctx.pcscd?.stop();
  });
  return {
    get readers() {
      return ctx.readers!;
    },
    get port() {
      return ctx.pcscd!.vpcdPort;
    },
    /**
     * Puts a virtual card on the reader (slot 0 or 1 of vpcd: two readers); remove() takes it off and
     * waits until pcscd sees it gone.
     */
    async insert(options: Partial<VirtualMyNumberCardOptions> = {}, slot: 0 | 1 = 0): Promise<{ card: VirtualMyNumberCard; connection: VpcdConnection; remove(): Promise<void> }> {
      const card = new VirtualMyNumberCard({ ...TEST_CARD, ...options });
      const connection = await insertVirtualCard(card, ctx.pcscd!.vpcdPort + slot);
      return {
        card,
        connection,
        async remove() {
          connection.remove();
          await connection.closed;
          for (let i = 0; i < 100 && ctx.readers!.state().readers[slot]?.card === true; i++) await new Promise((r) => setTimeout(r, 20));
        },
      };
    },
  };
}
