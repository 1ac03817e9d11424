/**
 * What the domain and services need from the outside world. Adapters live in
 * storage/, vault/ and devices/; tests pass fixed clocks and fake devices.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock & { advance(ms: number): void } {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Modem input lines of a USB-serial adapter (a reed switch is wired to one of them). */
export interface ModemLines {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}

/** What the door code needs of a serial port: bytes out (relay) and modem lines in (sensor). */
export interface SerialLine {
  write(bytes: Uint8Array): Promise<void>;
  get(): Promise<ModemLines>;
  close(): Promise<void>;
}

/**
 * What the PIN pad's dialogue at the appliance gets from the pad, decoded by
 * the device adapter (src/devices/keypad-port.ts): `keys` when keys were
 * pressed (when, never which), each finished `line` (typed digits, on Enter),
 * `garbled` for a report that could not be read (what was typed is dropped),
 * `unplugged` when the pad went away.
 */
export type PinPadInput = { type: 'keys' } | { type: 'line'; text: string } | { type: 'garbled' } | { type: 'unplugged' };

/** A PIN pad: each report from the device arrives as the inputs it carries, in order. */
export interface PinPadPort {
  listen(listener: (inputs: readonly PinPadInput[]) => void): void;
}
