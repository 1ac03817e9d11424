import { createPublicKey } from 'node:crypto';
import { findSecurityKeys } from '../devices/ctaphid-device.js';
import type { HidBus } from '../devices/hid.js';
import { openSecurityKey, type SecurityKey } from '../devices/security-key.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { nextKeyStep, stillAsking } from '../gate/key-station-rules.js';
import { DEFAULT_WINDOWS, type GateWindows } from '../gate/requests.js';
import type { SecurityKeyRow } from '../storage/security-keys-repo.js';
import type { UserRow } from '../storage/users-repo.js';
import type { RevealStore } from './gate.js';
import { keyFailureMessage } from './key-enrolment.js';
import { approveWithSecurityKey, commitmentFor, enrolSecurityKey, refuseAssertion, RP_ID, type KeyApprovalStore, type SecurityKeyPort } from './security-keys.js';
import type { Vault } from './vault.js';

/** How the station finds and opens keys: node-hid in production, the software authenticator in development. */
export interface SecurityKeyOpener {
  /** Paths of the FIDO devices present now. */
  list(): Promise<string[]>;
  open(path: string): Promise<SecurityKeyPort>;
}

export type KeyState = 'idle' | 'waiting_touch' | 'unregistered' | 'enrolling' | 'error';

export interface KeyStatus {
  path: string;
  state: KeyState;
  /** The owner's display name once the key is recognised. */
  owner: string | null;
  message: string;
}

export interface StationOptions {
  windows?: GateWindows;
  /** How often the bus is scanned and pending requests looked for. */
  pollMs?: number;
  /** How long one touch is waited for before the key is asked again. */
  touchTimeoutMs?: number;
  onStatus?: (s: KeyStatus) => void;
}

