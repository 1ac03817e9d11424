import { ALL_PURPOSES } from '../helpers/purposes.js';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { importPersons } from '../../src/services/import/import-persons.js';
import { openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'design');
// axe-core's own build, evaluated in the page through the DevTools protocol: no script tag,
// so the strict CSP stays as production serves it.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PAGES = [
  '/',
  '/persons',
  '/persons/new',
  '/persons/1',
  '/imports',
  '/gate',
  '/gate/export/new',
  '/entries/new',
  '/entries',
  '/audit',
  '/reports',
  '/incident',
  '/disposal',
  '/admin/users',
  '/admin/security-keys',
  '/admin/status',
  '/admin/backups',
  '/settings',
  '/account/password',
  '/account/pin',
];
const VIEWPORTS = [
  { name: 'office', width: 1366, height: 768 },
  { name: 'phone', width: 375, height: 812 },
] as const;

interface Finding {
  role: string;
  viewport: string;
  path: string;
  id: string;
  impact: string;
  targets: string;
}

let server: Server | undefined;
let base = '';
const cookies: Record<string, Record<string, string>> = {};

/** A vault served on a random port, each role signed in (a session cookie per role). The vault lives for one test. */
async function serve(): Promise<void> {
  const { vault } = await newTestVault();
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,フリガナ,個人番号\n従業員,E1,山田 太郎,ヤマダ タロウ,${syntheticNumber(8_001_234, 5)}\n`), { actor: { id: 't', name: 't' }, purposes: ALL_PURPOSES });
  const app = testApp(vault);
  const listening = createServer(app);
  server = listening;
  await new Promise<void>((r) => listening.listen(0, '127.0.0.1', () => r()));
  const address = listening.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const [role, who] of [['admin', ADMIN], ['handler', HANDLER], ['auditor', AUDITOR]] as const) {
    const b = new Browser(app);
    await b.signIn(who.login, who.password);
    cookies[role] = Object.fromEntries(b.cookies);
  }
}

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** One Chromium per role; each page is checked at both sizes (the viewport is resized, not relaunched). */
async function audit(role: string, findings: Finding[]): Promise<number> {
  let b: OpenBrowser | undefined;
  let pages = 0;
  try {
    b = await openBrowser({ label: `${role}-design`, viewport: { width: VIEWPORTS[0].width, height: VIEWPORTS[0].height } });
    const jar = cookies[role] ?? {};
    await b.context.addCookies(Object.entries(jar).map(([name, value]) => ({ name, value, url: base })));
    const paths = role === 'anonymous' ? ['/login'] : PAGES;
    for (const viewport of VIEWPORTS) {
      await b.page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const path of paths) {
        const res = await b.page.goto(`${base}${path}`);
        if (!res || res.status() !== 200) continue; // a page the role may not open
        pages += 1;
        await b.page.screenshot({ path: join(ARTIFACTS, role, viewport.name, `${path === '/' ? 'home' : path.slice(1).replaceAll('/', '-')}.png`), fullPage: true });
        await b.page.evaluate(AXE_SOURCE);
        // A string, as the other browser tests do: the tests are type-checked without the DOM library.
        const violations = await b.page.evaluate<{ id: string; impact: string; targets: string }[]>(
          "(async () => { const r = await window.axe.run(document, { resultTypes: ['violations'] }); return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', targets: v.nodes.map((n) => JSON.stringify(n.target)).join(' ') })); })()",
        );
        for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') findings.push({ role, viewport: viewport.name, path, ...v });
      }
    }
  } finally {
    await b?.close();
  }
  return pages;
}

describe('design: every page for each role passes axe (no serious or critical violations), screenshots at office and phone sizes', () => {
  for (const role of ['anonymous', 'admin', 'handler', 'auditor'] as const) {
    it(`${role}`, async () => {
      await serve();
      const findings: Finding[] = [];
      let pages = 0;
      pages += await audit(role, findings);
      expect(pages).toBeGreaterThan(0);
      expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
    }, 120_000);
  }
});
