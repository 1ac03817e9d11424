import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/errors.js';
import { logFailure, newReference } from '../failure-log.js';
import { logEvent, type LogEvent } from '../log.js';

/** Debian's Chromium (apt-get install chromium). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * The browser itself behind Debian's /usr/bin/chromium. That file is a shell script which greps
 * /proc/cpuinfo for sse3 and exits 1 when it cannot read it, and the unit's ProcSubset=pid hides
 * /proc/cpuinfo: under the installed service every PDF failed. So the binary is launched directly,
 * with the wrapper's flags that matter here (FLAGS below).
 */
export const DEBIAN_CHROMIUM_BINARY = '/usr/lib/chromium/chromium';

/**
 * --no-zygote: with --no-sandbox Chromium's zygote still calls unshare(CLONE_NEWUSER) for each
 * child and aborts ("credentials.cc: Check failed: Operation not permitted") under the unit's
 * RestrictNamespaces=yes; without the zygote the children are plain fork+exec, which the unit's
 * filter allows, so no sandbox option of the unit is relaxed for PDFs (exposure unchanged).
 * --disable-dev-shm-usage, --disable-pings, --no-default-browser-check: as Debian's wrapper adds
 * them (its /etc/chromium.d); shared memory then goes to the service's PrivateTmp.
 */
const FLAGS = [
  '--headless', '--no-sandbox', '--no-zygote', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-pings', '--no-default-browser-check',
];

/** The file to execute for PATH: Debian's wrapper is replaced by the browser binary when that exists. */
export function chromiumExecutable(path: string): string {
  if (path !== DEFAULT_CHROMIUM) return path;
  try {
    accessSync(DEBIAN_CHROMIUM_BINARY, constants.X_OK);
    return DEBIAN_CHROMIUM_BINARY;
  } catch {
    return path; // not Debian's layout: the configured file is the browser
  }
}

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
export async function htmlToPdf(html: string, configuredPath = DEFAULT_CHROMIUM, log: LogEvent = logEvent): Promise<Buffer> {
  const executablePath = chromiumExecutable(configuredPath);
  try {
    assertChromium(executablePath);
  } catch (err) {
    log('error', 'pdf_browser_failed', { chromium: executablePath, cause: 'not executable' });
    throw err;
  }
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
    // The cause names the browser's own complaint (its stderr, the launch step); the document went
    // in through setContent, so no part of it is in the message.
    // One reference id for both lines: the browser's complaint here, the frames in pdf_failed.
    const ref = err instanceof AppError ? undefined : newReference();
    log('error', 'pdf_browser_failed', { chromium: executablePath, cause: causeOf(err), ...(ref && { ref }) });
    if (err instanceof AppError) throw err;
    logFailure('pdf_failed', err, { ref });
    throw new AppError('device_unavailable', `Chromium でPDFを作れませんでした（参照ID: ${ref}）。サーバーのログを確認し、HTMLの印刷画面から印刷してください。`, { cause: err });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The error's message, bounded, for the log. */
function causeOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}
