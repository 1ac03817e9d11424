import { createHash, randomBytes } from 'node:crypto';
import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { CTAP2, decodeResponse, encodeRequest, getAssertionRequest, getKeyAgreementRequest, getPinTokenRequest, parseAuthData } from '../../src/devices/ctap2.js';
import { BROADCAST_CID, CTAPHID, encodeMessage, MessageAssembler, withReportId, type CtapHidMessage } from '../../src/devices/ctaphid.js';
import { encapsulate, protocolTwo } from '../../src/devices/pin-uv-auth.js';
import { openCtapHidDevice } from '../../src/devices/ctaphid-device.js';
import { SecurityKey } from '../../src/devices/security-key.js';
import { newSoftAuthenticatorState, SoftAuthenticator, type SoftAuthenticatorOptions } from '../../src/devices/soft-authenticator.js';

/** A host that speaks raw CTAPHID reports to the simulated key, to see the device side as a USB key would show it. */
async function rawHost(options: SoftAuthenticatorOptions = {}) {
  const soft = new SoftAuthenticator({ keepaliveMs: 10, ...options });
  const handle = await soft.transport.open('soft-fido2');
  const inbox: Uint8Array[] = [];
  handle.on('data', (d: Buffer) => inbox.push(new Uint8Array(d)));
  const report = (r: Uint8Array) => handle.write(Buffer.from(withReportId(r)));
  const send = async (cid: number, cmd: number, payload: Uint8Array) => {
    for (const r of encodeMessage(cid, cmd, payload)) await report(r);
  };
  /** The next whole message on cid; keepalives too unless skipped. */
  const receive = async (cid: number, skipKeepalive = true): Promise<CtapHidMessage> => {
    const a = new MessageAssembler(cid);
    for (let tries = 0; tries < 400; tries++) {
      const r = inbox.shift();
      if (!r) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      const m = a.push(r);
      if (m && !(skipKeepalive && m.cmd === CTAPHID.KEEPALIVE)) return m;
    }
    throw new Error('no answer');
  };
  const channel = async () => {
    const nonce = randomBytes(8);
    await send(BROADCAST_CID, CTAPHID.INIT, nonce);
    const m = await receive(BROADCAST_CID);
    expect(Buffer.from(m.payload.subarray(0, 8)).equals(nonce)).toBe(true);
    return { cid: Buffer.from(m.payload).readUInt32BE(8), capabilities: m.payload[16]! };
  };
  const cbor = async (cid: number, request: Uint8Array) => {
    await send(cid, CTAPHID.CBOR, request);
    return (await receive(cid)).payload;
  };
  return { soft, handle, inbox, report, send, receive, channel, cbor };
}

const status = (payload: Uint8Array) => payload[0];
const cdh = () => randomBytes(32);

describe('software authenticator, CTAPHID side', () => {
  it('allocates a new channel for each INIT and says it speaks CBOR, winks and has no U2F', async () => {
    const h = await rawHost();
    const a = await h.channel();
    const b = await h.channel();
    expect(a.cid).not.toBe(b.cid);
    expect(a.capabilities).toBe(0x01 | 0x04 | 0x08);
  });

  it('echoes a PING that spans several reports', async () => {
    const h = await rawHost();
    const { cid } = await h.channel();
    const payload = randomBytes(300);
    await h.send(cid, CTAPHID.PING, payload);
    const m = await h.receive(cid);
    expect([m.cmd, Buffer.from(m.payload).equals(payload)]).toEqual([CTAPHID.PING, true]);
  });

  it('answers bad framing with CTAPHID_ERROR frames', async () => {
    const h = await rawHost();
    const { cid } = await h.channel();
    const error = async (c: number, send: () => Promise<unknown>) => {
      await send();
      const m = await h.receive(c);
      expect(m.cmd).toBe(CTAPHID.ERROR);
      return m.payload[0];
    };
    expect(await error(0x01020304, () => h.send(0x01020304, CTAPHID.PING, Uint8Array.of(1)))).toBe(0x0b); // INVALID_CHANNEL
    expect(await error(BROADCAST_CID, () => h.send(BROADCAST_CID, CTAPHID.PING, Uint8Array.of(1)))).toBe(0x0b);
    expect(await error(cid, () => h.send(cid, CTAPHID.MSG, Uint8Array.of(0, 1, 0, 0)))).toBe(0x01); // INVALID_CMD: no U2F
    expect(await error(cid, () => h.send(cid, CTAPHID.CBOR, new Uint8Array(0)))).toBe(0x03); // INVALID_LEN
    const [first, second] = encodeMessage(cid, CTAPHID.PING, randomBytes(100));
    second![4] = 3;
    expect(await error(cid, async () => (await h.report(first!), await h.report(second!)))).toBe(0x04); // INVALID_SEQ
  });

  it('blinks with UPNEEDED keepalives, is busy for other channels meanwhile, and answers CANCEL with KEEPALIVE_CANCEL', async () => {
    const h = await rawHost({ touch: 'manual' });
    const a = await h.channel();
    const b = await h.channel();
    const mc = Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody());
    await h.send(a.cid, CTAPHID.CBOR, mc);
    const keepalive = await h.receive(a.cid, false);
    expect([keepalive.cmd, keepalive.payload[0]]).toEqual([CTAPHID.KEEPALIVE, 2]);
    expect(h.soft.waitingForTouch).toBe(true);
    await h.send(b.cid, CTAPHID.PING, Uint8Array.of(1));
    const busy = await h.receive(b.cid);
    expect([busy.cmd, busy.payload[0]]).toEqual([CTAPHID.ERROR, 0x06]);
    await h.send(a.cid, CTAPHID.CANCEL, new Uint8Array(0));
    expect(status((await h.receive(a.cid)).payload)).toBe(0x2d);
    expect(h.soft.waitingForTouch).toBe(false);
  });

  it('refuses writes without the 0x00 report id in front', async () => {
    const h = await rawHost();
    await expect(h.handle.write(Buffer.alloc(64))).rejects.toThrow(/report id/);
  });
});