/** Waits ms, or less if the signal aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

const reasonOf = (err: unknown): string | undefined => (err as { reason?: string } | null)?.reason;
const isGone = (err: unknown) => reasonOf(err) === 'device_gone';

/** One plugged-in key: recognise it, then wait for its owner's requests and their touches. */
class KeySession {
  status: KeyStatus;
  #closed = new AbortController();
  #current: AbortController | undefined;
  #enrolling: Promise<void> | undefined;
  #credential: { keys: string; row: SecurityKeyRow | undefined } | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly port: SecurityKeyPort,
    private readonly vault: KeyApprovalStore,
    private readonly store: RevealStore,
    private readonly opts: Required<Omit<StationOptions, 'onStatus'>> & Pick<StationOptions, 'onStatus'>,
  ) {
    this.status = { path: port.path, state: 'idle', owner: null, message: 'セキュリティキーを確認しています。' };
    this.done = this.#run();
  }

  #set(state: KeyState, message: string, owner: string | null = this.status.owner): void {
    const changed = state !== this.status.state || message !== this.status.message;
    this.status = { path: this.port.path, state, owner, message };
    if (changed) this.opts.onStatus?.(this.status);
  }

  /** Which enrolled key this is, asked silently once per change of the enrolled set. */
  async #recognise(): Promise<SecurityKeyRow | undefined> {
    const active = this.vault.securityKeys.active();
    const fingerprint = active.map((k) => k.id).join(',');
    if (this.#credential?.keys === fingerprint) return this.#credential.row;
    let row: SecurityKeyRow | undefined;
    if (active.length) {
      const found = await this.port.probe({ rpId: RP_ID, credentialIds: active.map((k) => k.credentialId), signal: this.#closed.signal });
      row = found && active.find((k) => k.credentialId.equals(Buffer.from(found)));
    }
    this.#credential = { keys: fingerprint, row };
    return row;
  }

  async #run(): Promise<void> {
    while (!this.#closed.signal.aborted) {
      if (this.#enrolling) {
        await this.#enrolling.catch(() => undefined);
        continue;
      }
      try {
        const row = await this.#recognise();
        if (!row) {
          this.#set('unregistered', 'このセキュリティキーは登録されていません。管理者に登録を依頼してください。', null);
          await sleep(this.opts.pollMs, this.#closed.signal);
          continue;
        }
        const owner = this.vault.users.byId(row.userId)!;
        const open = this.vault.gate.oldestOpenOf(row.userId, this.vault.clock.now().toISOString());
        const step = nextKeyStep({ displayName: owner.displayName, disabledAt: owner.disabledAt, pinLockedAt: open ? this.vault.users.pinLockedAt(owner.id) : null }, open);
        if (step.kind === 'wait') {
          this.#set(step.state, step.message, owner.displayName);
          await sleep(this.opts.pollMs, this.#closed.signal);
          continue;
        }
        const pending = step.request;
        const askTouch = () => this.#set('waiting_touch', `申請番号 ${pending.code} を承認するには、キーにタッチしてください。`, owner.displayName);
        const touch = new AbortController();
        this.#current = touch;
        // An enrolment may have taken the key while the lines above awaited: it goes first.
        if (this.#enrolling || this.#closed.signal.aborted) {
          this.#current = undefined;
          continue;
        }
        // Stop asking when the request is approved elsewhere, cancelled or expired, or after the touch timeout.
        const started = Date.now();
        const watch = setInterval(() => {
          if (!stillAsking(this.vault.gate.byId(pending.id), this.vault.clock.now(), this.store.requests, Date.now() - started, this.opts.touchTimeoutMs)) touch.abort();
        }, 250);
        const stop = () => touch.abort();
        this.#closed.signal.addEventListener('abort', stop, { once: true });
        let assertion;
        try {
          const credential = { id: row.credentialId, publicKeySpki: row.publicKey, signCount: row.signCount, salt: this.#saltOf(row) };
          // The status says "touch" when the key itself starts blinking for it, not before.
          assertion = await this.port.assert({ rpId: RP_ID, credential, clientDataHash: commitmentFor(pending), signal: touch.signal, onTouch: askTouch });
        } catch (err) {
          if (isGone(err)) throw err;
          // Cancelled or timed out: ask again with whatever is pending now.
          if (touch.signal.aborted || reasonOf(err) === 'timeout' || reasonOf(err) === 'cancelled') continue;
          const problem = (err as { problem?: string }).problem;
          if (problem) {
            // The key answered, but its assertion failed a check (a counter going back may mean a cloned key).
            refuseAssertion(this.vault, pending, row, problem, this.port.path);
            this.#set('error', problem === 'counter' ? 'セキュリティキーのカウンタが戻っています（複製の疑い）。管理者に連絡してください。' : 'セキュリティキーの署名を確認できませんでした。', owner.displayName);
            await sleep(this.opts.pollMs * 3, this.#closed.signal);
            continue;
          }
          throw err;
        } finally {
          clearInterval(watch);
          this.#closed.signal.removeEventListener('abort', stop);
          this.#current = undefined;
        }
        try {
          await approveWithSecurityKey(this.vault, this.store, { requestId: pending.id, keyId: row.id, assertion, device: this.port.path }, this.opts.windows);
          this.#set('idle', `申請番号 ${pending.code} を承認しました。入室を記録しました。`);
        } catch (err) {
          this.#set('error', err instanceof AppError ? err.publicMessage : '承認できませんでした。', owner.displayName);
          await sleep(this.opts.pollMs, this.#closed.signal);
        } finally {
          assertion.hmacSecret.wipe();
        }
      } catch (err) {
        if (isGone(err) || this.#closed.signal.aborted) return;
        this.#set('error', 'セキュリティキーとの通信に失敗しました。挿し直してください。');
        this.#credential = undefined;
        await sleep(this.opts.pollMs * 3, this.#closed.signal);
      }
    }
  }

  #saltOf(row: SecurityKeyRow): Buffer {
    const slot = this.vault.slots.byId(row.slotId);
    if (!slot || slot.params.kind !== 'fido2') throw new AppError('forbidden', 'このセキュリティキーの鍵スロットがありません。');
    return Buffer.from(slot.params.salt, 'base64');
  }

  /** Aborts with the session (the key is unplugged or the server stops). */
  get signal(): AbortSignal {
    return this.#closed.signal;
  }

  /** Takes the key from the approval loop for an enrolment, then gives it back. */
  async enrol(run: () => Promise<SecurityKeyRow>): Promise<SecurityKeyRow> {
    if (this.#enrolling) throw new AppError('conflict', '別の登録が進行中です。');
    let release!: () => void;
    this.#enrolling = new Promise<void>((r) => (release = r));
    this.#current?.abort();
    this.#set('enrolling', 'セキュリティキーを登録しています。キーが点滅したらタッチしてください（2回）。');
    try {
      return await run();
    } finally {
      this.#credential = undefined;
      this.#enrolling = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    this.#closed.abort();
    this.#current?.abort();
    await this.done.catch(() => undefined);
    await this.port.close().catch(() => undefined);
  }
}

/**
 * The appliance's security keys: found on the bus as they are plugged in,
 * each recognised silently and then, while its owner has a pending request,
 * asked for a touch that approves the oldest one. An admin's enrolment takes
 * the key from that loop while it runs.
 */
export class SecurityKeyStation {
  readonly #sessions = new Map<string, KeySession>();
  /** Keys on the bus that could not be opened as CTAP2 keys, with why: an enrolment explains it. */
  readonly #unusable = new Map<string, unknown>();
  readonly #opts: Required<Omit<StationOptions, 'onStatus'>> & Pick<StationOptions, 'onStatus'>;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #scanning: Promise<void> | undefined;

  constructor(
    private readonly vault: KeyApprovalStore & Pick<Vault, 'vaultId'>,
    private readonly store: RevealStore,
    private readonly opener: SecurityKeyOpener,
    opts: StationOptions = {},
  ) {
    this.#opts = { windows: opts.windows ?? DEFAULT_WINDOWS, pollMs: opts.pollMs ?? 1000, touchTimeoutMs: opts.touchTimeoutMs ?? 30_000, onStatus: opts.onStatus };
  }

  async start(): Promise<void> {
    await this.scan();
    const tick = () => {
      if (this.#closed) return;
      this.#timer = setTimeout(() => void this.scan().finally(tick), this.#opts.pollMs * 2);
    };
    tick();
  }

  /** Opens keys that appeared; forgets keys whose session ended (unplugged). */
  scan(): Promise<void> {
    this.#scanning ??= (async () => {
      try {
        let paths: string[];
        try {
          paths = await this.opener.list();
        } catch {
          // The bus could not be listed this time: that says nothing about the keys, so keep every session.
          return;
        }
        // A key no longer on the bus was unplugged: its session ends (an idle session may not have noticed).
        for (const [path, session] of this.#sessions) {
          if (!paths.includes(path)) {
            this.#sessions.delete(path);
            void session.close();
          }
        }
        for (const path of this.#unusable.keys()) if (!paths.includes(path)) this.#unusable.delete(path);
        for (const path of paths) {
          if (this.#sessions.has(path) || this.#closed) continue;
          try {
            const port = await this.opener.open(path);
            this.#unusable.delete(path);
            const session = new KeySession(port, this.vault, this.store, this.#opts);
            this.#sessions.set(path, session);
            void session.done.finally(() => {
              if (this.#sessions.get(path) === session) this.#sessions.delete(path);
              void port.close().catch(() => undefined);
            });
          } catch (err) {
            // Not openable now (busy, or not a CTAP2 key with hmac-secret): try again on the next scan.
            this.#unusable.set(path, err);
          }
        }
      } finally {
        this.#scanning = undefined;
      }
    })();
    return this.#scanning;
  }

  statuses(): KeyStatus[] {
    return [...this.#sessions.values()].map((s) => s.status);
  }

  /** Enrols the one key plugged in now to a user, with the admin's PIN typed at the appliance. */
  async enrol(input: { admin: UserRow; adminPin: Secret<string>; userId: string; label: string; onTouch?: () => void }): Promise<SecurityKeyRow> {
    await this.scan();
    const sessions = [...this.#sessions.values()];
    if (sessions.length === 0) {
      const [why] = this.#unusable.values();
      throw new AppError('device_unavailable', why === undefined ? 'セキュリティキーが見つかりません。装置のUSB端子に登録するキーを1本だけ挿してください。' : keyFailureMessage(why));
    }
    if (sessions.length > 1) throw new AppError('conflict', 'セキュリティキーが複数挿さっています。登録するキー1本だけにしてください。');
    const session = sessions[0]!;
    return session.enrol(() => enrolSecurityKey(this.vault, { ...input, key: session.port, signal: session.signal }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#scanning?.catch(() => undefined);
    await Promise.all([...this.#sessions.values()].map((s) => s.close()));
    this.#sessions.clear();
  }
}

/** A CTAP2 key on the bus as the station's port; SecurityKey checks each assertion against the stored key and counter too. */
export function securityKeyPort(key: SecurityKey, path: string): SecurityKeyPort {
  return {
    path,
    async enrol(a) {
      const made = await key.enrol(a);
      return { credentialId: made.credentialId, publicKeySpki: made.publicKey.export({ type: 'spki', format: 'der' }), aaguid: made.aaguid, signCount: made.signCount };
    },
    probe: (a) => key.probe(a),
    async assert(a) {
      const credential = { id: a.credential.id, publicKey: createPublicKey({ key: Buffer.from(a.credential.publicKeySpki), format: 'der', type: 'spki' }), signCount: a.credential.signCount, salt: a.credential.salt };
      const got = await key.assert({ rpId: a.rpId, credentials: [credential], clientDataHash: a.clientDataHash, ...(a.signal ? { signal: a.signal } : {}), ...(a.onTouch ? { onTouch: a.onTouch } : {}) });
      return { credentialId: got.credentialId, authData: got.authData, signature: got.signature, hmacSecret: got.hmacSecret };
    },
    close: () => key.close(),
  };
}

/** Keys found on a HID bus by usage page (node-hid's hidraw backend, or the simulator's bus). */
export function hidKeyOpener(bus: HidBus): SecurityKeyOpener {
  return {
    list: async () => (await findSecurityKeys(bus)).map((d) => d.path),
    open: async (path) => securityKeyPort(await openSecurityKey(bus, path), path),
  };
}
