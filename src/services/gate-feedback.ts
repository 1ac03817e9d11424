import { PIN_LOCK_AFTER, type GateRequest, type GateState } from '../gate/requests.js';
import type { GateRefusal } from '../storage/gate-repo.js';
import type { Vault } from './vault.js';

/**
 * What the waiting page says about a request while it waits and after: the
 * wrong PINs typed for it at the appliance (never who typed them), the tries
 * left before the handler's PIN locks, a lock, the seconds left of the
 * approval window, and how it ended. The same for every pad (the simulator or
 * a real one): it is read from the request's row, which approveWithPin writes.
 */
export interface GateFeedback {
  wrongPins: number;
  /** Wrong PINs still allowed before the lock; null once locked. */
  triesLeft: number | null;
  locked: boolean;
  refusal: GateRefusal | null;
  /** While requested: whole seconds until the approval window closes. */
  approveSecondsLeft: number | null;
  /** How it ended: never approved (expired), shown then masked (consumed), cancelled; null while open. */
  ended: 'expired' | 'consumed' | 'cancelled' | null;
}

export function gateFeedback(vault: Pick<Vault, 'users' | 'gate'>, request: GateRequest, state: GateState, now: Date): GateFeedback {
  const { wrongPins, refusal } = vault.gate.refusals(request.id);
  const locked = vault.users.pinLockedAt(request.handlerId) !== null;
  const failures = vault.users.pinFailures(request.handlerId);
  return {
    wrongPins,
    triesLeft: locked ? null : Math.max(0, PIN_LOCK_AFTER - failures),
    locked,
    refusal,
    approveSecondsLeft: state === 'requested' ? Math.max(0, Math.ceil((Date.parse(request.approveBy) - now.getTime()) / 1000)) : null,
    ended: state === 'expired' || state === 'consumed' || state === 'cancelled' ? state : null,
  };
}
