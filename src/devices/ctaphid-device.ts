import { randomBytes } from 'node:crypto';
import {
  BROADCAST_CID,
  CTAPHID,
  CTAPHID_ERROR_NAME,
  CtapHidFrameError,
  encodeMessage,
  MAX_MESSAGE,
  MessageAssembler,
  parseInitResponse,
  withReportId,
  type CtapHidMessage,
  type InitResponse,
} from './ctaphid.js';
import type { HidBus, HidDeviceInfo, HidHandle } from './hid.js';

/**
 * A CTAPHID channel to one FIDO device over a HID handle: channel allocation,
 * one transaction at a time, keepalives, cancel, timeouts and unplug. The
 * framing itself is the pure code in ctaphid.ts; this is only the I/O around it.
 */

export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

/** Why a transaction failed; the security-key layer maps these to its own reasons. */
export type CtapHidFailure = 'timeout' | 'cancelled' | 'device_gone' | 'protocol' | 'device_error';

export class CtapHidTransactionError extends Error {
  /** The CTAPHID_ERROR name (INVALID_SEQ, CHANNEL_BUSY, …) when the device sent an ERROR frame. */
  readonly hidError: string | undefined;

  constructor(
    readonly reason: CtapHidFailure,
    message: string,
    options: { cause?: unknown; hidError?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CtapHidTransactionError';
    this.hidError = options.hidError;
  }
}

export interface TransactOptions {
  /** Counted from when the transaction reaches the device, not while it waits in the queue. */
  timeoutMs: number;
  /** Aborting sends CTAPHID_CANCEL and rejects with reason 'cancelled'. */
  signal?: AbortSignal;
  /** KEEPALIVE status bytes as they come (1 PROCESSING, 2 UPNEEDED: ask the user to touch the key). */
  onKeepalive?: (status: number) => void;
}

export interface CtapHidDeviceOptions {
  /** Randomness for the INIT nonce; tests replaying a transcript pass the recorded nonce. */
  random?: (size: number) => Uint8Array;
  initTimeoutMs?: number;
  /** How long to wait for the device's answer to a CANCEL before the next transaction may start. */
  cancelGraceMs?: number;
  /** Delay before resending a request the device refused with CHANNEL_BUSY. */
  busyRetryMs?: number;
}

/** A listener for reports while a transaction (or its drain) owns the channel. */
type Reader = (report: Uint8Array) => void;

/** Settles a pending transaction from outside its promise (unplug, close). */
type Failer = (err: CtapHidTransactionError) => void;

export class CtapHidDevice {
  readonly #handle: HidHandle;
  readonly #options: Required<Omit<CtapHidDeviceOptions, 'random'>> & Pick<CtapHidDeviceOptions, 'random'>;
  #cid = BROADCAST_CID;
  #init: InitResponse | undefined;
  #reader: Reader | undefined;
  #fail: Failer | undefined;
  #tail: Promise<void> = Promise.resolve();
  #gone = false;

