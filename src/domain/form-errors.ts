import { AppError } from './errors.js';

/** A form's problems by field name, each a Japanese message saying what to change. */
export type FieldErrors = Record<string, string>;

/** Raised with every field problem at once, so a form can show each next to its field. */
export class FormError extends AppError {
  constructor(readonly fields: FieldErrors) {
    super('invalid', Object.values(fields).join(' '));
  }
}
