import type { Secret } from './secret.js';

/**
 * What the domain and services need from the outside world. Adapters live in
 * storage/, vault/ and devices/; tests pass fixed clocks and fake devices.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock & { advance(ms: number): void } {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Modem input lines of a USB-serial adapter (a reed switch is wired to one of them). */
export interface ModemLines {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}

/** What the door code needs of a serial port: bytes out (relay) and modem lines in (sensor). */
export interface SerialLine {
  write(bytes: Uint8Array): Promise<void>;
  get(): Promise<ModemLines>;
  close(): Promise<void>;
}

/**
 * What the PIN pad's dialogue at the appliance gets from the pad, decoded by
 * the device adapter (src/devices/keypad-port.ts): `keys` when keys were
 * pressed (when, never which), each finished `line` (typed digits, on Enter),
 * `garbled` for a report that could not be read (what was typed is dropped),
 * `unplugged` when the pad went away.
 */
export type PinPadInput = { type: 'keys' } | { type: 'line'; text: string } | { type: 'garbled' } | { type: 'unplugged' };

/** A PIN pad: each report from the device arrives as the inputs it carries, in order. */
export interface PinPadPort {
  listen(listener: (inputs: readonly PinPadInput[]) => void): void;
}

/** What an enrolment yields: the credential and its public key (SubjectPublicKeyInfo DER). */
export interface KeyEnrolment {
  credentialId: Uint8Array;
  publicKeySpki: Uint8Array;
  aaguid: Uint8Array;
  signCount: number;
}

/** One assertion with the hmac-secret output for the slot's salt. */
export interface KeyAssertion {
  credentialId: Uint8Array;
  authData: Uint8Array;
  signature: Uint8Array;
  /** Read only by the key slot (src/vault/slots.ts); whoever got the assertion wipes it. */
  hmacSecret: Secret<Uint8Array>;
}

/** An enrolled credential as the key is asked for it: its id, what checks it, and its slot's salt. */
export interface KeyCredential {
  id: Uint8Array;
  publicKeySpki: Uint8Array;
  signCount: number;
  salt: Uint8Array;
}

/** What the gate needs of a plugged-in security key; devices/ provides it over CTAPHID (adapted in services/security-key-station.ts). */
export interface SecurityKeyPort {
  readonly path: string;
  enrol(a: { rpId: string; rpName: string; userId: Uint8Array; userName: string; clientDataHash: Uint8Array; signal?: AbortSignal; onTouch?: () => void }): Promise<KeyEnrolment>;
  /** Which of these credentials the key holds, without a touch. */
  probe(a: { rpId: string; credentialIds: Uint8Array[]; signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  assert(a: { rpId: string; credential: KeyCredential; clientDataHash: Uint8Array; signal?: AbortSignal; onTouch?: () => void }): Promise<KeyAssertion>;
  close(): Promise<void>;
}