describe('software authenticator, CTAP2 side', () => {
  it('reports getInfo as configured', async () => {
    const h = await rawHost({ pinUvAuthProtocols: [1], maxCredentialCountInList: 3 });
    const { cid } = await h.channel();
    const m = decodeResponse(await h.cbor(cid, encodeRequest(CTAP2.GET_INFO)));
    expect(m.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1']);
    expect(m.get(2)).toEqual(['hmac-secret']);
    expect(Object.fromEntries(m.get(4) as Map<string, boolean>)).toEqual({ rk: false, up: true, plat: false });
    expect([m.get(6), m.get(7)]).toEqual([[1], 3]);
  });

  it('answers CTAP2 status codes for requests it cannot serve', async () => {
    const h = await rawHost();
    const { cid } = await h.channel();
    const ask = async (request: Uint8Array) => status(await h.cbor(cid, request));
    expect(await ask(Uint8Array.of(0x42))).toBe(0x01); // INVALID_COMMAND
    expect(await ask(Uint8Array.of(CTAP2.GET_ASSERTION, 0xa1, 0x01))).toBe(0x12); // INVALID_CBOR
    expect(await ask(Uint8Array.of(CTAP2.GET_ASSERTION, ...encode([1])))).toBe(0x11); // CBOR_UNEXPECTED_TYPE
    expect(await ask(encodeRequest(CTAP2.GET_ASSERTION, new Map([[1, 'x']])))).toBe(0x14); // MISSING_PARAMETER
    expect(await ask(Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody({ rk: true })))).toBe(0x2b); // UNSUPPORTED_OPTION
    expect(await ask(Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody({}, -257)))).toBe(0x26); // UNSUPPORTED_ALGORITHM
    expect(await ask(getAssertionRequest({ rpId: 'x', clientDataHash: cdh(), credentialIds: [randomBytes(93)] }))).toBe(0x2e); // NO_CREDENTIALS
    expect(await ask(getAssertionRequest({ rpId: 'x', clientDataHash: cdh(), credentialIds: Array.from({ length: 9 }, () => randomBytes(93)) }))).toBe(0x15); // LIMIT_EXCEEDED
    expect(await ask(getKeyAgreementRequest(3))).toBe(0x02); // INVALID_PARAMETER: unknown protocol
    const ka = decodeResponse(await h.cbor(cid, getKeyAgreementRequest(2))).get(1);
    expect(await ask(getPinTokenRequest({ protocol: 2, keyAgreement: encapsulate(protocolTwo(), ka).platformKey, pinHashEnc: randomBytes(32) }))).toBe(0x35); // PIN_NOT_SET
  });

  it('refuses an hmac-secret input whose saltAuth does not verify', async () => {
    const h = await rawHost();
    const { cid } = await h.channel();
    const made = decodeResponse(await h.cbor(cid, Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody())));
    const credentialId = parseAuthData(made.get(2) as Uint8Array).credential!.id;
    const p2 = protocolTwo();
    const { platformKey, sharedSecret } = encapsulate(p2, decodeResponse(await h.cbor(cid, getKeyAgreementRequest(2))).get(1));
    const saltEnc = p2.encrypt(sharedSecret, randomBytes(32));
    const input = new Map<number, unknown>([[1, platformKey], [2, saltEnc], [3, randomBytes(32)], [4, 2]]);
    const request = getAssertionRequest({ rpId: 'mnvault.local', clientDataHash: cdh(), credentialIds: [credentialId], extensions: new Map([['hmac-secret', input]]) });
    expect(status(await h.cbor(cid, request))).toBe(0x33); // PIN_AUTH_INVALID
  });

  it('binds a credential id to its rpId and its master secret', async () => {
    const state = newSoftAuthenticatorState();
    const h = await rawHost({ state });
    const { cid } = await h.channel();
    const made = decodeResponse(await h.cbor(cid, Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody())));
    const d = parseAuthData(made.get(2) as Uint8Array);
    expect(Buffer.from(d.rpIdHash).equals(createHash('sha256').update('mnvault.local').digest())).toBe(true);
    const assert = (rpId: string) => getAssertionRequest({ rpId, clientDataHash: cdh(), credentialIds: [d.credential!.id], up: false });
    expect(status(await h.cbor(cid, assert('mnvault.local')))).toBe(0);
    expect(status(await h.cbor(cid, assert('other.example')))).toBe(0x2e);
    const tampered = Uint8Array.from(d.credential!.id, (v, i) => (i === 20 ? v ^ 1 : v));
    expect(status(await h.cbor(cid, getAssertionRequest({ rpId: 'mnvault.local', clientDataHash: cdh(), credentialIds: [tampered], up: false })))).toBe(0x2e);
  });

  it('signs a silent assertion without the UP flag, and counts it', async () => {
    const h = await rawHost({ touch: 'manual' });
    const { cid } = await h.channel();
    h.soft.touchMode = 'auto';
    const made = decodeResponse(await h.cbor(cid, Uint8Array.of(CTAP2.MAKE_CREDENTIAL, ...makeCredentialBody())));
    const id = parseAuthData(made.get(2) as Uint8Array).credential!.id;
    h.soft.touchMode = 'manual';
    const m = decodeResponse(await h.cbor(cid, getAssertionRequest({ rpId: 'mnvault.local', clientDataHash: cdh(), credentialIds: [id], up: false })));
    const d = parseAuthData(m.get(2) as Uint8Array);
    expect([d.flags & 0x01, d.signCount]).toEqual([0, 2]);
    expect(h.soft.state.counter).toBe(2);
  });

  it('makes a "none" attestation when asked to, which enrolment accepts', async () => {
    const soft = new SoftAuthenticator({ attestation: 'none' });
    const key = new SecurityKey(await openCtapHidDevice(soft.transport, 'soft-fido2'));
    const e = await key.enrol({ rpId: 'mnvault.local', rpName: 'x', userId: Uint8Array.of(1), userName: 'u', clientDataHash: cdh() });
    expect(e.attestation).toEqual({ format: 'none', verified: 'none' });
  });

  it('refuses a persisted state that is not whole', () => {
    expect(() => new SoftAuthenticator({ state: { ...newSoftAuthenticatorState(), masterSecret: 'c2hvcnQ=' } })).toThrow(/masterSecret/);
    expect(() => new SoftAuthenticator({ state: { ...newSoftAuthenticatorState(), counter: -1 } })).toThrow(/counter/);
    expect(() => new SoftAuthenticator({ state: { ...newSoftAuthenticatorState(), aaguid: 'zz' } })).toThrow(/aaguid/);
  });
});

/** A makeCredential body for mnvault.local with hmac-secret; options and algorithm can be varied. */
function makeCredentialBody(options?: Record<string, boolean>, alg = -7): Uint8Array {
  return encode(
    new Map<number, unknown>([
      [1, cdh()],
      [2, new Map([['id', 'mnvault.local']])],
      [3, new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'u']])],
      [4, [new Map<string, unknown>([['alg', alg], ['type', 'public-key']])]],
      [6, new Map([['hmac-secret', true]])],
      ...(options ? [[7, new Map(Object.entries(options))] as [number, unknown]] : []),
    ]),
  );
}
