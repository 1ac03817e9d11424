/**
 * The part of node-hid's async API the device adapters use, so tests and the
 * simulated devices can stand in for it. Reports read on Linux/hidraw carry no
 * report id; reports written must start with one (0x00 when unnumbered).
 */

/** One opened HID device, as node-hid's HIDAsync presents it. */
export interface HidHandle {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  /** Writes one output report, report id first; resolves with the bytes written. */
  write(data: Buffer | number[]): Promise<number>;
  close(): Promise<void>;
}

/** A device as enumeration reports it; usagePage/usage are known on the hidraw backend only. */
export interface HidDeviceInfo {
  path?: string | undefined;
  vendorId?: number | undefined;
  productId?: number | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/** Finding and opening devices by VID:PID; the PIN pad needs no more. */
export interface HidTransport {
  find(vendorId: number, productId: number): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidHandle>;
}

/** A transport that can also list every device, to find security keys by usage page. */
export interface HidBus extends HidTransport {
  list(): Promise<HidDeviceInfo[]>;
}

/** node-hid on the hidraw backend (the one that reports usage pages), loaded only when real devices are used. */
export async function nodeHidTransport(): Promise<HidBus> {
  const hid = await import('node-hid');
  hid.setDriverType('hidraw');
  return {
    find: (vendorId, productId) => hid.devicesAsync(vendorId, productId),
    list: () => hid.devicesAsync(),
    open: (path) => hid.HIDAsync.open(path) as Promise<HidHandle>,
  };
}
