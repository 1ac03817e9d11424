import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { htmlToPdf } from '../../src/reports/pdf.js';
import { captureStderr } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';

describe('a PDF that fails', () => {
  it('logs the failure with a reference id, classes and frames, and names that id to the user', async () => {
    const number = syntheticNumber(77, 5);
    const log = captureStderr();
    let caught: unknown;
    try {
      // An executable that is not a browser: the launch fails as a broken Chromium would.
      await htmlToPdf(`<p>${number}</p>`, '/bin/false');
    } catch (e) {
      caught = e;
    } finally {
      log.restore();
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('device_unavailable');
    const ref = /参照ID: ([0-9a-f]{8})/u.exec((caught as AppError).publicMessage)?.[1];
    const lines = log.lines.join('').split('\n').filter((l) => l.includes('"pdf_failed"'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { ref: string; error: { class: string; frames: string[] } };
    expect(line.ref).toBe(ref);
    expect(line.error.frames.length).toBeGreaterThan(0);
    expect(log.lines.join('')).not.toContain(number);
  });
});
