import { createHash, randomBytes, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { Secret, zeroize } from '../domain/secret.js';
import {
  checkAssertion,
  coseToPublicKey,
  CTAP2,
  Ctap2Error,
  decodeResponse,
  encodeRequest,
  FLAG,
  getAssertionRequest,
  getKeyAgreementRequest,
  makeCredentialRequest,
  parseAuthData,
  parseClientPinResponse,
  parseGetInfo,
  type AssertionProblem,
  type AuthenticatorInfo,
} from './ctap2.js';
import { CAPABILITY, KEEPALIVE_STATUS } from './ctaphid.js';
import { CtapHidTransactionError, openCtapHidDevice, type CtapHidDevice, type CtapHidDeviceOptions } from './ctaphid-device.js';
import type { HidBus } from './hid.js';
import { encapsulate, HMAC_SECRET, hmacSecretInput, hmacSecretOutputs, newKeyAgreementKey, pinUvAuthProtocol, SALT_LENGTH, type PinUvAuthProtocolVersion } from './pin-uv-auth.js';
import { probeBatches } from './probe-batches.js';

/**
 * A FIDO2 security key as the gate uses it: enrol a non-resident ES256
 * credential with hmac-secret, find silently which enrolled credential a key
 * holds, and get an assertion (one touch) that both approves a request and
 * yields the 32-byte hmac-secret output a fido2 key slot needs.
 *
 * Assertions are checked here, not by the caller: assert() takes the stored
 * public key and counter of each candidate credential and only returns an
 * assertion whose rpIdHash, presence flag, counter and signature are good.
 * The caller stores the returned signCount.
 *
 * No user verification is asked (no PIN sent): hmac-secret outputs differ
 * with and without UV, and a slot must always be opened the same way.
 */

/** Closed reasons the gate maps to messages for the handler. */
export type SecurityKeyFailure = 'timeout' | 'cancelled' | 'no_credentials' | 'unsupported' | 'pin_required' | 'device_gone' | 'protocol';

export class SecurityKeyError extends Error {
  /** The CTAP2 status byte when the key refused the command. */
  readonly ctapStatus: number | undefined;
  /** Which check a returned assertion failed ('counter' may mean a cloned key). */
  readonly problem: AssertionProblem | undefined;

  constructor(
    readonly reason: SecurityKeyFailure,
    message: string,
    options: { cause?: unknown; ctapStatus?: number; problem?: AssertionProblem } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecurityKeyError';
    this.ctapStatus = options.ctapStatus;
    this.problem = options.problem;
  }
}

export interface SecurityKeyInfo extends AuthenticatorInfo {
  /** The PIN/UV auth protocol used for hmac-secret: 2 when offered, else 1. */
  protocol: PinUvAuthProtocolVersion;
}

export interface Enrolment {
  credentialId: Uint8Array;
  /** The credential public key as the key gave it (kty 2, alg -7, crv 1, x, y). */
  publicKeyCose: Map<number, unknown>;
  publicKey: KeyObject;
  aaguid: Uint8Array;
  signCount: number;
  /** 'self' and 'x5c' were verified; 'none' has nothing to verify; other formats are not checked. */
  attestation: { format: string; verified: 'self' | 'x5c' | 'none' | 'not_checked' };
}

/** What the vault stored at enrolment, plus the salt of the key slot to open. */
export interface EnrolledCredential {
  id: Uint8Array;
  publicKey: KeyObject;
  signCount: number;
  /** The fido2 slot's 32-byte salt. */
  salt: Uint8Array;
}

export interface Assertion {
  credentialId: Uint8Array;
  authData: Uint8Array;
  signature: Uint8Array;
  signCount: number;
  /** HMAC-SHA-256(the key's CredRandom, salt): the fido2 slot's input. */
  hmacSecret: Secret<Uint8Array>;
}

export interface TouchOptions {
  /** Called once, when the key starts blinking for a touch: show 「キーにタッチしてください」. */
  onTouch?: () => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Real keys give up on a touch after about 30 s; the host waits a little longer for their answer. */
export const TOUCH_TIMEOUT_MS = 35_000;
export const COMMAND_TIMEOUT_MS = 5_000;

const STATUS_REASON: Record<number, SecurityKeyFailure> = {
  0x01: 'unsupported',
  0x16: 'unsupported',
  0x26: 'unsupported',
  0x2b: 'unsupported',
  0x2c: 'unsupported',
  0x22: 'no_credentials',
  0x2e: 'no_credentials',
  0x2d: 'cancelled',
  0x27: 'cancelled',
  0x2f: 'timeout',
  // An untouched key gives up after about 30 s; the holder is asked again, the key is fine.
  0x3a: 'timeout',
  0x31: 'pin_required',
  0x32: 'pin_required',
  0x33: 'pin_required',
  0x34: 'pin_required',
  0x35: 'pin_required',
  0x36: 'pin_required',
};

/** Every failure below, as a SecurityKeyError with a closed reason. */
export function toSecurityKeyError(err: unknown): SecurityKeyError {
  if (err instanceof SecurityKeyError) return err;
  if (err instanceof Ctap2Error) return new SecurityKeyError(STATUS_REASON[err.status] ?? 'protocol', err.message, { cause: err, ctapStatus: err.status });
  if (err instanceof CtapHidTransactionError) return new SecurityKeyError(err.reason === 'device_error' ? 'protocol' : err.reason, err.message, { cause: err });
  return new SecurityKeyError('protocol', err instanceof Error ? err.message : 'unexpected security key failure', { cause: err });
}

/** Runs one operation, turning every failure into a SecurityKeyError. */
async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toSecurityKeyError(err);
  }
}

