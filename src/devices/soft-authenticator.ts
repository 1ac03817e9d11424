import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  hkdfSync,
  randomBytes,
  sign,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { EventEmitter } from 'node:events';
import { decode, encode } from 'cborg';
import { CTAP2, Ctap2Error, FLAG } from './ctap2.js';
import { BROADCAST_CID, CAPABILITY, CONT_DATA, CTAPHID, encodeMessage, INIT_DATA, KEEPALIVE_STATUS, MAX_MESSAGE, REPORT_SIZE } from './ctaphid.js';
import { FIDO_USAGE, FIDO_USAGE_PAGE } from './ctaphid-device.js';
import type { HidBus, HidDeviceInfo, HidHandle } from './hid.js';
import { HMAC_SECRET, newKeyAgreementKey, pinUvAuthProtocol, SALT_LENGTH, sharedSecret, verifyMac, type CoseKey, type PinUvAuthProtocolVersion } from './pin-uv-auth.js';

/**
 * A software FIDO2 security key with real cryptography, behind the same
 * HidBus/HidHandle interfaces as node-hid: the host code under test (and the
 * server's simulated-devices mode) cannot tell it from a USB key by its bytes.
 *
 * It keeps no per-credential state: a credential id is the credential's
 * private key and hmac-secret CredRandom, AES-256-GCM-wrapped under a key
 * derived from the master secret and bound to the rpIdHash. So the whole
 * persistent state is the master secret, the signature counter and the AAGUID.
 * It has no PIN and no built-in user verification: user presence only.
 */

/** What to keep across restarts. Whoever holds masterSecret can use every credential this key made. */
export interface SoftAuthenticatorState {
  masterSecret: string; // base64, 32 bytes
  counter: number;
  aaguid: string; // 32 hex digits
}

/** 'auto' touches as soon as presence is asked; 'manual' waits for touch(), sending UPNEEDED keepalives. */
export type TouchMode = 'auto' | 'manual';

export interface SoftAuthenticatorOptions {
  state?: SoftAuthenticatorState;
  touch?: TouchMode;
  /** How long a 'manual' key blinks before answering USER_ACTION_TIMEOUT. */
  userPresenceTimeoutMs?: number;
  /** The status it then answers: 0x2f (CTAP 2.0's USER_ACTION_TIMEOUT, the default) or 0x3a (2.1's ACTION_TIMEOUT, as other firmware does). */
  userPresenceTimeoutStatus?: number;
  /** getInfo's maxMsgSize (default 1200); a longer CTAP2 message is refused with REQUEST_TOO_LARGE. */
  maxMsgSize?: number;
  keepaliveMs?: number;
  /** Offered in getInfo, in order of preference; [1] imitates a CTAP 2.0 key. */
  pinUvAuthProtocols?: PinUvAuthProtocolVersion[];
  attestation?: 'none' | 'packed';
  maxCredentialCountInList?: number;
  path?: string;
  /** Called after the counter moves, so the owner can persist the state. */
  onStateChange?: (state: SoftAuthenticatorState) => void;
}

/** The AAGUID the simulator reports unless a persisted state says otherwise (an AAGUID names a model). */
export const SOFT_AAGUID = '0ca452ebd8a347e38c592107d84d0f2d';
/** pid.codes' test VID:PID, so no real vendor's id is borrowed. */
export const SOFT_VENDOR_ID = 0x1209;
export const SOFT_PRODUCT_ID = 0x0001;

const ERR = {
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  CREDENTIAL_EXCLUDED: 0x19,
  UNSUPPORTED_ALGORITHM: 0x26,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  PIN_AUTH_INVALID: 0x33,
  PIN_NOT_SET: 0x35,
  REQUEST_TOO_LARGE: 0x39,
  INVALID_SUBCOMMAND: 0x3e,
  OTHER: 0x7f,
} as const;

const HID_ERR = { INVALID_CMD: 0x01, INVALID_LEN: 0x03, INVALID_SEQ: 0x04, CHANNEL_BUSY: 0x06, INVALID_CHANNEL: 0x0b } as const;

