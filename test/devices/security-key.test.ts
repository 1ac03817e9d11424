import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkAssertion, requestCommitment } from '../../src/devices/ctap2.js';
import { CtapHidDevice, findSecurityKeys, openCtapHidDevice } from '../../src/devices/ctaphid-device.js';
import type { HidBus, HidHandle } from '../../src/devices/hid.js';
import { SecurityKey, SecurityKeyError, type EnrolledCredential } from '../../src/devices/security-key.js';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../../src/devices/soft-authenticator.js';
import { packagePath } from '../../src/paths.js';
import { readTranscript, ReplayHandle } from '../helpers/ctaphid-transcript.js';

const RP = 'mnvault.local';
const PATH = 'soft-fido2';

async function connect(soft: SoftAuthenticator): Promise<SecurityKey> {
  const [found] = await findSecurityKeys(soft.transport);
  return new SecurityKey(await openCtapHidDevice(soft.transport, found!.path, { cancelGraceMs: 100 }));
}

async function setup(options: SoftAuthenticatorOptions = {}) {
  const soft = new SoftAuthenticator({ keepaliveMs: 10, ...options });
  return { soft, key: await connect(soft) };
}

/** Enrols a credential and returns it as the vault would store it, with a fresh slot salt. */
async function enrol(key: SecurityKey, rpId = RP, userName = 'tanto'): Promise<EnrolledCredential> {
  const e = await key.enrol({ rpId, rpName: 'マイナンバー金庫', userId: randomBytes(16), userName, clientDataHash: randomBytes(32) });
  return { id: e.credentialId, publicKey: e.publicKey, signCount: e.signCount, salt: randomBytes(32) };
}

/** A CTAPHID init frame announcing more than a message can hold. */
function oversize(cid: number): Uint8Array {
  const r = new Uint8Array(64);
  new DataView(r.buffer).setUint32(0, cid);
  r.set([0x90, 0xff, 0xff], 4);
  return r;
}

const commitment = (code: string) => requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code, action: 'reveal', personIds: [3, 1], purpose: 'withholding_slip', operatorId: 'u1' });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function failure(p: Promise<unknown>): Promise<SecurityKeyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecurityKeyError);
  return err as SecurityKeyError;
}

describe.each([2, 1] as const)('security key over CTAPHID, PIN/UV auth protocol %i', (protocol) => {
  it('enrols, then asserts with a stable hmac-secret per credential and salt, a verifying signature and a rising counter', async () => {
    const { key } = await setup({ pinUvAuthProtocols: protocol === 1 ? [1] : [2, 1] });
    expect((await key.info()).protocol).toBe(protocol);
    const first = await enrol(key);
    const second = await enrol(key);
    expect(hex(first.id)).not.toBe(hex(second.id));

    const cdh = commitment('123456');
    const a = await key.assert({ rpId: RP, credentials: [first], clientDataHash: cdh });
    const b = await key.assert({ rpId: RP, credentials: [{ ...first, signCount: a.signCount }], clientDataHash: commitment('654321') });
    expect(a.hmacSecret.expose().length).toBe(32);
    expect(hex(b.hmacSecret.expose())).toBe(hex(a.hmacSecret.expose()));
    expect(b.signCount).toBeGreaterThan(a.signCount);
    expect(a.signCount).toBeGreaterThan(first.signCount);
    expect(String(a.hmacSecret)).toBe('[redacted]');

    // The caller can re-check the stored assertion offline against the request's commitment.
    expect(checkAssertion({ rpId: RP, authData: a.authData, clientDataHash: cdh, signature: a.signature, publicKey: first.publicKey, storedCounter: first.signCount })).toEqual({ ok: true, signCount: a.signCount });
    expect(checkAssertion({ rpId: RP, authData: a.authData, clientDataHash: commitment('000000'), signature: a.signature, publicKey: first.publicKey, storedCounter: 0 }).ok).toBe(false);

    const otherSalt = await key.assert({ rpId: RP, credentials: [{ ...first, salt: randomBytes(32) }], clientDataHash: cdh });
    const otherCredential = await key.assert({ rpId: RP, credentials: [{ ...second, salt: first.salt }], clientDataHash: cdh });
    expect(hex(otherSalt.hmacSecret.expose())).not.toBe(hex(a.hmacSecret.expose()));
    expect(hex(otherCredential.hmacSecret.expose())).not.toBe(hex(a.hmacSecret.expose()));
  });
});

