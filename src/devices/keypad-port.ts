import type { PinPadInput, PinPadPort } from '../domain/ports.js';
import { KeypadDecoder, KeypadLine } from './keypad.js';
import type { ReportSource } from './pinpad-socket.js';

/**
 * The PinPadPort of a pad that sends boot-keyboard reports (USB HID or the
 * simulator's socket): reports → key presses → lines. An unplug clears the
 * held keys; a malformed report is passed on as `garbled`. Each listen()
 * decodes with its own state.
 */
export function keypadPort(source: ReportSource): PinPadPort {
  return {
    listen(listener) {
      const decoder = new KeypadDecoder();
      const line = new KeypadLine();
      source.onDisconnect(() => {
        decoder.reset();
        listener([{ type: 'unplugged' }]);
      });
      source.onReport((report) => {
        let events;
        try {
          events = decoder.feed(report);
        } catch {
          listener([{ type: 'garbled' }]);
          return;
        }
        const inputs: PinPadInput[] = events.some((e) => e.type === 'key') ? [{ type: 'keys' }] : [];
        for (const e of events) {
          const text = line.apply(e);
          if (text !== undefined) inputs.push({ type: 'line', text });
        }
        if (inputs.length > 0) listener(inputs);
      });
    },
  };
}
