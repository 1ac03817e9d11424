import { Secret } from '../domain/secret.js';
import { isRequestCode } from './requests.js';

export type EntryStep =
  { step: 'code' } | { step: 'pin' } | { step: 'pin_again' } | { step: 'submit'; code: string; pin: Secret<string>; again?: Secret<string> } | { step: 'rejected'; reason: 'bad_code' | 'timeout' };

/**
 * The PIN pad dialogue at the appliance: `request code` Enter `PIN` Enter.
 * For a code that asks for it (a PIN enrolment, see `twice`) the PIN is typed
 * twice: `code` Enter `new PIN` Enter `new PIN` Enter. Lines come from
 * KeypadLine; a code that is not 6 digits, a PIN that does not follow within
 * the time limit, or Enter on an empty line starts over, so no half entry stays.
 */
export class PinPadEntry {
  #code: string | undefined;
  #codeAt = 0;
  #first: Secret<string> | undefined;

  constructor(
    private readonly pinWithinMs = 30_000,
    private readonly twice: (code: string) => boolean = () => false,
  ) {}

  line(text: string, now: number): EntryStep {
    if (text === '') {
      // Enter on an empty line starts over: the way back after any mistake.
      this.reset();
      return { step: 'code' };
    }
    if (this.#code !== undefined && now - this.#codeAt > this.pinWithinMs) {
      // A late line is never taken as the next code: it may be the PIN.
      this.reset();
      return { step: 'rejected', reason: 'timeout' };
    }
    if (this.#code === undefined) {
      if (!isRequestCode(text)) return { step: 'rejected', reason: 'bad_code' };
      this.#code = text;
      this.#codeAt = now;
      return { step: 'pin' };
    }
    const code = this.#code;
    if (this.#first === undefined && this.twice(code)) {
      this.#first = new Secret(text);
      this.#codeAt = now;
      return { step: 'pin_again' };
    }
    const first = this.#first;
    this.#code = undefined;
    this.#first = undefined;
    return first ? { step: 'submit', code, pin: first, again: new Secret(text) } : { step: 'submit', code, pin: new Secret(text) };
  }

  /** The device went away mid-entry: forget everything typed. */
  reset(): void {
    this.#code = undefined;
    this.#first?.wipe();
    this.#first = undefined;
  }

  get waitingFor(): 'code' | 'pin' {
    return this.#code === undefined ? 'code' : 'pin';
  }
}