describe('security key: choosing the credential', () => {
  it('probes silently for the credential this key holds among several, and asserts with that one’s salt', async () => {
    const { soft, key } = await setup();
    const other = await setup();
    const mine = await enrol(key);
    const foreign = [await enrol(other.key), await enrol(other.key), await enrol(key, 'other.example')];
    soft.touchMode = 'manual';
    const ids = [...foreign, mine].map((c) => c.id);
    expect(hex((await key.probe({ rpId: RP, credentialIds: ids }))!)).toBe(hex(mine.id));
    expect(await key.probe({ rpId: RP, credentialIds: foreign.map((c) => c.id) })).toBeUndefined();
    expect(soft.waitingForTouch).toBe(false);

    soft.touchMode = 'auto';
    const alone = await key.assert({ rpId: RP, credentials: [mine], clientDataHash: commitment('1') });
    const chosen = await key.assert({ rpId: RP, credentials: [...foreign, { ...mine, signCount: alone.signCount }], clientDataHash: commitment('2') });
    expect(hex(chosen.credentialId)).toBe(hex(mine.id));
    expect(hex(chosen.hmacSecret.expose())).toBe(hex(alone.hmacSecret.expose()));
    expect((await failure(key.assert({ rpId: RP, credentials: foreign, clientDataHash: commitment('3') }))).reason).toBe('no_credentials');
  });

  it('splits a long allowList to the key’s maxCredentialCountInList', async () => {
    const { key } = await setup({ maxCredentialCountInList: 2 });
    const other = await setup();
    const mine = await enrol(key);
    const strangers = await Promise.all([1, 2, 3, 4, 5].map(() => enrol(other.key)));
    expect(hex((await key.probe({ rpId: RP, credentialIds: [...strangers.map((c) => c.id), mine.id] }))!)).toBe(hex(mine.id));
  });

  it('refuses an assertion whose counter did not move past the stored one', async () => {
    const { key } = await setup();
    const c = await enrol(key);
    const err = await failure(key.assert({ rpId: RP, credentials: [{ ...c, signCount: 1000 }], clientDataHash: commitment('1') }));
    expect([err.reason, err.problem]).toEqual(['protocol', 'counter']);
  });

  it('lists only FIDO interfaces (usage page 0xF1D0, usage 1) as security keys', async () => {
    const bus: HidBus = {
      list: async () => [
        { path: '/dev/hidraw0', usagePage: 0x01, usage: 0x06 },
        { path: '/dev/hidraw1', usagePage: 0xf1d0, usage: 0x01 },
        { path: '/dev/hidraw2', usagePage: 0xf1d0, usage: 0x02 },
        { usagePage: 0xf1d0, usage: 0x01 },
      ],
      find: async () => [],
      open: async () => {
        throw new Error('not here');
      },
    };
    expect((await findSecurityKeys(bus)).map((d) => d.path)).toEqual(['/dev/hidraw1']);
  });

  it('reports a key offering no PIN/UV auth protocol as unsupported', async () => {
    const { key } = await setup({ pinUvAuthProtocols: [] });
    expect((await failure(key.info())).reason).toBe('unsupported');
  });
});

