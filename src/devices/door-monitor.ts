import type { ModemLines, SerialLine } from '../domain/ports.js';
import { pulseCommands, type RelayConfig } from './relay.js';

/**
 * Pulses the door strike: the opening bytes, the pulse time, then the closing
 * bytes, even if waiting fails. A closing write that fails is tried again
 * (a reopened adapter) before the failure goes to the caller, who raises it:
 * a strike left released is the one failure the door must not keep quiet.
 */
export async function pulseRelay(
  line: Pick<SerialLine, 'write'>,
  config: RelayConfig,
  pulseMs: number,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  lockRetries = 2,
): Promise<void> {
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
