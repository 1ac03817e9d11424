import { describe, expect, it } from 'vitest';
import { assertPrintable, MAX_PDF_HTML_BYTES } from '../../src/reports/pdf.js';

describe('the largest report made into one PDF', () => {
  it('lets a report up to the limit through and refuses a larger one in Japanese, pointing to the HTML print view', () => {
    expect(() => assertPrintable('x'.repeat(MAX_PDF_HTML_BYTES))).not.toThrow();
    expect(() => assertPrintable('x'.repeat(15_000_000))).toThrow(expect.objectContaining({ code: 'invalid', publicMessage: expect.stringMatching(/約2,000ページ.*HTMLの印刷画面から印刷してください/u) }));
  });
});
