import type { HidDeviceInfo, HidHandle, HidTransport } from './hid.js';
import type { ReportSource } from './pinpad-socket.js';

export { nodeHidTransport, type HidHandle, type HidTransport } from './hid.js';

/**
 * A pad may show several HID interfaces (a second one for media or calculator
 * keys). The PIN arrives on the boot keyboard one (Generic Desktop 0x01,
 * Keyboard 0x06); the hidraw backend reports usages, and where they are
 * unknown the first interface with a path is taken.
 */
export function keyboardInterface(devices: HidDeviceInfo[]): HidDeviceInfo | undefined {
  const withPath = devices.filter((d) => d.path);
  return withPath.find((d) => d.usagePage === 0x01 && d.usage === 0x06) ?? withPath.find((d) => d.usagePage === undefined);
}

export type PinPadState = 'searching' | 'connected' | 'closed';

/**
 * A USB PIN pad selected by VID:PID. Reports go to the listeners as they
 * come; an unplug shows as an error, after which the pad is searched for
 * again every retryMs, so a replug works without a restart.
 */
export class HidPinPad implements ReportSource {
  readonly #reports: ((r: Uint8Array) => void)[] = [];
  readonly #gone: (() => void)[] = [];
  #handle: HidHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #state: PinPadState = 'searching';

  constructor(
    private readonly transport: HidTransport,
    private readonly id: { vendorId: number; productId: number },
    private readonly retryMs = 2000,
  ) {}

  get state(): PinPadState {
    return this.#state;
  }

  onReport(listener: (report: Uint8Array) => void): void {
    this.#reports.push(listener);
  }

  onDisconnect(listener: () => void): void {
    this.#gone.push(listener);
  }

  /** Starts looking for the pad; resolves after the first attempt. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#state === 'closed') return;
    try {
      const found = keyboardInterface(await this.transport.find(this.id.vendorId, this.id.productId));
      if (!found?.path) throw new Error('PIN pad not present');
      const handle = await this.transport.open(found.path);
      this.#handle = handle;
      this.#state = 'connected';
      handle.on('data', (data: Buffer) => {
        for (const l of this.#reports) l(new Uint8Array(data));
      });
      handle.on('error', () => void this.#lost());
    } catch {
      this.#retry();
    }
  }

  async #lost(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (this.#state === 'closed') return;
    this.#state = 'searching';
    for (const l of this.#gone) l();
    await handle?.close().catch(() => undefined);
    this.#retry();
  }

  #retry(): void {
    if (this.#state === 'closed') return;
    this.#state = 'searching';
    this.#timer = setTimeout(() => void this.#connect(), this.retryMs);
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    if (this.#timer) clearTimeout(this.#timer);
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
  }
}