export interface SecurityKeyOptions {
  /**
   * Randomness for probe clientDataHashes, the platform's key-agreement key
   * and protocol 2 IVs; tests replaying a transcript pass the recorded bytes.
   */
  random?: (size: number) => Uint8Array;
}

export class SecurityKey {
  #info: SecurityKeyInfo | undefined;
  readonly #random: ((size: number) => Uint8Array) | undefined;

  constructor(
    readonly device: CtapHidDevice,
    options: SecurityKeyOptions = {},
  ) {
    this.#random = options.random;
  }

  /** getInfo, once: FIDO 2, hmac-secret, ES256 and a PIN/UV auth protocol are required. */
  info(): Promise<SecurityKeyInfo> {
    return mapped(async () => {
      if (this.#info) return this.#info;
      if (!(this.device.init.capabilities & CAPABILITY.CBOR)) throw new SecurityKeyError('unsupported', 'the key speaks no CTAP2 (U2F only)');
      const m = await this.#command(encodeRequest(CTAP2.GET_INFO), {});
      this.#info = requireCapabilities(parseGetInfo(m), m.get(10));
      return this.#info;
    });
  }

  /** makeCredential: a touch, then the attested credential after checking its authenticatorData. */
  enrol(a: { rpId: string; rpName: string; userId: Uint8Array; userName: string; clientDataHash: Uint8Array } & TouchOptions): Promise<Enrolment> {
    return mapped(async () => {
      await this.info();
      const m = await this.#command(makeCredentialRequest(a), withTouch(a));
      return checkAttestation(a.rpId, a.clientDataHash, m);
    });
  }

  /**
   * Which of the given credentials this key holds, asked silently (up false,
   * no touch); undefined when none. The allowList is split to the key's
   * limits: its maxCredentialCountInList and, in bytes, its maxMsgSize.
   */
  probe(a: { rpId: string; credentialIds: Uint8Array[]; signal?: AbortSignal }): Promise<Uint8Array | undefined> {
    return mapped(async () => {
      const info = await this.info();
      const usable = a.credentialIds.filter((id) => info.maxCredentialIdLength === undefined || id.length <= info.maxCredentialIdLength);
      for (const batch of probeBatches(a.rpId, usable, info)) {
        const request = getAssertionRequest({ rpId: a.rpId, clientDataHash: this.#randomBytes(32), credentialIds: batch, up: false });
        try {
          const m = await this.#command(request, a.signal ? { signal: a.signal } : {});
          return credentialOf(m, batch);
        } catch (err) {
          if (err instanceof Ctap2Error && err.status === 0x2e) continue;
          throw err;
        }
      }
      return undefined;
    });
  }

  /**
   * One touch: an assertion over clientDataHash from whichever given
   * credential this key holds (found first by probe() when there are several,
   * since each has its own salt), checked against the stored public key and
   * counter, with the hmac-secret output for that credential's salt.
   */
  assert(a: { rpId: string; credentials: EnrolledCredential[]; clientDataHash: Uint8Array } & TouchOptions): Promise<Assertion> {
    return mapped(async () => {
      const info = await this.info();
      const credential = await this.#choose(a.rpId, a.credentials, a.signal);
      if (credential.salt.length !== SALT_LENGTH) throw new SecurityKeyError('protocol', 'an hmac-secret salt is 32 bytes');
      const protocol = pinUvAuthProtocol(info.protocol, this.#random);
      const agreement = parseClientPinResponse(await this.#command(getKeyAgreementRequest(protocol.version), a.signal ? { signal: a.signal } : {}));
      if (!agreement.keyAgreement) throw new SecurityKeyError('protocol', 'clientPIN getKeyAgreement returned no key');
      const { platformKey, sharedSecret } = encapsulate(protocol, agreement.keyAgreement, this.#random && newKeyAgreementKey(this.#random(32)));
      try {
        const extensions = new Map([[HMAC_SECRET, hmacSecretInput(protocol, platformKey, sharedSecret, [credential.salt])]]);
        const request = getAssertionRequest({ rpId: a.rpId, clientDataHash: a.clientDataHash, credentialIds: [credential.id], extensions });
        const m = await this.#command(request, withTouch(a));
        const credentialId = credentialOf(m, [credential.id]);
        const authData = bytes(m.get(2), 'authData');
        const signature = bytes(m.get(3), 'signature');
        const d = parseAuthData(authData);
        if (!(d.flags & FLAG.ED) || !d.extensions?.has(HMAC_SECRET)) throw new SecurityKeyError('protocol', 'the assertion carries no hmac-secret output');
        const [output] = hmacSecretOutputs(protocol, sharedSecret, d.extensions.get(HMAC_SECRET), 1);
        const check = checkAssertion({ rpId: a.rpId, authData, clientDataHash: a.clientDataHash, signature, publicKey: credential.publicKey, storedCounter: credential.signCount });
        if (!check.ok) {
          zeroize(output);
          throw new SecurityKeyError('protocol', `assertion refused: ${check.problem}`, { problem: check.problem });
        }
        return { credentialId, authData, signature, signCount: check.signCount, hmacSecret: new Secret<Uint8Array>(output!) };
      } finally {
        zeroize(sharedSecret);
      }
    });
  }

  close(): Promise<void> {
    return this.device.close();
  }

  #randomBytes(size: number): Uint8Array {
    return this.#random ? this.#random(size) : randomBytes(size);
  }

  async #choose(rpId: string, credentials: EnrolledCredential[], signal: AbortSignal | undefined): Promise<EnrolledCredential> {
    if (credentials.length === 0) throw new SecurityKeyError('no_credentials', 'no enrolled credential to ask for');
    if (credentials.length === 1) return credentials[0]!;
    const id = await this.probe({ rpId, credentialIds: credentials.map((c) => c.id), ...(signal ? { signal } : {}) });
    const found = id && credentials.find((c) => Buffer.from(c.id).equals(id));
    if (!found) throw new SecurityKeyError('no_credentials', 'this key holds none of the enrolled credentials');
    return found;
  }

  async #command(request: Uint8Array, options: { signal?: AbortSignal; timeoutMs?: number; onKeepalive?: (status: number) => void }): Promise<Map<number, unknown>> {
    const answer = await this.device.cbor(request, { timeoutMs: COMMAND_TIMEOUT_MS, ...options });
    return decodeResponse(answer);
  }
}

/** Opens a key found by findSecurityKeys() and reads its getInfo, so an unsuitable key fails here. */
export async function openSecurityKey(bus: HidBus, path: string, options: CtapHidDeviceOptions = {}): Promise<SecurityKey> {
  const device = await mapped(() => openCtapHidDevice(bus, path, options));
  const key = new SecurityKey(device);
  try {
    await key.info();
  } catch (err) {
    await key.close();
    throw err;
  }
  return key;
}

/** Transaction options for a command that waits for a touch: the longer timeout and the touch prompt. */
function withTouch(a: TouchOptions): { signal?: AbortSignal; timeoutMs: number; onKeepalive: (status: number) => void } {
  let prompted = false;
  return {
    ...(a.signal ? { signal: a.signal } : {}),
    timeoutMs: a.timeoutMs ?? TOUCH_TIMEOUT_MS,
    onKeepalive: (status) => {
      if (status !== KEEPALIVE_STATUS.UPNEEDED || prompted) return;
      prompted = true;
      a.onTouch?.();
    },
  };
}

function requireCapabilities(info: AuthenticatorInfo, algorithms: unknown): SecurityKeyInfo {
  if (!info.versions.some((v) => v.startsWith('FIDO_2_'))) throw new SecurityKeyError('unsupported', `not a FIDO2 key (versions ${info.versions.join(', ')})`);
  if (!info.extensions.includes(HMAC_SECRET)) throw new SecurityKeyError('unsupported', 'the key has no hmac-secret extension');
  // CTAP 2.0 keys list no algorithms; ES256 is the one they all have.
  if (Array.isArray(algorithms) && !algorithms.some((p) => p instanceof Map && p.get('alg') === -7 && p.get('type') === 'public-key')) {
    throw new SecurityKeyError('unsupported', 'the key does not offer ES256');
  }
  const protocol = info.pinUvAuthProtocols.includes(2) ? 2 : info.pinUvAuthProtocols.includes(1) ? 1 : undefined;
  if (!protocol) throw new SecurityKeyError('unsupported', 'the key offers no PIN/UV auth protocol 1 or 2');
  return { ...info, protocol };
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new SecurityKeyError('protocol', `${what} is not a byte string`);
  return v;
}

/** The credential an assertion used: key 1, or the only one asked for; it must be one we asked for. */
function credentialOf(m: Map<number, unknown>, asked: Uint8Array[]): Uint8Array {
  const descriptor = m.get(1);
  const id = descriptor instanceof Map ? descriptor.get('id') : asked.length === 1 ? asked[0] : undefined;
  if (!(id instanceof Uint8Array) || !asked.some((a) => Buffer.from(a).equals(id))) throw new SecurityKeyError('protocol', 'the key answered with a credential that was not asked for');
  return id;
}

/**
 * The registration checks: rpIdHash, presence, an attested ES256 credential
 * with hmac-secret on, and a packed attestation signature when there is one
 * (self: the credential key; basic: the first x5c certificate, chain not checked).
 */
function checkAttestation(rpId: string, clientDataHash: Uint8Array, m: Map<number, unknown>): Enrolment {
  const format = m.get(1);
  const authData = bytes(m.get(2), 'authData');
  const statement = m.get(3);
  if (typeof format !== 'string' || !(statement instanceof Map)) throw new SecurityKeyError('protocol', 'makeCredential answer lacks fmt or attStmt');
  const d = parseAuthData(authData);
  if (!Buffer.from(d.rpIdHash).equals(createHash('sha256').update(rpId).digest())) throw new SecurityKeyError('protocol', 'attestation for another rpId');
  if (!(d.flags & FLAG.UP)) throw new SecurityKeyError('protocol', 'attestation without user presence');
  if (!(d.flags & FLAG.AT) || !d.credential) throw new SecurityKeyError('protocol', 'attestation without a credential');
  if (d.extensions?.get(HMAC_SECRET) !== true) throw new SecurityKeyError('unsupported', 'the key did not turn hmac-secret on for the credential');
  let publicKey: KeyObject;
  try {
    publicKey = coseToPublicKey(d.credential.publicKey);
  } catch (cause) {
    throw new SecurityKeyError('unsupported', 'the credential key is not ES256', { cause });
  }
  const verified = verifyStatement(format, statement as Map<string, unknown>, Buffer.concat([authData, clientDataHash]), publicKey);
  return { credentialId: d.credential.id, publicKeyCose: d.credential.publicKey, publicKey, aaguid: d.credential.aaguid, signCount: d.signCount, attestation: { format, verified } };
}

function verifyStatement(format: string, statement: Map<string, unknown>, signed: Buffer, credentialKey: KeyObject): Enrolment['attestation']['verified'] {
  if (format === 'none') return 'none';
  if (format !== 'packed') return 'not_checked';
  const sig = bytes(statement.get('sig'), 'attestation signature');
  const x5c = statement.get('x5c');
  const leaf = Array.isArray(x5c) && x5c[0] instanceof Uint8Array ? new X509Certificate(x5c[0]).publicKey : undefined;
  if (!leaf && statement.get('alg') !== -7) throw new SecurityKeyError('unsupported', 'self attestation with an algorithm other than ES256');
  if (!verifySignature('sha256', signed, { key: leaf ?? credentialKey, dsaEncoding: 'der' }, sig)) throw new SecurityKeyError('protocol', 'the attestation signature does not verify');
  return leaf ? 'x5c' : 'self';
}
