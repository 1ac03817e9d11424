import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getAssertionRequest } from '../../src/devices/ctap2.js';
import { MAX_MESSAGE } from '../../src/devices/ctaphid.js';
import { DEFAULT_MAX_MSG_SIZE, probeBatches } from '../../src/devices/probe-batches.js';

const RP = 'mnvault.appliance';
const ids = (count: number, length: number) => Array.from({ length: count }, (_, i) => createHash('shake256', { outputLength: length }).update(`id ${i}`).digest());
const size = (batch: Uint8Array[]) => getAssertionRequest({ rpId: RP, clientDataHash: new Uint8Array(32), credentialIds: batch, up: false }).length;

describe('silent probe batches', () => {
  it('fits each request into the key’s maxMsgSize, keeping every id once and in order', () => {
    const all = ids(14, 72);
    const batches = probeBatches(RP, all, { maxMsgSize: 1200, maxCredentialCountInList: 20 });
    expect(batches.map((b) => b.length)).toEqual([12, 2]);
    expect(batches.every((b) => size(b) <= 1200)).toBe(true);
    expect(size(all.slice(0, 13))).toBeGreaterThan(1200);
    expect(batches.flat()).toEqual(all);
  });

  it('assumes 1024 bytes when getInfo names no maxMsgSize', () => {
    expect(DEFAULT_MAX_MSG_SIZE).toBe(1024);
    const batches = probeBatches(RP, ids(40, 64), { maxMsgSize: undefined, maxCredentialCountInList: 64 });
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches.map(size))).toBeLessThanOrEqual(1024);
    expect(size([...batches[0]!, batches[1]![0]!])).toBeGreaterThan(1024);
  });

  it('still honours maxCredentialCountInList, one at a time when the key names none', () => {
    expect(probeBatches(RP, ids(5, 16), { maxMsgSize: 1200, maxCredentialCountInList: 2 }).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(probeBatches(RP, ids(3, 16), { maxMsgSize: 1200, maxCredentialCountInList: undefined }).map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it('never goes over one CTAPHID message, whatever the key claims, and leaves out an id too long to send alone', () => {
    const batches = probeBatches(RP, ids(100, 128), { maxMsgSize: 1_000_000, maxCredentialCountInList: 1000 });
    expect(Math.max(...batches.map(size))).toBeLessThanOrEqual(MAX_MESSAGE);
    const huge = new Uint8Array(1100);
    expect(probeBatches(RP, [huge, ...ids(2, 16)], { maxMsgSize: 1024, maxCredentialCountInList: 8 })).toEqual([ids(2, 16)]);
  });
});
