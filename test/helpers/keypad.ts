/** Keypad usages (HID page 0x07) of the PIN pad's keys. */
export const KEYPAD_USAGE: Record<string, number> = { '0': 0x62, '1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e, '7': 0x5f, '8': 0x60, '9': 0x61, '\n': 0x58 };

/** Boot-keyboard reports of typing text on a PIN pad: each key pressed, then released. */
export function keystrokes(text: string): Buffer {
  return Buffer.concat([...text].flatMap((c) => [Buffer.from([0, 0, KEYPAD_USAGE[c]!, 0, 0, 0, 0, 0]), Buffer.alloc(8)]));
}
