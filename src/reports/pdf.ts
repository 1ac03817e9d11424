import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/errors.js';
import { logFailure } from '../failure-log.js';

/** Debian's Chromium (apt-get install chromium). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const CHROMIUM_MISSING = (path: string) =>
  `PDFを作るための Chromium（${path}）が見つからないか、実行できません。apt-get install chromium で入れるか、MNVAULT_CHROMIUM で場所を指定してください。HTMLの印刷画面からは印刷できます。`;

/** Throws 'device_unavailable' in Japanese when the browser cannot be run. */
export function assertChromium(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch (cause) {
    throw new AppError('device_unavailable', CHROMIUM_MISSING(path), { cause });
  }
}

/**
 * The largest report made into one PDF. Measured on the appliance: 20,000
 * rows of the monthly record (about 3 MB of HTML, 401 A4 pages) take about
 * 27 s, and Chromium's printing fails outright on 100,000 (about 2,000
 * pages). Larger reports are printed from the HTML print view instead.
 */
export const MAX_PDF_HTML_BYTES = 4 * 1024 * 1024;
/** About this much HTML fills one A4 page of the monthly record. */
const HTML_BYTES_PER_PAGE = 7_500;

export function assertPrintable(html: string): void {
  const bytes = Buffer.byteLength(html, 'utf8');
  if (bytes <= MAX_PDF_HTML_BYTES) return;
  const pages = Math.round(bytes / HTML_BYTES_PER_PAGE / 100) * 100;
  throw new AppError(
    'invalid',
    `この帳票はA4で約${pages.toLocaleString('ja-JP')}ページになるため、PDFにはできません（PDFは約500ページまで）。HTMLの印刷画面から印刷してください。`,
  );
}

/**
 * Prints one self-contained HTML document to an A4 PDF with headless Chromium.
 * The HTML goes in through setContent (never a temp file: names are personal
 * data); the browser runs offline, without script, in a fresh profile folder
 * that is removed afterwards.
 */
export async function htmlToPdf(html: string, executablePath = DEFAULT_CHROMIUM): Promise<Buffer> {
  assertChromium(executablePath);
  assertPrintable(html);
  // Loaded only when a PDF is made: playwright-core costs the server tens of MB of memory otherwise.
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'mnvault-pdf-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: FLAGS,
      offline: true,
      javaScriptEnabled: false,
      locale: 'ja-JP',
      timezoneId: 'Asia/Tokyo',
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent(html, { waitUntil: 'load' });
      return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    } finally {
      await context.close();
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const ref = logFailure('pdf_failed', err);
    throw new AppError('device_unavailable', `Chromium でPDFを作れませんでした（参照ID: ${ref}）。サーバーのログを確認し、HTMLの印刷画面から印刷してください。`, { cause: err });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
