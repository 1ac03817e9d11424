import type { RequestMemory } from './request-memory.js';
import { stateAt, type GateRequest } from './requests.js';

/**
 * The key station's rules: what a plugged-in, recognised security key may do
 * next, and how long it is asked for a touch. The station
 * (services/security-key-station.ts) talks to the key and the vault; these
 * decide.
 */

/** The owner of a recognised key, as the rules need them. */
export interface KeyOwner {
  displayName: string;
  disabledAt: string | null;
  pinLockedAt: string | null;
}

export type KeyStationStep<R> = { kind: 'wait'; state: 'idle' | 'error'; message: string } | { kind: 'ask'; request: R };

/**
 * With nothing open the key waits. A disabled or PIN-locked holder is not asked
 * for a touch at all: they approve nothing until an admin has looked. Otherwise
 * the key is asked to approve the owner's oldest open request.
 */
export function nextKeyStep<R>(owner: KeyOwner, pending: R | undefined): KeyStationStep<R> {
  if (!pending) return { kind: 'wait', state: 'idle', message: `${owner.displayName} さんのキーです。承認待ちの申請はありません。` };
  if (owner.disabledAt || owner.pinLockedAt) return { kind: 'wait', state: 'error', message: `${owner.displayName} さんはロックまたは無効にされています。管理者に解除を依頼してください。` };
  return { kind: 'ask', request: pending };
}

/**
 * Whether the key is still asked for a touch on a request: it must still be
 * waiting for approval (not approved elsewhere, cancelled or expired) and the
 * touch timeout must not have passed.
 */
export function stillAsking(r: GateRequest | undefined, now: Date, requests: Pick<RequestMemory, 'approvalLapsed'>, askedForMs: number, touchTimeoutMs: number): boolean {
  return r !== undefined && stateAt(r, now, requests) === 'requested' && askedForMs <= touchTimeoutMs;
}