describe('security key: touch, timeout, cancel, unplug, bad frames', () => {
  it('tells the caller to touch the key while it blinks, then completes on touch', async () => {
    const { soft, key } = await setup({ touch: 'manual' });
    let prompts = 0;
    const enrolling = key.enrol({ rpId: RP, rpName: 'x', userId: Uint8Array.of(1), userName: 'u', clientDataHash: randomBytes(32), onTouch: () => prompts++ });
    await waitFor(() => prompts > 0);
    await new Promise((r) => setTimeout(r, 40)); // several keepalives, one prompt
    expect(soft.touch()).toBe(true);
    const e = await enrolling;
    expect(prompts).toBe(1);
    expect(e.signCount).toBe(1);
    expect(soft.touch()).toBe(false);
  });

  it('times out when the key gives up waiting (USER_ACTION_TIMEOUT) and when the host gives up first', async () => {
    const { soft, key } = await setup({ touch: 'manual', userPresenceTimeoutMs: 80 });
    soft.touchMode = 'auto';
    const c = await enrol(key);
    soft.touchMode = 'manual';
    const byKey = await failure(key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1') }));
    expect([byKey.reason, byKey.ctapStatus]).toEqual(['timeout', 0x2f]);
    const byHost = await failure(key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1'), timeoutMs: 30 }));
    expect([byHost.reason, byHost.ctapStatus]).toEqual(['timeout', undefined]);
    soft.touchMode = 'auto';
    expect((await key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('2') })).hmacSecret.expose().length).toBe(32);
  });

  it('cancels through an AbortSignal: the key stops blinking and the channel is usable again', async () => {
    const { soft, key } = await setup();
    const c = await enrol(key);
    soft.touchMode = 'manual';
    const abort = new AbortController();
    const asserting = key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1'), signal: abort.signal, onTouch: () => abort.abort() });
    expect((await failure(asserting)).reason).toBe('cancelled');
    await waitFor(() => !soft.waitingForTouch);
    soft.touchMode = 'auto';
    expect((await key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('2') })).credentialId.length).toBeGreaterThan(0);
    expect((await failure(key.probe({ rpId: RP, credentialIds: [c.id], signal: AbortSignal.abort() }))).reason).toBe('cancelled');
  });

  it('fails a pending transaction with device_gone when the key is pulled, and works again after replug', async () => {
    const { soft, key } = await setup();
    const c = await enrol(key);
    soft.touchMode = 'manual';
    const asserting = key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1'), onTouch: () => soft.unplug() });
    expect((await failure(asserting)).reason).toBe('device_gone');
    expect((await failure(key.info().then(() => key.probe({ rpId: RP, credentialIds: [c.id] })))).reason).toBe('device_gone');
    expect(await findSecurityKeys(soft.transport)).toEqual([]);
    soft.plug();
    soft.touchMode = 'auto';
    const again = await connect(soft);
    expect((await again.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('2') })).hmacSecret.expose().length).toBe(32);
  });

  it('fails cleanly on a corrupt frame from the key, then carries on', async () => {
    const { soft, key } = await setup();
    const c = await enrol(key);
    // A continuation with the wrong sequence number inside an answer.
    soft.tamperNextMessage((reports) => reports.map((r, i) => (i === 1 ? Uint8Array.from(r, (v, j) => (j === 4 ? 7 : v)) : r)));
    expect((await failure(key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1') }))).reason).toBe('protocol');
    // An init frame claiming 65535 bytes on our channel while the key waits for a touch.
    soft.touchMode = 'manual';
    const waiting = key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('2'), onTouch: () => soft.injectReport(oversize(key.device.init.cid)) });
    expect((await failure(waiting)).reason).toBe('protocol');
    await waitFor(() => !soft.waitingForTouch); // the host cancelled the request it gave up on
    soft.touchMode = 'auto';
    expect((await key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('3') })).hmacSecret.expose().length).toBe(32);
  });

  it('keeps a simulated key across restarts through its persisted state', async () => {
    const saved: unknown[] = [];
    const { soft, key } = await setup({ onStateChange: (s) => saved.push(s) });
    const c = await enrol(key);
    const before = await key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('1') });
    expect(saved.at(-1)).toEqual(soft.state);
    const restarted = await setup({ state: soft.state });
    const after = await restarted.key.assert({ rpId: RP, credentials: [{ ...c, signCount: before.signCount }], clientDataHash: commitment('2') });
    expect(hex(after.hmacSecret.expose())).toBe(hex(before.hmacSecret.expose()));
    expect(after.signCount).toBe(before.signCount + 1);
    const stranger = await setup();
    expect((await failure(stranger.key.assert({ rpId: RP, credentials: [c], clientDataHash: commitment('3') }))).reason).toBe('no_credentials');
  });
});

// ---- transcript: INIT + getInfo, recorded from the software authenticator ----

const TRANSCRIPT = packagePath('device', 'transcripts', 'security-key-getinfo.hex');

/** Wraps the soft authenticator's handle and writes down every report either way. */
function recordingBus(inner: HidBus, lines: string[]): HidBus {
  return {
    ...inner,
    open: async (path) => {
      const h = await inner.open(path);
      h.on('data', (d: Buffer) => lines.push(`< ${d.toString('hex')}`));
      return {
        on: (event: 'data' | 'error', listener: (x: never) => void) => h.on(event as 'data', listener as (d: Buffer) => void),
        write: async (data: Buffer | number[]) => {
          lines.push(`> ${Buffer.from(data).subarray(1).toString('hex')}`);
          return h.write(data);
        },
        close: () => h.close(),
      } as HidHandle;
    },
  };
}

describe('security key transcript', () => {
  it.runIf(process.env.MNVAULT_RECORD_TRANSCRIPTS === '1')('records INIT + getInfo from the software authenticator', async () => {
    const lines: string[] = [];
    const soft = new SoftAuthenticator();
    const key = new SecurityKey(await openCtapHidDevice(recordingBus(soft.transport, lines), PATH));
    await key.info();
    const header = [
      '# INIT on the broadcast channel, then getInfo (CTAPHID_CBOR 0x04) on the allocated channel.',
      '# Recorded from the software authenticator (src/devices/soft-authenticator.ts), not a USB key.',
      "# '>' host to device (written with a 0x00 report id in front), '<' device to host; 64 bytes each.",
    ];
    writeFileSync(TRANSCRIPT, [...header, ...lines, ''].join('\n'));
  });

  it('replays the recorded device side: the host writes the recorded reports and parses getInfo', async () => {
    const lines = readTranscript(TRANSCRIPT);
    expect(lines.every((l) => l.report.length === 64)).toBe(true);
    const nonce = lines[0]!.report.subarray(7, 15);
    const device = await CtapHidDevice.open(new ReplayHandle(lines), { random: () => nonce });
    const info = await new SecurityKey(device).info();
    expect(info.versions).toContain('FIDO_2_0');
    expect(info.extensions).toEqual(['hmac-secret']);
    expect(info.protocol).toBe(2);
    expect(device.init.capabilities & 0x04).toBe(0x04);
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}
