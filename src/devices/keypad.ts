/**
 * USB PIN pads that present as boot keyboards: 8-byte reports of modifiers,
 * a reserved byte and up to six pressed usages (HID usage page 0x07). Pure
 * code: reports in, key events out. A report carries state, so presses are
 * the usages that appear since the previous report.
 */
export type Key = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'enter' | 'backspace' | 'clear';

const USAGE_KEYS: Record<number, Key | Key[]> = {
  // Keypad digits 1-9, 0.
  0x59: '1', 0x5a: '2', 0x5b: '3', 0x5c: '4', 0x5d: '5', 0x5e: '6', 0x5f: '7', 0x60: '8', 0x61: '9', 0x62: '0',
  // Main-row digits 1-9, 0.
  0x1e: '1', 0x1f: '2', 0x20: '3', 0x21: '4', 0x22: '5', 0x23: '6', 0x24: '7', 0x25: '8', 0x26: '9', 0x27: '0',
  0x58: 'enter', 0x28: 'enter',
  0x2a: 'backspace', 0xbb: 'backspace',
  0x29: 'clear', 0xd8: 'clear', 0x63: 'clear',
  0xb0: ['0', '0'], 0xb1: ['0', '0', '0'],
};

const ROLLOVER = 0x01;

export interface KeypadReport {
  modifiers: number;
  usages: number[];
  /** ErrorRollOver: too many keys at once; the report says nothing about which. */
  rollover: boolean;
}

/** Decodes one boot-keyboard report (8 bytes, or 9 with a leading report id). */
export function decodeKeypadReport(bytes: Uint8Array): KeypadReport {
  const r = bytes.length === 9 ? bytes.subarray(1) : bytes;
  if (r.length !== 8) throw new Error(`keypad report must be 8 bytes (or 9 with a report id), got ${bytes.length}`);
  const slots = [...r.subarray(2, 8)];
  const rollover = slots.every((u) => u === ROLLOVER);
  return { modifiers: r[0]!, usages: rollover ? [] : slots.filter((u) => u !== 0 && u !== ROLLOVER), rollover };
}

export type KeypadEvent = { type: 'key'; key: Key } | { type: 'rollover' };

/**
 * Turns the report stream into key presses: a usage counts once when it
 * appears, not while held. After a rollover report the held set is unknown,
 * so keys still down then do not repeat, and the entry should be cleared.
 */
export class KeypadDecoder {
  #held = new Set<number>();

  feed(bytes: Uint8Array): KeypadEvent[] {
    const report = decodeKeypadReport(bytes);
    if (report.rollover) return [{ type: 'rollover' }];
    const events: KeypadEvent[] = [];
    for (const u of report.usages) {
      if (this.#held.has(u)) continue;
      const k = USAGE_KEYS[u];
      if (k === undefined) continue;
      for (const key of Array.isArray(k) ? k : [k]) events.push({ type: 'key', key });
    }
    this.#held = new Set(report.usages);
    return events;
  }

  reset(): void {
    this.#held.clear();
  }
}

/**
 * Collects keys into lines: digits append, Backspace removes one, Clear (Esc)
 * or a rollover empties the line, Enter hands the line over. A line longer
 * than maxLength is emptied rather than cut, so nothing half-typed is used.
 */
export class KeypadLine {
  #digits = '';

  constructor(private readonly maxLength = 32) {}

  /** Returns the finished line on Enter, else undefined. */
  apply(event: KeypadEvent): string | undefined {
    if (event.type === 'rollover') {
      this.#digits = '';
      return undefined;
    }
    switch (event.key) {
      case 'enter': {
        const line = this.#digits;
        this.#digits = '';
        return line;
      }
      case 'backspace':
        this.#digits = this.#digits.slice(0, -1);
        return undefined;
      case 'clear':
        this.#digits = '';
        return undefined;
      default:
        this.#digits = this.#digits.length >= this.maxLength ? '' : this.#digits + event.key;
        return undefined;
    }
  }

  /** How many digits are typed so far (shown as dots, never the digits). */
  get length(): number {
    return this.#digits.length;
  }
}
