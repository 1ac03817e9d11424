import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { decode, decodeFirst as cborDecodeFirst, encode } from 'cborg';

/**
 * CTAP2 messages (inside CTAPHID_CBOR) as pure code: request maps with
 * integer keys in canonical CBOR, responses decoded to Maps, authenticatorData
 * parsed, and ES256 assertions verified. The transport is elsewhere.
 */
export const CTAP2 = { MAKE_CREDENTIAL: 0x01, GET_ASSERTION: 0x02, GET_INFO: 0x04, CLIENT_PIN: 0x06 } as const;

export const CTAP2_STATUS_NAME: Record<number, string> = {
  0x00: 'SUCCESS',
  0x01: 'INVALID_COMMAND',
  0x02: 'INVALID_PARAMETER',
  0x03: 'INVALID_LENGTH',
  0x11: 'CBOR_UNEXPECTED_TYPE',
  0x12: 'INVALID_CBOR',
  0x14: 'MISSING_PARAMETER',
  0x15: 'LIMIT_EXCEEDED',
  0x16: 'UNSUPPORTED_EXTENSION',
  0x19: 'CREDENTIAL_EXCLUDED',
  0x22: 'INVALID_CREDENTIAL',
  0x26: 'UNSUPPORTED_ALGORITHM',
  0x27: 'OPERATION_DENIED',
  0x2b: 'UNSUPPORTED_OPTION',
  0x2c: 'INVALID_OPTION',
  0x2d: 'KEEPALIVE_CANCEL',
  0x2e: 'NO_CREDENTIALS',
  0x2f: 'USER_ACTION_TIMEOUT',
  0x30: 'NOT_ALLOWED',
  0x31: 'PIN_INVALID',
  0x32: 'PIN_BLOCKED',
  0x33: 'PIN_AUTH_INVALID',
  0x34: 'PIN_AUTH_BLOCKED',
  0x35: 'PIN_NOT_SET',
  0x36: 'PIN_REQUIRED',
  0x37: 'PIN_POLICY_VIOLATION',
  0x38: 'PIN_TOKEN_EXPIRED',
  0x39: 'REQUEST_TOO_LARGE',
  // CTAP 2.1's name for the user-action timeout; some firmware calls it USER_ACTION_TIMEOUT (the 2.0 code is 0x2f).
  0x3a: 'ACTION_TIMEOUT',
  0x3b: 'UP_REQUIRED',
  0x3c: 'UV_BLOCKED',
  0x3d: 'INTEGRITY_FAILURE',
  0x3e: 'INVALID_SUBCOMMAND',
  0x3f: 'UV_INVALID',
  0x40: 'UNAUTHORIZED_PERMISSION',
  0x7f: 'OTHER',
};

export class Ctap2Error extends Error {
  constructor(readonly status: number) {
    super(`CTAP2 error 0x${status.toString(16).padStart(2, '0')} ${CTAP2_STATUS_NAME[status] ?? ''}`.trim());
    this.name = 'Ctap2Error';
  }
}

/** The CTAPHID_CBOR payload: command byte ‖ canonical CBOR map (absent entries left out). */
export function encodeRequest(command: number, params: Map<number, unknown> = new Map()): Uint8Array {
  const present = new Map([...params].filter(([, v]) => v !== undefined && v !== null));
  if (present.size === 0) return Uint8Array.of(command);
  const body = encode(present);
  const out = new Uint8Array(1 + body.length);
  out[0] = command;
  out.set(body, 1);
  return out;
}

/** Status byte first; a non-zero status throws Ctap2Error. */
export function decodeResponse(payload: Uint8Array): Map<number, unknown> {
  if (payload.length === 0) throw new Ctap2Error(0x12);
  if (payload[0] !== 0) throw new Ctap2Error(payload[0]!);
  if (payload.length === 1) return new Map();
  const value: unknown = decode(payload.subarray(1), { useMaps: true });
  if (!(value instanceof Map)) throw new Ctap2Error(0x11);
  return value as Map<number, unknown>;
}

export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize: number | undefined;
  pinUvAuthProtocols: number[];
  /** How many credentials an allowList may hold; longer lists must be split. */
  maxCredentialCountInList: number | undefined;
  maxCredentialIdLength: number | undefined;
}

