import { afterAll, beforeAll } from 'vitest';
import type { VirtualMyNumberCardOptions } from '../../src/devices/mynumber-card-simulator.js';
import { PcscCardReaders } from '../../src/devices/pcsc.js';
import { startPrivatePcscd, type PrivatePcscd } from '../../src/devices/private-pcscd.js';
import { insertVirtualCardThread, type VirtualCardOnReader } from '../../src/devices/virtual-card-host.js';

export const TEST_CARD: Omit<VirtualMyNumberCardOptions, 'onExchange'> = {
  number: '123456789018',
  basicFour: { name: '山田 太郎', address: '東京都千代田区霞が関一丁目1番1号', birthDate: '1990-01-02', sex: '1' },
  pin: '1234',
};

/**
 * Starts a private pcscd with a virtual reader for this test file (stopped
 * after it), and the real PC/SC binding on top. CI starts nothing itself.
 * Virtual cards answer from a child process (compiled: npm run build first).
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
    /**
     * Puts a virtual card on the reader (slot 0 or 1 of vpcd: two readers); remove() takes it off
     * and waits until pcscd sees it gone. removeAfterReads pulls it in the middle of reading.
     */
    async insert(
      options: Partial<Omit<VirtualMyNumberCardOptions, 'onExchange'>> = {},
      slot: 0 | 1 = 0,
      removeAfterReads?: number,
    ): Promise<VirtualCardOnReader> {
      const card = await insertVirtualCardThread({ options: { ...TEST_CARD, ...options }, port: ctx.pcscd!.vpcdPort + slot, netns: ctx.pcscd!.netns, removeAfterReads });
      return {
        triesLeft: () => card.triesLeft(),
        async remove() {
          await card.remove();
          // A deadline, not a count of polls: on a loaded machine each poll may sleep far longer than asked.
          for (const deadline = Date.now() + 10_000; ctx.readers!.state().readers[slot]?.card === true; ) {
            if (Date.now() > deadline) throw new Error(`pcscd still sees a card on slot ${slot} 10 s after it was taken off`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      };
    },
  };
}