  private constructor(handle: HidHandle, options: CtapHidDeviceOptions) {
    this.#handle = handle;
    this.#options = { initTimeoutMs: 3000, cancelGraceMs: 500, busyRetryMs: 100, ...options };
    handle.on('data', (data: Buffer) => this.#reader?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    handle.on('error', (err: unknown) => this.#lost(err));
  }

  /** Allocates a channel with CTAPHID_INIT; the handle is closed if that fails. */
  static async open(handle: HidHandle, options: CtapHidDeviceOptions = {}): Promise<CtapHidDevice> {
    const device = new CtapHidDevice(handle, options);
    try {
      await device.#allocateChannel();
    } catch (err) {
      await device.close();
      throw err;
    }
    return device;
  }

  /** The channel and the device's protocol version and capabilities, from INIT. */
  get init(): InitResponse {
    if (!this.#init) throw new Error('CTAPHID channel not allocated');
    return this.#init;
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** Sends one message on our channel and resolves with the answer's payload (same command). */
  transact(cmd: number, payload: Uint8Array, options: TransactOptions): Promise<Uint8Array> {
    return this.#enqueue(cmd, options, (release) => this.#exchange(this.#cid, cmd, payload, options, release, (m) => m.payload));
  }

  /** A CTAP2 command (command byte ‖ CBOR) in a CTAPHID_CBOR message. */
  cbor(request: Uint8Array, options: TransactOptions): Promise<Uint8Array> {
    return this.transact(CTAPHID.CBOR, request, options);
  }

  async close(): Promise<void> {
    if (!this.#gone) {
      this.#gone = true;
      this.#fail?.(new CtapHidTransactionError('device_gone', 'CTAPHID device closed'));
    }
    await this.#handle.close().catch(() => undefined);
  }

  async #allocateChannel(): Promise<void> {
    const nonce = (this.#options.random ?? randomBytes)(8);
    const options = { timeoutMs: this.#options.initTimeoutMs };
    const init = await this.#enqueue(CTAPHID.INIT, options, (release) =>
      this.#exchange(BROADCAST_CID, CTAPHID.INIT, nonce, options, release, (m) => parseInitResponse(m.payload, nonce)),
    );
    this.#cid = init.cid;
    this.#init = init;
  }

  /** Queues a transaction; an abort while queued rejects at once and sends nothing. */
  #enqueue<T>(cmd: number, options: TransactOptions, run: (release: () => void) => Promise<T>): Promise<T> {
    let release!: () => void;
    const idle = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = idle;
    const started = previous.then(() => {
      if (options.signal?.aborted) {
        release();
        throw cancelled(cmd);
      }
      return run(release);
    });
    const signal = options.signal;
    if (!signal) return started;
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(cancelled(cmd));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([started, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /**
   * One request and its answer. `accept` turns the answer into the result or
   * returns undefined to keep waiting (an INIT answer with another nonce).
   * `release` lets the next transaction start: at once on success, after the
   * device has answered the CANCEL (or the grace passed) on abort or timeout.
   */
  #exchange<T>(cid: number, cmd: number, payload: Uint8Array, options: TransactOptions, release: () => void, accept: (m: CtapHidMessage) => T | undefined): Promise<T> {
    if (this.#gone) {
      release();
      return Promise.reject(new CtapHidTransactionError('device_gone', 'CTAPHID device is gone'));
    }
    let packets: Uint8Array[];
    try {
      packets = encodeMessage(cid, cmd, payload);
    } catch (cause) {
      // Nothing was written and the key is still there: a request that cannot be framed is ours to fix, not an unplug.
      release();
      const what = frameReason(cause) === 'too_long' ? `a message of ${payload.length} bytes is over the CTAPHID maximum of ${MAX_MESSAGE}` : `cannot frame the message: ${frameReason(cause)}`;
      return Promise.reject(new CtapHidTransactionError('protocol', `CTAPHID command 0x${cmd.toString(16)}: ${what}`, { cause }));
    }
    return new Promise<T>((resolve, reject) => {
      let assembler = new MessageAssembler(cid);
      let busyTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => abandon(new CtapHidTransactionError('timeout', `CTAPHID command 0x${cmd.toString(16)} timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      const onAbort = () => abandon(cancelled(cmd));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const cleanUp = () => {
        clearTimeout(timer);
        clearTimeout(busyTimer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#reader = undefined;
        this.#fail = undefined;
      };
      const settle = (err: CtapHidTransactionError | undefined, value?: T) => {
        cleanUp();
        release();
        if (err) reject(err);
        else resolve(value as T);
      };
      /** Fails now, but keeps the channel until the device has stopped working on the request. */
      const abandon = (err: CtapHidTransactionError) => {
        cleanUp();
        reject(err);
        if (this.#gone) return release();
        this.#drain(cid, cmd === CTAPHID.CBOR, release);
      };

      this.#fail = (err) => settle(err);
      this.#reader = (report) => {
        if (!startsOrContinues(report, cid, assembler)) return;
        let m: CtapHidMessage | undefined;
        try {
          m = assembler.push(report);
        } catch (cause) {
          assembler = new MessageAssembler(cid);
          return abandon(new CtapHidTransactionError('protocol', `bad CTAPHID frame from the device: ${frameReason(cause)}`, { cause }));
        }
        if (!m) return;
        if (m.cmd === CTAPHID.KEEPALIVE) return options.onKeepalive?.(m.payload[0] ?? 0);
        if (m.cmd === CTAPHID.ERROR) {
          const code = m.payload[0] ?? 0x7f;
          if (code === 0x06 && cid !== BROADCAST_CID) {
            busyTimer = setTimeout(() => void this.#send(packets).catch((cause: unknown) => settle(writeFailed(cause))), this.#options.busyRetryMs);
            return;
          }
          const name = CTAPHID_ERROR_NAME[code] ?? `0x${code.toString(16)}`;
          return settle(new CtapHidTransactionError('device_error', `CTAPHID error ${name}`, { hidError: name }));
        }
        if (m.cmd !== cmd) return abandon(new CtapHidTransactionError('protocol', `CTAPHID answer 0x${m.cmd.toString(16)} to command 0x${cmd.toString(16)}`));
        let value: T | undefined;
        try {
          value = accept(m);
        } catch (cause) {
          return settle(new CtapHidTransactionError('protocol', `malformed CTAPHID answer: ${frameReason(cause)}`, { cause }));
        }
        if (value !== undefined) settle(undefined, value);
      };
      this.#send(packets).catch((cause: unknown) => settle(writeFailed(cause)));
    });
  }

  /**
   * After an abort, timeout or bad frame: sends CTAPHID_CANCEL for a CBOR
   * request, then swallows what the device still says on the channel until a
   * final answer (typically KEEPALIVE_CANCEL) or the grace period ends.
   */
  #drain(cid: number, cancel: boolean, release: () => void): void {
    let assembler = new MessageAssembler(cid);
    const done = () => {
      clearTimeout(timer);
      if (this.#reader === reader) this.#reader = undefined;
      if (this.#fail === fail) this.#fail = undefined;
      release();
    };
    const timer = setTimeout(done, this.#options.cancelGraceMs);
    const reader: Reader = (report) => {
      if (!startsOrContinues(report, cid, assembler)) return;
      try {
        const m = assembler.push(report);
        if (m && m.cmd !== CTAPHID.KEEPALIVE) done();
      } catch {
        assembler = new MessageAssembler(cid); // still draining: a broken frame changes nothing
      }
    };
    const fail: Failer = () => done();
    this.#reader = reader;
    this.#fail = fail;
    if (cancel) this.#send(encodeMessage(cid, CTAPHID.CANCEL, new Uint8Array(0))).catch(() => done());
  }

  /** Writes the reports of one message; a write that fails means the key is gone. */
  async #send(packets: Uint8Array[]): Promise<void> {
    for (const packet of packets) await this.#handle.write(Buffer.from(withReportId(packet)));
  }

  #lost(err: unknown): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#fail?.(new CtapHidTransactionError('device_gone', 'CTAPHID device unplugged or unreadable', { cause: err }));
    void this.#handle.close().catch(() => undefined);
  }
}

/**
 * Whether a report should reach the assembler: ours, and not a continuation
 * left over from an earlier, abandoned answer (those are ignored, not errors).
 */
function startsOrContinues(report: Uint8Array, cid: number, assembler: MessageAssembler): boolean {
  if (report.length < 5) return true; // let the assembler reject it as short
  const reportCid = ((report[0]! << 24) | (report[1]! << 16) | (report[2]! << 8) | report[3]!) >>> 0;
  if (reportCid !== cid) return false;
  return (report[4]! & 0x80) !== 0 || assembler.busy;
}

function cancelled(cmd: number): CtapHidTransactionError {
  return new CtapHidTransactionError('cancelled', `CTAPHID command 0x${cmd.toString(16)} cancelled`);
}

function writeFailed(cause: unknown): CtapHidTransactionError {
  return new CtapHidTransactionError('device_gone', 'could not write to the CTAPHID device', { cause });
}

function frameReason(err: unknown): string {
  return err instanceof CtapHidFrameError ? err.reason : err instanceof Error ? err.message : String(err);
}

/** FIDO devices on the bus (usage page 0xF1D0, usage 1: CTAPHID), openable by path. */
export async function findSecurityKeys(bus: HidBus): Promise<(HidDeviceInfo & { path: string })[]> {
  const all = await bus.list();
  return all.filter((d): d is HidDeviceInfo & { path: string } => d.usagePage === FIDO_USAGE_PAGE && (d.usage ?? FIDO_USAGE) === FIDO_USAGE && typeof d.path === 'string');
}

/** Opens a device by path and allocates a CTAPHID channel on it. */
export async function openCtapHidDevice(bus: HidBus, path: string, options: CtapHidDeviceOptions = {}): Promise<CtapHidDevice> {
  const handle = await bus.open(path);
  return CtapHidDevice.open(handle, options);
}
