/**
 * Card readers through pcscd (PC/SC), with the `smartcard` N-API binding
 * loaded lazily, so a machine without libpcsclite still runs everything else.
 * The only module that touches PC/SC. The daemon's socket is the default
 * (/run/pcscd/pcscd.comm) unless PCSCLITE_CSOCK_NAME names another (tests run
 * a private pcscd).
 *
 * Readers come and go: each call lists them afresh, and a context that went
 * bad (pcscd restarted) is replaced, so a replugged reader works without a
 * restart of the appliance.
 */
import { createRequire } from 'node:module';
import type { CardReaders, CardReaderState, CardSession } from '../domain/card-reader.js';
import { AppError } from '../domain/errors.js';

type Lib = typeof import('smartcard');
type Ctx = InstanceType<Lib['Context']>;

let lib: Lib | undefined;

function load(): Lib {
  lib ??= createRequire(import.meta.url)('smartcard') as Lib;
  return lib;
}

/**
 * With readers present, waitForCard sleeps in SCardGetStatusChange (woken the
 * moment pcscd sees a card) and looks for new readers every LIST_MS; with none,
 * it lists again every LIST_MS.
 */
const LIST_MS = 500;

export class PcscCardReaders implements CardReaders {
  #ctx: Ctx | undefined;

  state(): CardReaderState {
    try {
      const readers = this.#readers().map((r) => ({ name: r.name, card: (r.state & load().SCARD_STATE_PRESENT) !== 0 }));
      return { service: 'running', readers };
    } catch {
      this.#drop();
      return { service: 'unavailable', readers: [] };
    }
  }

  async waitForCard(timeoutMs: number, signal?: AbortSignal): Promise<CardSession> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw new AppError('device_unavailable', 'カードの読み取りを取り消しました。');
      let readers;
      try {
        readers = this.#readers();
      } catch (cause) {
        this.#drop();
        throw new AppError('device_unavailable', 'カードリーダーのサービス（pcscd）に接続できません。pcscd が動いているか確認してください。', { cause });
      }
      const present = readers.find((r) => (r.state & load().SCARD_STATE_PRESENT) !== 0 && (r.state & load().SCARD_STATE_MUTE) === 0);
      if (present !== undefined) {
        try {
          const card = await present.connect(load().SCARD_SHARE_EXCLUSIVE, load().SCARD_PROTOCOL_T0 | load().SCARD_PROTOCOL_T1);
          return new PcscSession(present.name, card);
        } catch {
          // The card left between the listing and the connect, or another program holds it: look again.
        }
      }
      if (Date.now() >= until) {
        throw new AppError(
          'device_unavailable',
          readers.length === 0 ? 'カードリーダーが見つかりません。リーダーを接続してからやり直してください。' : 'カードが置かれませんでした。カードをリーダーに置いてからやり直してください。',
        );
      }
      await this.#waitForChange(readers, Math.min(until - Date.now(), LIST_MS), signal);
    }
  }

  close(): void {
    this.#drop();
  }

  async #waitForChange(readers: ReturnType<Ctx['listReaders']>, ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) return;
    if (readers.length === 0) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    const ctx = this.#ctx!;
    const cancel = () => ctx.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await ctx.waitForChange(readers, ms);
    } catch {
      // Cancelled, or pcscd went away: the next listing says which.
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  #readers() {
    this.#ctx ??= new (load().Context)();
    return this.#ctx.listReaders();
  }

  #drop(): void {
    try {
      this.#ctx?.close();
    } catch {
      // The context is already gone with the daemon; nothing to release.
    }
    this.#ctx = undefined;
  }
}

class PcscSession implements CardSession {
  /** Set once an exchange failed: the card left the reader (or stopped answering). */
  #gone = false;

  constructor(
    readonly reader: string,
    private readonly card: Awaited<ReturnType<ReturnType<Ctx['listReaders']>[number]['connect']>>,
  ) {}

  /** The copy handed to the binding is zeroed afterwards: a VERIFY carries the PIN. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const command = Buffer.from(apdu);
    const gone = (cause?: unknown) =>
      new AppError('device_unavailable', 'カードが読み取りの途中で離れました。カードをリーダーに置き直して、最初からやり直してください。', { cause });
    try {
      const answer = await this.card.transmit(command, { autoGetResponse: true });
      // A card leaving during the exchange can come back as an empty answer rather than an error.
      if (answer.length < 2) throw gone();
      return new Uint8Array(answer);
    } catch (cause) {
      this.#gone = true;
      if (cause instanceof AppError) throw cause;
      throw gone(cause);
    } finally {
      command.fill(0);
    }
  }

  /**
   * Power-cycles the card (which ends its verified PIN state), then lets go of
   * it (a card that left is only let go of). The power cycle goes through the binding's asynchronous reconnect: its
   * disconnect is synchronous, and a card that must answer during it (the
   * virtual card in this process) would never get the chance.
   */
  async close(): Promise<void> {
    try {
      // Not on a card that left: pcscd 1.9 then marks the reader empty by itself,
      // behind its reader thread's back, and that thread, still believing the old
      // card present, never reports the next card put down within its poll
      // interval. The reader would look empty until the service restarts.
      if (!this.#gone) await this.card.reconnect(load().SCARD_SHARE_SHARED, load().SCARD_PROTOCOL_T0 | load().SCARD_PROTOCOL_T1, load().SCARD_UNPOWER_CARD);
    } catch {
      // The card already left the reader: nothing of it stays powered.
    }
    try {
      this.card.disconnect(load().SCARD_LEAVE_CARD);
    } catch {
      // Already disconnected with the card gone.
    }
  }
}