export function parseGetInfo(m: Map<number, unknown>): AuthenticatorInfo {
  const options = m.get(4) instanceof Map ? Object.fromEntries(m.get(4) as Map<string, boolean>) : {};
  return {
    versions: (m.get(1) as string[] | undefined) ?? [],
    extensions: (m.get(2) as string[] | undefined) ?? [],
    aaguid: (m.get(3) as Uint8Array | undefined) ?? new Uint8Array(16),
    options,
    maxMsgSize: m.get(5) as number | undefined,
    pinUvAuthProtocols: (m.get(6) as number[] | undefined) ?? [],
    maxCredentialCountInList: m.get(7) as number | undefined,
    maxCredentialIdLength: m.get(8) as number | undefined,
  };
}

/** makeCredential for the appliance: ES256, the hmac-secret extension, user presence. */
export function makeCredentialRequest(a: { clientDataHash: Uint8Array; rpId: string; rpName: string; userId: Uint8Array; userName: string; pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number }): Uint8Array {
  return encodeRequest(
    CTAP2.MAKE_CREDENTIAL,
    new Map<number, unknown>([
      [1, a.clientDataHash],
      [2, new Map([['id', a.rpId], ['name', a.rpName]])],
      [3, new Map<string, unknown>([['id', a.userId], ['name', a.userName], ['displayName', a.userName]])],
      [4, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]],
      [6, new Map([['hmac-secret', true]])],
      [8, a.pinUvAuthParam],
      [9, a.pinUvAuthProtocol],
    ]),
  );
}

/**
 * getAssertion over the enrolled credentials; extensions carry the hmac-secret
 * input when a slot is opened. `up: false` asks silently (no touch), to learn
 * which enrolled credential a key holds.
 */
export function getAssertionRequest(a: { rpId: string; clientDataHash: Uint8Array; credentialIds: Uint8Array[]; extensions?: Map<string, unknown>; up?: boolean; pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number }): Uint8Array {
  return encodeRequest(
    CTAP2.GET_ASSERTION,
    new Map<number, unknown>([
      [1, a.rpId],
      [2, a.clientDataHash],
      [3, a.credentialIds.map((id) => new Map<string, unknown>([['id', id], ['type', 'public-key']]))],
      [4, a.extensions],
      [5, new Map([['up', a.up ?? true]])],
      [6, a.pinUvAuthParam],
      [7, a.pinUvAuthProtocol],
    ]),
  );
}

export const CLIENT_PIN = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

/** pinUvAuthToken permissions (CTAP 2.1). */
export const PERMISSION = { MAKE_CREDENTIAL: 0x01, GET_ASSERTION: 0x02 } as const;

/** authenticatorClientPIN: 1 protocol, 2 subCommand, 3 keyAgreement, 6 pinHashEnc, 9 permissions, 10 rpId. */
export function clientPinRequest(a: { protocol: number; subCommand: number; keyAgreement?: Map<number, unknown>; pinHashEnc?: Uint8Array; permissions?: number; rpId?: string }): Uint8Array {
  return encodeRequest(
    CTAP2.CLIENT_PIN,
    new Map<number, unknown>([
      [1, a.protocol],
      [2, a.subCommand],
      [3, a.keyAgreement],
      [6, a.pinHashEnc],
      [9, a.permissions],
      [10, a.rpId],
    ]),
  );
}

export function getKeyAgreementRequest(protocol: number): Uint8Array {
  return clientPinRequest({ protocol, subCommand: CLIENT_PIN.GET_KEY_AGREEMENT });
}

/** A pinUvAuthToken for the given permissions and rpId (CTAP 2.1); CTAP 2.0 keys take getPinToken instead. */
export function getPinUvAuthTokenRequest(a: { protocol: number; keyAgreement: Map<number, unknown>; pinHashEnc: Uint8Array; permissions: number; rpId: string }): Uint8Array {
  return clientPinRequest({ ...a, subCommand: CLIENT_PIN.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS });
}

/** The legacy CTAP 2.0 token request: no permissions, no rpId. */
export function getPinTokenRequest(a: { protocol: number; keyAgreement: Map<number, unknown>; pinHashEnc: Uint8Array }): Uint8Array {
  return clientPinRequest({ ...a, subCommand: CLIENT_PIN.GET_PIN_TOKEN });
}

/** clientPIN answers: 1 keyAgreement (COSE), 2 encrypted pinUvAuthToken, 3 pinRetries. */
export function parseClientPinResponse(m: Map<number, unknown>): { keyAgreement?: Map<number, unknown>; pinUvAuthTokenEnc?: Uint8Array; pinRetries?: number } {
  const keyAgreement = m.get(1);
  const token = m.get(2);
  const retries = m.get(3);
  return {
    ...(keyAgreement instanceof Map ? { keyAgreement: keyAgreement as Map<number, unknown> } : {}),
    ...(token instanceof Uint8Array ? { pinUvAuthTokenEnc: token } : {}),
    ...(typeof retries === 'number' ? { pinRetries: retries } : {}),
  };
}

