import { expect } from 'vitest';
import { AppError, type ErrorCode } from '../../src/domain/errors.js';

/** Runs fn and checks that it throws an AppError with this code. */
export function expectCode(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
}
