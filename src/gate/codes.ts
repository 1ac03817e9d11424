import { randomInt } from 'node:crypto';

/** Draws a PIN-pad code: six decimal digits, uniform, never predictable. Tests pass a scripted source. */
export type CodeSource = () => string;

/** The system's CSPRNG. */
export const randomCode: CodeSource = () => String(randomInt(0, 1_000_000)).padStart(6, '0');
