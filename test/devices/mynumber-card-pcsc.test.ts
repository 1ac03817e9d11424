import { describe, expect, it } from 'vitest';
import { probeCard, readCard } from '../../src/devices/mynumber-card.js';
import { compareCardWithRecord } from '../../src/domain/card-match.js';
import { AppError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { usePcscd } from '../helpers/virtual-card.js';

// pcscd (its own, in a private mount namespace) + vpcd + the smartcard N-API binding + the codec,
// with the virtual card speaking vpcd's protocol over TCP.
const pcsc = usePcscd();
const pin = (s: string) => new Secret(new TextEncoder().encode(s));

async function session() {
  const s = await pcsc.readers.waitForCard(5000);
  return { s, transmit: (a: Uint8Array) => s.transmit(a) };
}

describe('a My Number card through pcscd and the virtual reader', () => {
  it('lists the virtual reader and reads the number, the 基本4情報 and a valid signature', async () => {
    const state = pcsc.readers.state();
    expect(state.service).toBe('running');
    expect(state.readers.map((r) => r.name)).toContain('Virtual PCD 00 00');
    const inserted = await pcsc.insert();
    try {
      const { s, transmit } = await session();
      expect(await probeCard(transmit)).toEqual({ kind: 'tries_left', left: 3 });
      const out = await readCard(transmit, pin('1234'));
      await s.close();
      if (out.kind !== 'read') throw new Error(out.kind);
      expect(out.card.myNumber.expose()).toBe('123456789018');
      expect(out.card.basicFour.name).toBe('山田 太郎');
      expect(out.card.basicFour.birthDate).toBe('1990-01-02');
      expect(out.card.signature).toEqual({ result: 'valid', reason: 'hashes match and signature verifies', chain: 'not_checked' });
    } finally {
      await inserted.remove();
    }
  });

  it('counts wrong PINs down, shows the tries before each attempt, and resets the count on the right PIN', async () => {
    const inserted = await pcsc.insert();
    try {
      const { s, transmit } = await session();
      expect(await probeCard(transmit)).toEqual({ kind: 'tries_left', left: 3 });
      expect(await readCard(transmit, pin('0000'))).toEqual({ kind: 'wrong_pin', left: 2 });
      expect(await probeCard(transmit)).toEqual({ kind: 'tries_left', left: 2 });
      expect(await readCard(transmit, pin('9999'))).toEqual({ kind: 'wrong_pin', left: 1 });
      expect(await probeCard(transmit)).toEqual({ kind: 'tries_left', left: 1 });
      expect((await readCard(transmit, pin('1234'))).kind).toBe('read');
      expect(await inserted.triesLeft()).toBe(3);
      await s.close();
    } finally {
      await inserted.remove();
    }
  });

  it('locks on the last wrong PIN and then refuses even the right one', async () => {
    const inserted = await pcsc.insert({ triesLeft: 1 });
    try {
      const { s, transmit } = await session();
      expect(await probeCard(transmit)).toEqual({ kind: 'tries_left', left: 1 });
      expect(await readCard(transmit, pin('0000'))).toEqual({ kind: 'locked' });
      expect(await probeCard(transmit)).toEqual({ kind: 'locked' });
      expect(await readCard(transmit, pin('1234'))).toEqual({ kind: 'locked' });
      await s.close();
    } finally {
      await inserted.remove();
    }
  });

  it('records a card whose 基本4情報 does not match its signed hash as invalid', async () => {
    const inserted = await pcsc.insert({ signature: 'invalid' });
    try {
      const { s, transmit } = await session();
      await probeCard(transmit);
      const out = await readCard(transmit, pin('1234'));
      await s.close();
      if (out.kind !== 'read') throw new Error(out.kind);
      expect(out.card.signature.result).toBe('invalid');
      expect(out.card.signature.reason).toBe('basic four file does not match its hash');
    } finally {
      await inserted.remove();
    }
  });

  it('shows a name that differs from the record as a mismatch, and a 旧姓 or spacing as a difference only', async () => {
    const inserted = await pcsc.insert({ basicFour: { name: '佐藤 花子', address: '大阪府大阪市北区', birthDate: '1985-05-05', sex: '2' } });
    try {
      const { s, transmit } = await session();
      await probeCard(transmit);
      const out = await readCard(transmit, pin('1234'));
      await s.close();
      if (out.kind !== 'read') throw new Error(out.kind);
      const card = out.card.basicFour;
      expect(compareCardWithRecord(card, { name: '山田 太郎', birthDate: '1990-01-02' })).toEqual({
        name: { same: false, difference: 'different' },
        birthDate: 'different',
        acceptable: false,
      });
      expect(compareCardWithRecord(card, { name: '佐藤花子', birthDate: '1985-05-05' })).toMatchObject({ name: { difference: 'spacing' }, acceptable: true });
      expect(compareCardWithRecord({ ...card, name: '佐藤（鈴木） 花子' }, { name: '佐藤 花子', birthDate: '1985-05-05' }).name).toEqual({ same: false, difference: 'former_surname' });
      expect(compareCardWithRecord({ ...card, name: '〓藤 花子' }, { name: '齋藤 花子', birthDate: '1985-05-05' }).name).toEqual({ same: false, difference: 'gaiji' });
    } finally {
      await inserted.remove();
    }
  });

  // The next tap is on the same reader, at once: closing the session of a card that left must not
  // leave pcscd blind to the next card (it did when the close power-cycled the missing card).
  it('fails with a clear device error when the card leaves the reader mid-read, and works again on the next tap on the same reader', async () => {
    const inserted = await pcsc.insert({}, 0, 2);
    const { s, transmit } = await session();
    await probeCard(transmit);
    const err = await readCard(transmit, pin('1234')).catch((e: unknown) => e);
    await s.close();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('device_unavailable');
    expect((err as AppError).publicMessage).toContain('カードが読み取りの途中で離れました');
    await inserted.remove().catch(() => {});
    const again = await pcsc.insert({}, 0);
    try {
      const next = await session();
      expect(next.s.reader).toBe('Virtual PCD 00 00');
      await probeCard(next.transmit);
      expect((await readCard(next.transmit, pin('1234'))).kind).toBe('read');
      await next.s.close();
    } finally {
      await again.remove();
    }
  });

  it('reads a whole card in 15 exchanges, each well under the 40 ms a delayed ACK on the vpcd socket used to cost', async () => {
    const inserted = await pcsc.insert();
    try {
      const { s } = await session();
      const times: number[] = [];
      const transmit = async (a: Uint8Array) => {
        const t = performance.now();
        try {
          return await s.transmit(a);
        } finally {
          times.push(performance.now() - t);
        }
      };
      await probeCard(transmit);
      const out = await readCard(transmit, pin('1234'));
      await s.close();
      expect(out.kind).toBe('read');
      expect(times).toHaveLength(15);
      // Median, so one exchange that meets pcscd's presence poll of vpcd does not decide it.
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      expect(median).toBeLessThan(20);
    } finally {
      await inserted.remove();
    }
  });
});