/** A fresh identity for a simulated key. */
export function newSoftAuthenticatorState(): SoftAuthenticatorState {
  return { masterSecret: randomBytes(32).toString('base64'), counter: 0, aaguid: SOFT_AAGUID };
}

function checkState(s: SoftAuthenticatorState): SoftAuthenticatorState {
  if (Buffer.from(s.masterSecret, 'base64').length !== 32) throw new Error('soft authenticator state: masterSecret must be 32 bytes of base64');
  if (!Number.isInteger(s.counter) || s.counter < 0 || s.counter > 0xffffffff) throw new Error('soft authenticator state: counter must be a uint32');
  if (!/^[0-9a-f]{32}$/i.test(s.aaguid)) throw new Error('soft authenticator state: aaguid must be 32 hex digits');
  return { ...s };
}

// ---- credentials: wrapped, stateless ----

const WRAP_VERSION = 0x01;
const WRAPPED_LENGTH = 1 + 12 + 64 + 16;

interface Credential {
  id: Uint8Array;
  privateKey: KeyObject;
  cose: CoseKey;
  credRandom: Buffer;
}

function wrapKey(masterSecret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, Buffer.alloc(0), 'mnvault/soft-fido2/credential-wrap/v1', 32));
}

/** Rebuilds the P-256 key pair from the private scalar. */
function credentialKeys(d: Buffer): { privateKey: KeyObject; cose: CoseKey } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const [x, y] = [point.subarray(1, 33), point.subarray(33, 65)];
  const b64 = (b: Buffer) => b.toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(x), y: b64(y) }, format: 'jwk' });
  const cose = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]);
  return { privateKey, cose };
}

function newCredential(masterSecret: Buffer, rpIdHash: Buffer): Credential {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const raw = ecdh.getPrivateKey();
  const d = Buffer.concat([Buffer.alloc(32 - raw.length), raw]);
  const credRandom = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrapKey(masterSecret), iv);
  cipher.setAAD(Buffer.concat([Uint8Array.of(WRAP_VERSION), rpIdHash]));
  const sealed = Buffer.concat([cipher.update(Buffer.concat([d, credRandom])), cipher.final(), cipher.getAuthTag()]);
  const id = Buffer.concat([Uint8Array.of(WRAP_VERSION), iv, sealed]);
  return { id, credRandom, ...credentialKeys(d) };
}

/** The credential behind an id, or undefined when this key (or this rpId) did not make it. */
function openCredential(masterSecret: Buffer, rpIdHash: Buffer, id: Uint8Array): Credential | undefined {
  if (id.length !== WRAPPED_LENGTH || id[0] !== WRAP_VERSION) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', wrapKey(masterSecret), id.subarray(1, 13));
  decipher.setAAD(Buffer.concat([Uint8Array.of(WRAP_VERSION), rpIdHash]));
  decipher.setAuthTag(id.subarray(WRAPPED_LENGTH - 16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(id.subarray(13, WRAPPED_LENGTH - 16)), decipher.final()]);
  } catch {
    return undefined; // not ours: authentication failed
  }
  return { id, credRandom: plain.subarray(32), ...credentialKeys(plain.subarray(0, 32)) };
}

// ---- CTAP2 parameter reading ----

function need<T>(value: unknown, check: (v: unknown) => v is T): T {
  if (value === undefined) throw new Ctap2Error(ERR.MISSING_PARAMETER);
  if (!check(value)) throw new Ctap2Error(ERR.CBOR_UNEXPECTED_TYPE);
  return value;
}
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isText = (v: unknown): v is string => typeof v === 'string';
const isMap = (v: unknown): v is Map<unknown, unknown> => v instanceof Map;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);

function clientDataHash(v: unknown): Buffer {
  const cdh = need(v, isBytes);
  if (cdh.length !== 32) throw new Ctap2Error(ERR.INVALID_LENGTH);
  return Buffer.from(cdh);
}

/** Options: rk is never supported (no resident keys), uv never (no PIN, no biometrics). */
function presenceOption(v: unknown): boolean {
  if (v === undefined) return true;
  const options = need(v, isMap);
  if (options.get('rk') === true || options.get('uv') === true) throw new Ctap2Error(ERR.UNSUPPORTED_OPTION);
  const up = options.get('up');
  return up === undefined ? true : up === true;
}

