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
