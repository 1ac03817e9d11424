import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium. Tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
] as const;

export interface OpenOptions {
  /** Shown in problem reports: 'office', 'phone'. */
  label: string;
  viewport: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
}

/** Something a page did that a test should not accept: a console error, an uncaught exception, a CSP violation. */
export interface PageProblem {
  browser: string;
  kind: 'console' | 'pageerror' | 'csp' | 'http';
  url: string;
  text: string;
}

export interface OpenBrowser {
  readonly label: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Everything the watchers saw, in order. */
  readonly problems: PageProblem[];
  close(): Promise<void>;
}

/**
 * A fresh Chromium in its own profile folder, HTTPS errors ignored (the local
 * CA is not trusted by the test browser), Japanese locale and time zone.
 *
 * Playwright refuses `--user-data-dir` in `chromium.launch` args, so when it
 * does the profile is opened with `launchPersistentContext` instead: one
 * persistent context (one profile folder) per person, nothing shared.
 */
export async function openBrowser(opts: OpenOptions): Promise<OpenBrowser> {
  const profile = mkdtempSync(join(tmpdir(), `mnvault-e2e-${opts.label}-`));
  const contextOptions = {
    viewport: opts.viewport,
    isMobile: opts.isMobile ?? false,
    hasTouch: opts.hasTouch ?? false,
    deviceScaleFactor: 1,
    ignoreHTTPSErrors: true,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  };
  let browser: Browser | undefined;
  let context: BrowserContext;
  try {
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, `--user-data-dir=${profile}`] });
      context = await browser.newContext(contextOptions);
    } catch (err) {
      if (!/user-data-dir/iu.test(String((err as Error)?.message ?? err))) throw err;
      browser = undefined;
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: [...FLAGS], ...contextOptions });
    }
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }

  const problems: PageProblem[] = [];
  const note = (kind: PageProblem['kind'], url: string, text: string) => problems.push({ browser: opts.label, kind, url, text });

  // CSP violations reach the page as events; hand them to the test through a binding.
  await context.exposeBinding('__mnvReportCsp', (source, text: string) => note('csp', source.frame.url(), text));
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      if (typeof window.__mnvReportCsp === 'function') window.__mnvReportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
    });`,
  });

  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      const text = msg.text();
      if (msg.type() === 'error' || /Content Security Policy|Refused to/iu.test(text)) note('console', msg.location().url || page.url(), `${msg.type()}: ${text}`);
    });
    page.on('pageerror', (err) => note('pageerror', page.url(), String(err?.stack ?? err)));
    page.on('response', (res) => {
      if (res.status() >= 400) note('http', res.url(), `${res.status()} ${res.request().method()}`);
    });
  };
  for (const existing of context.pages()) watch(existing);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());

  let closed = false;
  return {
    label: opts.label,
    context,
    page,
    problems,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
        await browser?.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Numbered full-page screenshots: DIR/01-login.png, DIR/02-home.png, … */
export class Screenshots {
  readonly files: string[] = [];
  private n = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (/^\d{2}-.*\.png$/u.test(f)) rmSync(join(dir, f));
  }

  /** mask: parts painted over in the image (a revealed number never goes into an artefact). */
  async take(page: Page, name: string, mask: Locator[] = []): Promise<string> {
    this.n += 1;
    const file = join(this.dir, `${String(this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true, mask });
    this.files.push(file);
    return file;
  }
}