function descriptorIds(list: unknown[]): Uint8Array[] {
  return list.map((d) => {
    if (!isMap(d) || d.get('type') !== 'public-key') throw new Ctap2Error(ERR.CBOR_UNEXPECTED_TYPE);
    return need(d.get('id'), isBytes);
  });
}

function ok(value: Map<unknown, unknown>): Uint8Array {
  const body = encode(value);
  const out = new Uint8Array(1 + body.length);
  out.set(body, 1);
  return out;
}

/** Presence is asked through this; it rejects with KEEPALIVE_CANCEL or USER_ACTION_TIMEOUT. */
type AskPresence = () => Promise<void>;

/**
 * The simulated key. `transport` is what the host opens; `touch()` is the
 * finger; `unplug()`/`plug()` the USB cable; `injectReport` and
 * `tamperNextMessage` let tests put bad frames on the wire.
 */
export class SoftAuthenticator {
  readonly transport: HidBus;
  touchMode: TouchMode;
  readonly #options: Required<Omit<SoftAuthenticatorOptions, 'state' | 'touch' | 'onStateChange'>> & Pick<SoftAuthenticatorOptions, 'onStateChange'>;
  readonly #masterSecret: Buffer;
  readonly #aaguid: Buffer;
  #counter: number;
  #keyAgreement: { ecdh: ECDH; cose: CoseKey } = newKeyAgreementKey();
  #present = true;
  readonly #handles = new Set<SoftHandle>();
  #channels = new Set<number>();
  #rx: { cid: number; cmd: number; data: Uint8Array; filled: number; seq: number } | undefined;
  #busy: { cid: number; cancel: () => void } | undefined;
  #touchWaiter: (() => void) | undefined;
  #tamper: ((reports: Uint8Array[]) => Uint8Array[]) | undefined;

