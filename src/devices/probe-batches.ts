import { getAssertionRequest } from './ctap2.js';
import { MAX_MESSAGE } from './ctaphid.js';

/**
 * The largest CTAP2 message a platform may send a key whose getInfo names no
 * maxMsgSize (CTAP 2.1 §8, message encoding: authenticators support at least
 * 1024 bytes unless they declare otherwise).
 */
export const DEFAULT_MAX_MSG_SIZE = 1024;

export interface ProbeLimits {
  /** getInfo 0x05; counted on the whole CTAPHID_CBOR payload (command byte ‖ CBOR), the stricter reading. */
  maxMsgSize: number | undefined;
  /** getInfo 0x07; a key that names none is asked one credential at a time. */
  maxCredentialCountInList: number | undefined;
}

/**
 * Splits credential ids into the allowLists of silent getAssertion probes:
 * each batch as long as fits both the key's credential count and its message
 * size, measured on the request as it goes out (the clientDataHash is always
 * 32 bytes, so its value does not change the size), and never over what one
 * CTAPHID message holds. An id that is too long to be asked about even alone
 * is left out: a key that cannot receive it cannot have made it.
 */
export function probeBatches(rpId: string, ids: readonly Uint8Array[], limits: ProbeLimits): Uint8Array[][] {
  const maxBytes = Math.min(limits.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE, MAX_MESSAGE);
  const maxCount = Math.max(1, limits.maxCredentialCountInList ?? 1);
  const cdh = new Uint8Array(32);
  const fits = (batch: Uint8Array[]) => batch.length <= maxCount && getAssertionRequest({ rpId, clientDataHash: cdh, credentialIds: batch, up: false }).length <= maxBytes;
  const batches: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  for (const id of ids) {
    if (!fits([id])) continue;
    const longer = [...current, id];
    if (fits(longer)) {
      current = longer;
      continue;
    }
    batches.push(current);
    current = [id];
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
