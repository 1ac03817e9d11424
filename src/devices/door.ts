import { SerialPort } from 'serialport';
import { pulseCommands, type RelayConfig } from './relay.js';

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

/** A relay command that has not left within this long has failed (a port closed under it never answers). */
export const WRITE_TIMEOUT_MS = 2_000;

/** Opens a serial device (9600 8N1, as LCUS relays use) through the real serialport binding. */
export async function openSerialLine(path: string, baudRate = 9600, writeTimeoutMs = WRITE_TIMEOUT_MS): Promise<SerialLine> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(Object.assign(new Error('serial write timed out'), { code: 'ETIMEDOUT' })), writeTimeoutMs);
        const settle = (err: Error | null | undefined) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        port.write(Buffer.from(bytes), (err) => (err ? settle(err) : port.drain((e) => settle(e))));
      }),
    get: () => new Promise<ModemLines>((resolve, reject) => port.get((err, status) => (err || !status ? reject(err ?? new Error('no modem status')) : resolve(status)))),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/**
 * A serial line opened on first use and opened again after any failure, so a
 * USB adapter unplugged and plugged back works again without a restart (each
 * failure still reaches the caller, which reports it).
 */
export function reopeningSerialLine(path: string, open: (path: string) => Promise<SerialLine> = (p) => openSerialLine(p)): SerialLine {
  let current: Promise<SerialLine> | undefined;
  // One operation at a time: the relay and the sensor may share an adapter, and a
  // failing sensor read must not close the port under a relay write (the lock command).
  let turn: Promise<unknown> = Promise.resolve();
  const drop = () => {
    const broken = current;
    current = undefined;
    // The line already failed; closing it is tidying up, and its own error adds nothing.
    void broken?.then((l) => l.close()).catch(() => undefined);
  };
  const use = <T>(fn: (l: SerialLine) => Promise<T>): Promise<T> => {
    const run = turn.then(async () => {
      current ??= open(path);
      try {
        return await fn(await current);
      } catch (err) {
        drop();
        throw err;
      }
    });
    turn = run.catch(() => undefined);
    return run;
  };
  return {
    write: (bytes) => use((l) => l.write(bytes)),
    get: () => use((l) => l.get()),
    close: async () => {
      const l = current;
      current = undefined;
      if (l) await l.then((x) => x.close(), () => undefined);
    },
  };
}

/**
 * Pulses the door strike: the opening bytes, the pulse time, then the closing
 * bytes, even if waiting fails. A closing write that fails is tried again
 * (a reopened adapter) before the failure goes to the caller, who raises it:
 * a strike left released is the one failure the door must not keep quiet.
 */
export async function pulseRelay(line: Pick<SerialLine, 'write'>, config: RelayConfig, pulseMs: number, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), lockRetries = 2): Promise<void> {
  const { open, close } = pulseCommands(config);
  await line.write(open);
  try {
    await sleep(pulseMs);
  } finally {
    for (let attempt = 0; ; attempt++) {
      try {
        await line.write(close);
        break;
      } catch (err) {
        if (attempt >= lockRetries) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

export type DoorEvent = { type: 'opened' } | { type: 'closed' } | { type: 'held'; openMs: number } | { type: 'forced' };

/**
 * The door's story from sensor samples, as pure logic: opened and closed
 * edges; held when it stays open past heldAfterMs (once per opening); forced
 * when it opens while no approved entry allows it.
 */
export class DoorMonitor {
  #open: boolean | undefined;
  #openedAt = 0;
  #heldReported = false;
  #entryUntil = 0;

  constructor(private readonly heldAfterMs: number) {}

  /** An approval at the appliance lets the door open until this time. */
  allowEntry(until: number): void {
    this.#entryUntil = Math.max(this.#entryUntil, until);
  }

  sample(open: boolean, now: number): DoorEvent[] {
    const events: DoorEvent[] = [];
    if (this.#open === undefined) {
      // The first sample only sets the state: a door found open at start is not an event.
      this.#open = open;
      this.#openedAt = now;
      return events;
    }
    if (open && !this.#open) {
      this.#openedAt = now;
      this.#heldReported = false;
      events.push({ type: 'opened' });
      if (now > this.#entryUntil) events.push({ type: 'forced' });
    } else if (!open && this.#open) {
      events.push({ type: 'closed' });
    } else if (open && !this.#heldReported && now - this.#openedAt > this.heldAfterMs) {
      this.#heldReported = true;
      events.push({ type: 'held', openMs: now - this.#openedAt });
    }
    this.#open = open;
    return events;
  }
}

export interface DoorSensorConfig {
  line: keyof ModemLines;
  /** The line's level when the door is closed (a normally-closed reed switch reads true). */
  closedLevel: boolean;
  intervalMs: number;
}

/**
 * Polls a modem line (there is no change event for them) and feeds the
 * monitor. A failing read is reported, not guessed: the door is unknown then.
 */
export function pollDoor(
  source: Pick<SerialLine, 'get'>,
  config: DoorSensorConfig,
  monitor: DoorMonitor,
  onEvents: (events: DoorEvent[]) => void,
  onError: (err: unknown) => void,
  now: () => number = Date.now,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    try {
      const lines = await source.get();
      const events = monitor.sample(lines[config.line] !== config.closedLevel, now());
      if (events.length) onEvents(events);
    } catch (err) {
      onError(err);
    }
    if (!stopped) timer = setTimeout(() => void tick(), config.intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