export const FLAG = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  credential?: { aaguid: Uint8Array; id: Uint8Array; publicKey: Map<number, unknown> };
  extensions?: Map<string, unknown>;
}

/** Parses authenticatorData: rpIdHash, flags, counter, then attested credential and extensions if flagged. */
export function parseAuthData(data: Uint8Array): AuthenticatorData {
  if (data.length < 37) throw new Error('authenticatorData shorter than 37 bytes');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: AuthenticatorData = { rpIdHash: data.subarray(0, 32), flags: data[32]!, signCount: view.getUint32(33) };
  let rest = data.subarray(37);
  if (out.flags & FLAG.AT) {
    if (rest.length < 18) throw new Error('attested credential data truncated');
    const idLength = (rest[16]! << 8) | rest[17]!;
    const id = rest.subarray(18, 18 + idLength);
    const [key, remainder] = decodeFirst(rest.subarray(18 + idLength));
    if (!(key instanceof Map)) throw new Error('credential public key is not a COSE map');
    out.credential = { aaguid: rest.subarray(0, 16), id, publicKey: key as Map<number, unknown> };
    rest = remainder;
  }
  if (out.flags & FLAG.ED) {
    const [ext, remainder] = decodeFirst(rest);
    if (!(ext instanceof Map)) throw new Error('extensions are not a map');
    out.extensions = ext as Map<string, unknown>;
    rest = remainder;
  }
  if (rest.length !== 0) throw new Error('trailing bytes after authenticatorData');
  return out;
}

/** Decodes one CBOR item from the front of bytes; returns it and what follows. */
function decodeFirst(bytes: Uint8Array): [unknown, Uint8Array] {
  return cborDecodeFirst(bytes, { useMaps: true });
}

/** A COSE ES256 key (kty EC2, alg -7, crv P-256) as a Node public key. */
export function coseToPublicKey(cose: Map<number, unknown>): KeyObject {
  if (cose.get(1) !== 2 || cose.get(3) !== -7 || cose.get(-1) !== 1) throw new Error('not an ES256 P-256 COSE key');
  const x = cose.get(-2) as Uint8Array;
  const y = cose.get(-3) as Uint8Array;
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(x).toString('base64url'), y: Buffer.from(y).toString('base64url') }, format: 'jwk' });
}

export type AssertionProblem = 'rp_id' | 'user_presence' | 'counter' | 'signature';

/**
 * The relying party's checks on an assertion: rpIdHash is SHA-256 of our rpId,
 * user presence is flagged, the counter moved forward (when either is non-zero),
 * and the ES256 signature over authData ‖ clientDataHash verifies.
 */
export function checkAssertion(a: { rpId: string; authData: Uint8Array; clientDataHash: Uint8Array; signature: Uint8Array; publicKey: KeyObject; storedCounter: number }): { ok: true; signCount: number } | { ok: false; problem: AssertionProblem } {
  const d = parseAuthData(a.authData);
  if (!Buffer.from(d.rpIdHash).equals(createHash('sha256').update(a.rpId).digest())) return { ok: false, problem: 'rp_id' };
  if (!(d.flags & FLAG.UP)) return { ok: false, problem: 'user_presence' };
  if ((d.signCount !== 0 || a.storedCounter !== 0) && d.signCount <= a.storedCounter) return { ok: false, problem: 'counter' };
  const ok = verifySignature('sha256', Buffer.concat([a.authData, a.clientDataHash]), { key: a.publicKey, dsaEncoding: 'der' }, a.signature);
  return ok ? { ok: true, signCount: d.signCount } : { ok: false, problem: 'signature' };
}

/**
 * The client-data hash an assertion signs for a gate request: SHA-256 of a
 * canonical record of what is approved, so the signature commits to this one
 * request (its id and creation time, which no other request shares, then its
 * code, action, persons, purpose and operator) and can be checked offline
 * from the audit event later, where all of these are recorded.
 */
export function requestCommitment(r: { requestId: number; createdAt: string; code: string; action: string; personIds: readonly number[]; purpose: string; operatorId: string }): Buffer {
  const record = JSON.stringify(['mnvault/gate/v2', r.requestId, r.createdAt, r.code, r.action, [...r.personIds].sort((a, b) => a - b), r.purpose, r.operatorId]);
  return createHash('sha256').update(record).digest();
}