  constructor(options: SoftAuthenticatorOptions = {}) {
    const state = checkState(options.state ?? newSoftAuthenticatorState());
    this.#masterSecret = Buffer.from(state.masterSecret, 'base64');
    this.#aaguid = Buffer.from(state.aaguid, 'hex');
    this.#counter = state.counter;
    this.touchMode = options.touch ?? 'auto';
    this.#options = {
      userPresenceTimeoutMs: options.userPresenceTimeoutMs ?? 30_000,
      userPresenceTimeoutStatus: options.userPresenceTimeoutStatus ?? ERR.USER_ACTION_TIMEOUT,
      maxMsgSize: options.maxMsgSize ?? 1200,
      keepaliveMs: options.keepaliveMs ?? 100,
      pinUvAuthProtocols: options.pinUvAuthProtocols ?? [2, 1],
      attestation: options.attestation ?? 'packed',
      maxCredentialCountInList: options.maxCredentialCountInList ?? 8,
      path: options.path ?? 'soft-fido2',
      onStateChange: options.onStateChange,
    };
    this.transport = this.#bus();
  }

  /** A copy of the persistent state, to save (the counter moves with every signature). */
  get state(): SoftAuthenticatorState {
    return { masterSecret: this.#masterSecret.toString('base64'), counter: this.#counter, aaguid: this.#aaguid.toString('hex') };
  }

  get present(): boolean {
    return this.#present;
  }

  /** Whether the key is blinking, waiting for a touch. */
  get waitingForTouch(): boolean {
    return this.#touchWaiter !== undefined;
  }

  /** A touch counts only while presence is being asked; returns whether it was. */
  touch(): boolean {
    const waiter = this.#touchWaiter;
    waiter?.();
    return waiter !== undefined;
  }

  /** Pulls the cable: pending work stops unanswered, every open handle gets 'error'. */
  unplug(): void {
    if (!this.#present) return;
    this.#present = false;
    this.#busy?.cancel();
    this.#busy = undefined;
    this.#rx = undefined;
    this.#channels = new Set();
    for (const h of this.#handles) h.lose();
    this.#handles.clear();
  }

  /** Plugs it back: a power-up, so channels and the key-agreement key are new; the state is kept. */
  plug(): void {
    if (this.#present) return;
    this.#keyAgreement = newKeyAgreementKey();
    this.#present = true;
  }

  /** Sends a raw 64-byte report to the host, as if the device had. */
  injectReport(report: Uint8Array): void {
    this.#emitReports([report]);
  }

  /** Passes the reports of the next answer (not keepalives) through `edit` before they go out. */
  tamperNextMessage(edit: (reports: Uint8Array[]) => Uint8Array[]): void {
    this.#tamper = edit;
  }

  #bus(): HidBus {
    const info = (): HidDeviceInfo[] =>
      this.#present
        ? [{ path: this.#options.path, vendorId: SOFT_VENDOR_ID, productId: SOFT_PRODUCT_ID, product: 'mnvault simulated FIDO2 key', usagePage: FIDO_USAGE_PAGE, usage: FIDO_USAGE }]
        : [];
    return {
      list: async () => info(),
      find: async (vendorId, productId) => info().filter((d) => d.vendorId === vendorId && d.productId === productId),
      open: async (path) => {
        if (!this.#present || path !== this.#options.path) throw new Error(`could not open HID device ${path}`);
        const handle = new SoftHandle((report) => this.#receive(report), (h) => this.#handles.delete(h));
        this.#handles.add(handle);
        return handle;
      },
    };
  }

  // ---- CTAPHID, device side ----

  #emitReports(reports: Uint8Array[]): void {
    for (const r of reports) setImmediate(() => this.#present && this.#handles.forEach((h) => h.emit('data', Buffer.from(r))));
  }

  #send(cid: number, cmd: number, payload: Uint8Array): void {
    let reports = encodeMessage(cid, cmd, payload);
    if (this.#tamper && cmd !== CTAPHID.KEEPALIVE) {
      reports = this.#tamper(reports);
      this.#tamper = undefined;
    }
    this.#emitReports(reports);
  }

  #error(cid: number, code: number): void {
    this.#send(cid, CTAPHID.ERROR, Uint8Array.of(code));
  }

  /** One 64-byte output report from the host. */
  #receive(report: Uint8Array): void {
    const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
    const cid = view.getUint32(0);
    const b4 = report[4]!;
    if (!(b4 & 0x80)) return this.#continuation(cid, b4, report);
    const cmd = b4 & 0x7f;
    const length = view.getUint16(5);
    if (this.#rx && this.#rx.cid !== cid) return this.#error(cid, HID_ERR.CHANNEL_BUSY);
    this.#rx = undefined;
    if (cid === 0 || (cid === BROADCAST_CID ? cmd !== CTAPHID.INIT : !this.#channels.has(cid))) return this.#error(cid, HID_ERR.INVALID_CHANNEL);
    if (length > MAX_MESSAGE) return this.#error(cid, HID_ERR.INVALID_LEN);
    const data = new Uint8Array(length);
    const take = Math.min(length, INIT_DATA);
    data.set(report.subarray(7, 7 + take));
    if (take === length) return this.#dispatch(cid, cmd, data);
    this.#rx = { cid, cmd, data, filled: take, seq: 0 };
  }

  #continuation(cid: number, seq: number, report: Uint8Array): void {
    const rx = this.#rx;
    if (!rx || rx.cid !== cid) return; // spurious continuation: ignored
    if (seq !== rx.seq) {
      this.#rx = undefined;
      return this.#error(cid, HID_ERR.INVALID_SEQ);
    }
    rx.seq++;
    const take = Math.min(rx.data.length - rx.filled, CONT_DATA);
    rx.data.set(report.subarray(5, 5 + take), rx.filled);
    rx.filled += take;
    if (rx.filled < rx.data.length) return;
    this.#rx = undefined;
    this.#dispatch(cid, rx.cmd, rx.data);
  }

  #dispatch(cid: number, cmd: number, payload: Uint8Array): void {
    if (cmd === CTAPHID.INIT) return this.#init(cid, payload);
    if (cmd === CTAPHID.CANCEL) {
      if (this.#busy?.cid === cid) this.#busy.cancel();
      return; // CANCEL itself is never answered
    }
    if (this.#busy) return this.#error(cid, HID_ERR.CHANNEL_BUSY);
    if (cmd === CTAPHID.PING) return this.#send(cid, cmd, payload);
    if (cmd === CTAPHID.WINK) return this.#send(cid, cmd, new Uint8Array(0));
    if (cmd !== CTAPHID.CBOR) return this.#error(cid, HID_ERR.INVALID_CMD);
    if (payload.length === 0) return this.#error(cid, HID_ERR.INVALID_LEN);
    this.#runCbor(cid, payload);
  }

  #init(cid: number, nonce: Uint8Array): void {
    if (nonce.length !== 8) return this.#error(cid, HID_ERR.INVALID_LEN);
    if (this.#busy?.cid === cid) {
      this.#busy.cancel(); // resynchronising a channel abandons its request, unanswered
      this.#busy = undefined;
    }
    let channel = cid;
    if (cid === BROADCAST_CID) {
      do channel = randomBytes(4).readUInt32BE(0);
      while (channel === 0 || channel === BROADCAST_CID || this.#channels.has(channel));
      this.#channels.add(channel);
    }
    const answer = new Uint8Array(17);
    answer.set(nonce);
    new DataView(answer.buffer).setUint32(8, channel);
    answer.set([2, 1, 0, 0, CAPABILITY.WINK | CAPABILITY.CBOR | CAPABILITY.NMSG], 12);
    this.#send(cid, CTAPHID.INIT, answer);
  }

  #runCbor(cid: number, payload: Uint8Array): void {
    let cancelled = false;
    let stopWaiting: ((status: number) => void) | undefined;
    const busy = {
      cid,
      cancel: () => {
        cancelled = true;
        stopWaiting?.(ERR.KEEPALIVE_CANCEL);
      },
    };
    this.#busy = busy;
    const askPresence: AskPresence = () => {
      if (cancelled) return Promise.reject(new Ctap2Error(ERR.KEEPALIVE_CANCEL));
      if (this.touchMode === 'auto') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const keepalive = setInterval(() => this.#send(cid, CTAPHID.KEEPALIVE, Uint8Array.of(KEEPALIVE_STATUS.UPNEEDED)), this.#options.keepaliveMs);
        const timeout = setTimeout(() => stopWaiting?.(this.#options.userPresenceTimeoutStatus), this.#options.userPresenceTimeoutMs);
        const finish = () => {
          clearInterval(keepalive);
          clearTimeout(timeout);
          this.#touchWaiter = undefined;
          stopWaiting = undefined;
        };
        this.#touchWaiter = () => (finish(), resolve());
        stopWaiting = (status) => (finish(), reject(new Ctap2Error(status)));
        this.#send(cid, CTAPHID.KEEPALIVE, Uint8Array.of(KEEPALIVE_STATUS.UPNEEDED));
      });
    };
    void this.#ctap2(payload, askPresence).then((answer) => {
      if (this.#busy !== busy) return; // unplugged or resynchronised meanwhile: nobody to answer
      this.#busy = undefined;
      this.#send(cid, CTAPHID.CBOR, answer);
    });
  }

  // ---- CTAP2, authenticator side ----

  /** Answers one CTAP2 command: status ‖ CBOR; never throws. */
  async #ctap2(payload: Uint8Array, askPresence: AskPresence): Promise<Uint8Array> {
    if (payload.length > this.#options.maxMsgSize) return Uint8Array.of(ERR.REQUEST_TOO_LARGE);
    try {
      const params = decodeParams(payload.subarray(1));
      switch (payload[0]) {
        case CTAP2.GET_INFO:
          return ok(this.#getInfo());
        case CTAP2.CLIENT_PIN:
          return ok(this.#clientPin(params));
        case CTAP2.MAKE_CREDENTIAL:
          return ok(await this.#makeCredential(params, askPresence));
        case CTAP2.GET_ASSERTION:
          return ok(await this.#getAssertion(params, askPresence));
        default:
          return Uint8Array.of(ERR.INVALID_COMMAND);
      }
    } catch (err) {
      return Uint8Array.of(err instanceof Ctap2Error ? err.status : ERR.OTHER);
    }
  }

  #getInfo(): Map<unknown, unknown> {
    return new Map<number, unknown>([
      [1, ['FIDO_2_0', 'FIDO_2_1']],
      [2, [HMAC_SECRET]],
      [3, this.#aaguid],
      [4, new Map([['rk', false], ['up', true], ['plat', false]])],
      [5, this.#options.maxMsgSize],
      [6, this.#options.pinUvAuthProtocols],
      [7, this.#options.maxCredentialCountInList],
      [8, WRAPPED_LENGTH],
    ]);
  }

  #protocol(v: unknown) {
    const version = need(v, isInt);
    if (!(this.#options.pinUvAuthProtocols as number[]).includes(version)) throw new Ctap2Error(ERR.INVALID_PARAMETER);
    return pinUvAuthProtocol(version);
  }

  /** Only getKeyAgreement: this key has no PIN to give tokens for. */
  #clientPin(params: Map<number, unknown>): Map<unknown, unknown> {
    this.#protocol(params.get(1));
    const sub = need(params.get(2), isInt);
    if (sub === 0x02) return new Map([[1, this.#keyAgreement.cose]]);
    if (sub === 0x01 || sub === 0x05 || sub === 0x09) throw new Ctap2Error(ERR.PIN_NOT_SET);
    throw new Ctap2Error(ERR.INVALID_SUBCOMMAND);
  }

  #signCount(): number {
    this.#counter = (this.#counter + 1) >>> 0;
    this.#options.onStateChange?.(this.state);
    return this.#counter;
  }

  async #makeCredential(params: Map<number, unknown>, askPresence: AskPresence): Promise<Map<unknown, unknown>> {
    const cdh = clientDataHash(params.get(1));
    const rpId = need(need(params.get(2), isMap).get('id'), isText);
    need(need(params.get(3), isMap).get('id'), isBytes);
    const algs = need(params.get(4), isArray);
    if (!algs.some((p) => isMap(p) && p.get('type') === 'public-key' && p.get('alg') === -7)) throw new Ctap2Error(ERR.UNSUPPORTED_ALGORITHM);
    const extensions = params.get(6) === undefined ? new Map() : need(params.get(6), isMap);
    if (!presenceOption(params.get(7))) throw new Ctap2Error(ERR.INVALID_OPTION);
    if (params.get(8) !== undefined) throw new Ctap2Error(ERR.PIN_NOT_SET);
    const rpIdHash = createHash('sha256').update(rpId).digest();
    const exclude = params.get(5) === undefined ? [] : descriptorIds(need(params.get(5), isArray));
    if (exclude.some((id) => openCredential(this.#masterSecret, rpIdHash, id))) {
      await askPresence();
      throw new Ctap2Error(ERR.CREDENTIAL_EXCLUDED);
    }
    await askPresence();
    const credential = newCredential(this.#masterSecret, rpIdHash);
    const hmacSecret = extensions.get(HMAC_SECRET) === true;
    const attested = Buffer.concat([this.#aaguid, u16(credential.id.length), credential.id, encode(credential.cose)]);
    const ext = hmacSecret ? encode(new Map([[HMAC_SECRET, true]])) : new Uint8Array(0);
    const authData = Buffer.concat([rpIdHash, Uint8Array.of(FLAG.UP | FLAG.AT | (hmacSecret ? FLAG.ED : 0)), u32(this.#signCount()), attested, ext]);
    if (this.#options.attestation === 'none') return new Map<number, unknown>([[1, 'none'], [2, authData], [3, new Map()]]);
    const sig = sign('sha256', Buffer.concat([authData, cdh]), credential.privateKey);
    return new Map<number, unknown>([[1, 'packed'], [2, authData], [3, new Map<string, unknown>([['alg', -7], ['sig', sig]])]]);
  }

  async #getAssertion(params: Map<number, unknown>, askPresence: AskPresence): Promise<Map<unknown, unknown>> {
    const rpId = need(params.get(1), isText);
    const cdh = clientDataHash(params.get(2));
    const allow = params.get(3) === undefined ? [] : descriptorIds(need(params.get(3), isArray));
    if (allow.length > this.#options.maxCredentialCountInList) throw new Ctap2Error(ERR.LIMIT_EXCEEDED);
    const up = presenceOption(params.get(5));
    if (params.get(6) !== undefined) throw new Ctap2Error(ERR.PIN_NOT_SET);
    const rpIdHash = createHash('sha256').update(rpId).digest();
    const credential = allow.map((id) => openCredential(this.#masterSecret, rpIdHash, id)).find((c) => c !== undefined);
    if (!credential) throw new Ctap2Error(ERR.NO_CREDENTIALS);
    const extensions = params.get(4) === undefined ? new Map() : need(params.get(4), isMap);
    const hmacInput = extensions.get(HMAC_SECRET);
    const hmacOutput = hmacInput === undefined ? undefined : this.#hmacSecret(need(hmacInput, isMap), credential.credRandom);
    if (up) await askPresence();
    const ext = hmacOutput ? encode(new Map([[HMAC_SECRET, hmacOutput]])) : new Uint8Array(0);
    const flags = (up ? FLAG.UP : 0) | (hmacOutput ? FLAG.ED : 0);
    const authData = Buffer.concat([rpIdHash, Uint8Array.of(flags), u32(this.#signCount()), ext]);
    const signature = sign('sha256', Buffer.concat([authData, cdh]), credential.privateKey);
    return new Map<number, unknown>([[1, new Map<string, unknown>([['id', credential.id], ['type', 'public-key']])], [2, authData], [3, signature]]);
  }

  /** hmac-secret: checks saltAuth, then encrypts HMAC-SHA-256(CredRandom, salt) for each salt. */
  #hmacSecret(input: Map<unknown, unknown>, credRandom: Buffer): Buffer {
    const protocol = this.#protocol(input.get(4) ?? 1);
    const saltEnc = need(input.get(2), isBytes);
    const saltAuth = need(input.get(3), isBytes);
    let shared: Buffer;
    try {
      shared = sharedSecret(protocol, this.#keyAgreement.ecdh, need(input.get(1), isMap));
    } catch {
      throw new Ctap2Error(ERR.INVALID_PARAMETER);
    }
    if (!verifyMac(protocol, shared, saltEnc, saltAuth)) throw new Ctap2Error(ERR.PIN_AUTH_INVALID);
    const overhead = protocol.version === 2 ? 16 : 0;
    if (saltEnc.length !== SALT_LENGTH + overhead && saltEnc.length !== 2 * SALT_LENGTH + overhead) throw new Ctap2Error(ERR.INVALID_LENGTH);
    const salts = protocol.decrypt(shared, saltEnc);
    const outputs = [];
    for (let i = 0; i < salts.length; i += SALT_LENGTH) outputs.push(createHmac('sha256', credRandom).update(salts.subarray(i, i + SALT_LENGTH)).digest());
    return protocol.encrypt(shared, Buffer.concat(outputs));
  }
}

function decodeParams(body: Uint8Array): Map<number, unknown> {
  if (body.length === 0) return new Map();
  let value: unknown;
  try {
    value = decode(body, { useMaps: true });
  } catch {
    throw new Ctap2Error(ERR.INVALID_CBOR);
  }
  if (!(value instanceof Map)) throw new Ctap2Error(ERR.CBOR_UNEXPECTED_TYPE);
  return value as Map<number, unknown>;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** An opened simulated device: takes 65-byte writes (report id 0x00 first), emits 64-byte reports. */
class SoftHandle extends EventEmitter implements HidHandle {
  #open = true;

  constructor(
    private readonly receive: (report: Uint8Array) => void,
    private readonly forget: (h: SoftHandle) => void,
  ) {
    super();
  }

  async write(data: Buffer | number[]): Promise<number> {
    if (!this.#open) throw new Error('Cannot write to hid device');
    const bytes = Uint8Array.from(data);
    if (bytes.length !== REPORT_SIZE + 1 || bytes[0] !== 0x00) throw new Error(`expected report id 0x00 and ${REPORT_SIZE} bytes, got ${bytes.length} bytes`);
    this.receive(bytes.subarray(1));
    return bytes.length;
  }

  async close(): Promise<void> {
    this.#open = false;
    this.forget(this);
  }

  /** The cable was pulled: node-hid reports it as a read error. */
  lose(): void {
    this.#open = false;
    if (this.listenerCount('error') > 0) this.emit('error', new Error('could not read from HID device'));
  }
}
