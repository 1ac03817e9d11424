import { createECDH, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { decode, encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { CTAP2 } from '../../src/devices/ctap2.js';
import { CAPABILITY, CTAPHID, KEEPALIVE_STATUS, MAX_MESSAGE, MessageAssembler } from '../../src/devices/ctaphid.js';
import { CtapHidDevice } from '../../src/devices/ctaphid-device.js';
import type { HidHandle } from '../../src/devices/hid.js';
import { ecdhCoseKey } from '../../src/devices/pin-uv-auth.js';
import { SecurityKey, SecurityKeyError, toSecurityKeyError, type EnrolledCredential } from '../../src/devices/security-key.js';
import { packagePath } from '../../src/paths.js';
import { fixedRandom, readTranscript, ReplayHandle, ScriptedHandle, type DeviceScript, type Line } from '../helpers/ctaphid-transcript.js';

/**
 * Transcripts of a key written by others, as its firmware answers (CTAP 2.1
 * status codes, CTAPHID framing), replayed through the same adapter and
 * codecs a USB key feeds. The host side is the appliance's own requests with
 * its randomness fixed, so each write must match the transcript exactly.
 */

const RP = 'mnvault.appliance';
const dir = (name: string) => packagePath('device', 'transcripts', name);
const TIMEOUT = dir('security-key-action-timeout.hex');
const PROBE = dir('security-key-probe-max-msg-size.hex');
const OVERSIZE = dir('security-key-oversize-answer.hex');
const OVERSIZE_CID = 0x4a7c0014;

/** The other firmware's getInfo: CTAP 2.0/2.1-pre, protocol 1 only, maxMsgSize 1200, up to 20 credentials in a list. */
const FOREIGN_INFO = new Map<number, unknown>([
  [1, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE']],
  [2, ['credProtect', 'hmac-secret']],
  [3, new Uint8Array(16)],
  [4, new Map<string, boolean>([['rk', true], ['up', true], ['plat', false], ['clientPin', false]])],
  [5, 1200],
  [6, [1]],
  [7, 20],
  [8, 128],
]);
const FOREIGN_INIT = { version: [1, 2, 0] as [number, number, number], capabilities: CAPABILITY.WINK | CAPABILITY.CBOR };

/** Fourteen 72-byte credential ids, as the other firmware makes them (their content does not matter to the host). */
const CREDENTIAL_IDS = Array.from({ length: 14 }, (_, i) => createHash('shake256', { outputLength: 72 }).update(`transcript credential ${i}`).digest());
const HELD = CREDENTIAL_IDS[13]!;

const cbor = (status: number, body?: Map<unknown, unknown>) => ({ cmd: CTAPHID.CBOR, payload: body ? Uint8Array.from([status, ...encode(body)]) : Uint8Array.of(status) });
const keepalive = (status: number) => ({ cmd: CTAPHID.KEEPALIVE, payload: Uint8Array.of(status) });

/** The request's CBOR map, as the device reads it. */
const params = (payload: Uint8Array) => decode(payload.subarray(1), { useMaps: true }) as Map<number, unknown>;

/** An untouched key: it blinks (UPNEEDED keepalives, every 100 ms for about 29 s; the first few kept here), then gives up with 0x3A. */
const timeoutScript: DeviceScript = (m) => {
  if (m.payload[0] === CTAP2.GET_INFO) return [cbor(0, FOREIGN_INFO)];
  if (m.payload[0] === CTAP2.CLIENT_PIN) {
    const device = createECDH('prime256v1');
    device.setPrivateKey(createHash('sha256').update('transcript device key agreement').digest());
    return [cbor(0, new Map([[1, ecdhCoseKey(device.getPublicKey())]]))];
  }
  return [...Array.from({ length: 4 }, () => keepalive(KEEPALIVE_STATUS.UPNEEDED)), cbor(0x3a)];
};

/** Silent probes: NO_CREDENTIALS for a list without the held credential, an assertion (UP clear) for the one with it. */
const probeScript: DeviceScript = (m) => {
  if (m.payload[0] === CTAP2.GET_INFO) return [cbor(0, FOREIGN_INFO)];
  if (m.payload.length > 1200) return [cbor(0x39)];
  const p = params(m.payload);
  const ids = (p.get(3) as Map<string, Uint8Array>[]).map((d) => Buffer.from(d.get('id')!));
  if (!ids.some((id) => id.equals(HELD))) return [cbor(0x2e)];
  const authData = Buffer.concat([createHash('sha256').update(RP).digest(), Uint8Array.of(0x00), Uint8Array.of(0, 0, 0, 0x17)]);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signature = sign('sha256', Buffer.concat([authData, p.get(2) as Uint8Array]), privateKey);
  return [cbor(0, new Map<number, unknown>([[1, new Map<string, unknown>([['id', HELD], ['type', 'public-key']])], [2, authData], [3, signature]]))];
};

/** A key whose first getInfo answer announces 7610 bytes, one more than CTAPHID can carry; it answers the next one correctly. */
function oversizeScript(): DeviceScript {
  let asked = 0;
  return (m) => {
    if (m.cmd === CTAPHID.CANCEL) return []; // nothing pending on the key's side: no answer
    if (asked++ > 0) return [cbor(0, FOREIGN_INFO)];
    const report = new Uint8Array(64);
    new DataView(report.buffer).setUint32(0, OVERSIZE_CID);
    report[4] = 0x80 | CTAPHID.CBOR;
    new DataView(report.buffer).setUint16(5, MAX_MESSAGE + 1);
    return [{ report }];
  };
}

/** A credential as the vault stores it; its key and salt are fixed so the host's requests are the same each run. */
function storedCredential(): EnrolledCredential {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { id: CREDENTIAL_IDS[0]!, publicKey, signCount: 0, salt: createHash('sha256').update('transcript slot salt').digest() };
}
const CLIENT_DATA_HASH = createHash('sha256').update('transcript request 1').digest();

async function connect(handle: HidHandle, label: string): Promise<SecurityKey> {
  const device = await CtapHidDevice.open(handle, { random: fixedRandom(`${label}/nonce`), cancelGraceMs: 50 });
  return new SecurityKey(device, { random: fixedRandom(`${label}/host`) });
}

async function failure(p: Promise<unknown>): Promise<SecurityKeyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecurityKeyError);
  return err as SecurityKeyError;
}

/** The host's CTAPHID messages in a transcript, reassembled. */
function hostMessages(lines: Line[]): { cmd: number; payload: Uint8Array }[] {
  const out: { cmd: number; payload: Uint8Array }[] = [];
  const assemblers = new Map<number, MessageAssembler>();
  for (const l of lines.filter((x) => x.dir === '>')) {
    const cid = l.report.readUInt32BE(0);
    if (!assemblers.has(cid)) assemblers.set(cid, new MessageAssembler(cid));
    const m = assemblers.get(cid)!.push(l.report);
    if (m) out.push(m);
  }
  return out;
}

function header(lines: string[]): string[] {
  return [
    ...lines.map((l) => `# ${l}`),
    '# Written from the CTAP 2.1 status codes and CTAPHID framing (test/devices/security-key-transcripts.test.ts),',
    '# not captured: the device side as that firmware answers; the host side is this appliance with its randomness fixed.',
    "# '>' host to device (written with a 0x00 report id in front), '<' device to host; 64 bytes each.",
  ];
}

describe('security key transcripts: writing them', () => {
  it.runIf(process.env.MNVAULT_RECORD_TRANSCRIPTS === '1')('writes the action-timeout and the maxMsgSize probe transcripts', async () => {
    const timeout: string[] = [];
    const key = await connect(new ScriptedHandle(0x4a7c0012, FOREIGN_INIT, timeoutScript, timeout), 'action-timeout');
    await failure(key.assert({ rpId: RP, credentials: [storedCredential()], clientDataHash: CLIENT_DATA_HASH }));
    const timeoutHeader = header([
      'A key with another firmware (CTAP 2.0 / 2.1-pre, PIN/UV auth protocol 1, maxMsgSize 1200) left untouched:',
      'INIT, getInfo, clientPIN getKeyAgreement, getAssertion with hmac-secret; the key blinks (KEEPALIVE UPNEEDED;',
      'a real key sends one every ~100 ms for about 29 s, four are kept here), then answers status 0x3A',
      '(CTAP2_ERR_ACTION_TIMEOUT, which that firmware calls USER_ACTION_TIMEOUT).',
    ]);
    writeFileSync(TIMEOUT, [...timeoutHeader, ...timeout, ''].join('\n'));

    const probe: string[] = [];
    const prober = await connect(new ScriptedHandle(0x4a7c0013, FOREIGN_INIT, probeScript, probe), 'probe');
    expect(Buffer.from((await prober.probe({ rpId: RP, credentialIds: CREDENTIAL_IDS }))!).equals(HELD)).toBe(true);
    const probeHeader = header([
      'The same firmware (maxMsgSize 1200, maxCredentialCountInList 20) and 14 enrolled credentials of 72 bytes:',
      'INIT, getInfo, then silent getAssertion probes (up false) whose allowLists fit 1200 bytes: 12 credentials',
      '(1120 bytes; answer 0x2E NO_CREDENTIALS), then the last 2 (answer: the held credential, UP clear). 13 in one',
      'list are 1208 bytes and all 14 are 1296, which this firmware refuses (0x39 REQUEST_TOO_LARGE).',
    ]);
    writeFileSync(PROBE, [...probeHeader, ...probe, ''].join('\n'));

    const oversize: string[] = [];
    const faulty = await connect(new ScriptedHandle(OVERSIZE_CID, FOREIGN_INIT, oversizeScript(), oversize), 'oversize');
    await failure(faulty.info());
    await faulty.info();
    const oversizeHeader = header([
      'A faulty answer: INIT, getInfo, and the key announces a 7610-byte answer (BCNT 0x1DBA), one byte over what',
      'CTAPHID carries with 64-byte reports (57 + 128 × 59 = 7609). The host drops it and sends CTAPHID_CANCEL,',
      'which the key does not answer; getInfo again, answered correctly.',
    ]);
    writeFileSync(OVERSIZE, [...oversizeHeader, ...oversize, ''].join('\n'));
  });
});

describe('security key transcripts: a key written by others', () => {
  it('an untouched key answering 0x3A (ACTION_TIMEOUT) is a touch timeout, named, and the key stays usable', async () => {
    const handle = new ReplayHandle(readTranscript(TIMEOUT));
    const key = await connect(handle, 'action-timeout');
    const err = await failure(key.assert({ rpId: RP, credentials: [storedCredential()], clientDataHash: CLIENT_DATA_HASH }));
    expect(handle.mismatches).toEqual([]);
    expect(handle.finished).toBe(true);
    expect([err.reason, err.ctapStatus]).toEqual(['timeout', 0x3a]);
    expect(err.message).toContain('ACTION_TIMEOUT');
    expect(key.device.gone).toBe(false);
  });

  it('sizes silent probes by bytes against the key’s maxMsgSize of 1200 with 14 credentials, and finds the held one', async () => {
    const lines = readTranscript(PROBE);
    const handle = new ReplayHandle(lines);
    const key = await connect(handle, 'probe');
    const found = await key.probe({ rpId: RP, credentialIds: CREDENTIAL_IDS });
    expect(handle.mismatches).toEqual([]);
    expect(handle.finished).toBe(true);
    expect(Buffer.from(found!).equals(HELD)).toBe(true);
    const probes = hostMessages(lines).filter((m) => m.cmd === CTAPHID.CBOR && m.payload[0] === CTAP2.GET_ASSERTION);
    expect(probes.map((m) => (params(m.payload).get(3) as unknown[]).length)).toEqual([12, 2]);
    expect(Math.max(...probes.map((m) => m.payload.length))).toBeLessThanOrEqual(1200);
  });

  it('an answer announced over the CTAPHID maximum is a protocol error; the key is asked again on the same channel', async () => {
    const handle = new ReplayHandle(readTranscript(OVERSIZE));
    const key = await connect(handle, 'oversize');
    const err = await failure(key.info());
    expect(err.reason).toBe('protocol');
    expect(err.message).toContain('too_long');
    expect(key.device.gone).toBe(false);
    expect((await key.info()).maxMsgSize).toBe(1200);
    expect(handle.mismatches).toEqual([]);
    expect(handle.finished).toBe(true);
  });

  it('a message over the CTAPHID maximum is a protocol error that leaves the key’s channel working', async () => {
    const lines = readTranscript(dir('security-key-getinfo.hex'));
    const nonce = lines[0]!.report.subarray(7, 15);
    const handle = new ReplayHandle(lines);
    const device = await CtapHidDevice.open(handle, { random: () => nonce });
    const err = await device.cbor(new Uint8Array(MAX_MESSAGE + 1), { timeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const mapped = toSecurityKeyError(err);
    expect(mapped.reason).toBe('protocol');
    expect(mapped.message).toContain(`7610 bytes is over the CTAPHID maximum of ${MAX_MESSAGE}`);
    expect(device.gone).toBe(false);
    // Nothing was written for it: the next command is the transcript's getInfo, answered as recorded.
    expect((await new SecurityKey(device).info()).maxMsgSize).toBe(1200);
    expect(handle.finished).toBe(true);
  });
});
