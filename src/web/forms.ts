import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { looksLikeNumber } from '../domain/digits.js';
import { FormError } from '../services/accounts.js';

/** A posted text field: a string of bounded length, or absent. Arrays and objects are refused. */
export const text = (max = 1000) => z.string().max(max).optional();
/** A posted multi-choice field: one value or several. */
export const choices = (max = 50) => z.union([z.string().max(200), z.array(z.string().max(200)).max(max)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** Parses the body at the edge; shape errors (not field rules) are a 400 with a plain message. */
export function parseBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  const r = schema.safeParse(req.body ?? {});
  if (!r.success) throw new AppError('invalid', '送信された内容の形式が正しくありません（長すぎる入力や想定外の項目）。入力を確認してください。');
  return r.data;
}

export function intParam(value: unknown): number {
  const n = typeof value === 'string' && /^[1-9][0-9]{0,15}$/u.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new AppError('not_found', '指定されたページは存在しません。');
  return n;
}

export function clientOf(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}

/** A copy of a posted form for re-rendering, with any value that could be a My Number blanked. */
export function scrub<T extends Record<string, unknown>>(form: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) {
    out[k] = typeof v === 'string' && looksLikeNumber(v) ? '' : Array.isArray(v) ? v.filter((x) => !(typeof x === 'string' && looksLikeNumber(x))) : v;
  }
  return out as T;
}

/** Runs a form action; a FormError re-renders the form with each message beside its field. */
export function withForm(res: Response, action: () => void, onErrors: (errors: Record<string, string>) => void): void {
  try {
    action();
  } catch (err) {
    if (err instanceof FormError) return onErrors(err.fields);
    throw err;
  }
}
