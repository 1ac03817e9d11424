import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { forms, windows } from '../helpers/canary.js';

export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'reports');

/** Writes the PDF as an artefact, renders its pages to PNG, and returns the text of each page (pdftotext -layout). */
export function pdfPages(pdf: Buffer, name: string): { pages: string[]; file: string; info: string } {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.pdf`);
  for (const f of readdirSync(ARTIFACTS)) if (f.startsWith(`${name}-`) && f.endsWith('.png')) rmSync(join(ARTIFACTS, f));
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-png', '-r', '70', file, join(ARTIFACTS, name)]);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  const pages = text.split('\f').filter((p, i, all) => i < all.length - 1 || p.trim() !== '');
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  return { pages, file, info };
}

/** Every page carries the header and "x / y" with the right x and y; the PDF is A4. */
export function expectPaged(doc: { pages: string[]; info: string }, header: readonly string[]): void {
  expect(doc.info).toMatch(/Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/u);
  const y = doc.pages.length;
  expect(Number(/Pages:\s+(\d+)/u.exec(doc.info)![1])).toBe(y);
  doc.pages.forEach((page, i) => {
    for (const h of header) expect(page, `page ${i + 1} header`).toContain(h);
    const numbers = [...page.matchAll(/(\d+) ?\/ ?(\d+)\s*$/gmu)].map((m) => `${m[1]}/${m[2]}`);
    expect(numbers, `page ${i + 1} number`).toContain(`${i + 1}/${y}`);
  });
}

/** No number a test used appears in any form, nor any six digits of it. */
export function expectNoNumbers(text: string, numbers: readonly string[]): void {

  for (const n of numbers) {
    for (const f of forms(n)) expect(text.includes(f), 'a number form').toBe(false);
    for (const w of windows(n)) expect(text.includes(w), 'six digits of a number').toBe(false);
  }
}
