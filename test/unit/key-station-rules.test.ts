import { describe, expect, it } from 'vitest';
import { nextKeyStep, stillAsking } from '../../src/gate/key-station-rules.js';
import type { GateRequest } from '../../src/gate/requests.js';

const owner = { displayName: '山田 花子', disabledAt: null, pinLockedAt: null };
const open: GateRequest = {
  id: 3,
  code: '123456',
  kind: 'reveal',
  handlerId: 'u-1',
  personIds: [7],
  purpose: 'payroll',
  note: null,
  state: 'requested',
  createdAt: '2026-04-01T00:00:00.000Z',
  approveBy: '2026-04-01T00:05:00.000Z',
  approvedAt: null,
  viewUntil: null,
  device: null,
  exportEncoding: null,
};
const memory = { approvalLapsed: () => false };
const at = new Date('2026-04-01T00:01:00.000Z');

describe('the key station’s rules', () => {
  it('waits when the owner has nothing open, and asks for a touch on the open request otherwise', () => {
    expect(nextKeyStep(owner, undefined)).toEqual({ kind: 'wait', state: 'idle', message: '山田 花子 さんのキーです。承認待ちの申請はありません。' });
    expect(nextKeyStep(owner, open)).toEqual({ kind: 'ask', request: open });
  });

  it('never asks a disabled or PIN-locked holder for a touch', () => {
    for (const o of [
      { ...owner, disabledAt: '2026-03-01T00:00:00.000Z' },
      { ...owner, pinLockedAt: '2026-03-01T00:00:00.000Z' },
    ]) {
      expect(nextKeyStep(o, open)).toMatchObject({ kind: 'wait', state: 'error' });
    }
  });

  it('stops asking once the request is no longer waiting or the touch timeout has passed', () => {
    expect(stillAsking(open, at, memory, 1_000, 30_000)).toBe(true);
    expect(stillAsking(undefined, at, memory, 1_000, 30_000)).toBe(false);
    expect(stillAsking({ ...open, state: 'approved', approvedAt: at.toISOString(), viewUntil: '2026-04-01T00:10:00.000Z' }, at, memory, 1_000, 30_000)).toBe(false);
    expect(stillAsking({ ...open, state: 'cancelled' }, at, memory, 1_000, 30_000)).toBe(false);
    expect(stillAsking(open, new Date('2026-04-01T00:05:00.000Z'), memory, 1_000, 30_000)).toBe(false);
    expect(stillAsking(open, at, { approvalLapsed: () => true }, 1_000, 30_000)).toBe(false);
    expect(stillAsking(open, at, memory, 30_001, 30_000)).toBe(false);
  });
});
