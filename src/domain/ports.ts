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
