import { ALL_PURPOSES } from '../helpers/purposes.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { actorOf } from '../../src/services/accounts.js';
import { proposeDisposal } from '../../src/services/disposal.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { SoftAuthenticator } from '../../src/devices/soft-authenticator.js';
import { Secret } from '../../src/domain/secret.js';
import { hidKeyOpener } from '../../src/services/security-key-station.js';
import { enrolSecurityKey } from '../../src/services/security-keys.js';
import { issueIntakeCode } from '../../src/services/intake.js';
import { registerPerson, retirePerson } from '../../src/services/persons.js';
import type { Page } from 'playwright-core';
import { openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { defaultCodePurposes } from '../helpers/purposes.js';
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
  // Intake and edit forms of the register (person 2 has no number yet).
  '/persons/2/intake',
  '/persons/2/identity-check',
  '/persons/2/card-intake',
  '/persons/1/edit',
  '/persons/1/dependants/new',
  '/persons/1/erase',
  '/campaigns',
  '/campaigns/1',
  // The filing season: the upload form, the handover records and the year view.
  '/filings',
  '/filing-records',
  '/filing-records/year',
  '/filing-records/year/persons',
  // The setup wizard.
  '/admin/setup',
  '/admin/setup/company',
  '/admin/setup/networks',
  '/admin/setup/handlers',
  '/admin/setup/pinpad',
  '/admin/setup/security-key',
  '/admin/setup/door',
  '/admin/setup/backup',
  '/admin/setup/finish',
  // Accounts: a user's edit, PIN and password pages.
  '/admin/users/new',
  '/admin/users/{handler}/edit',
  '/admin/users/{handler}/pin',
  '/admin/users/{handler}/password',
  '/admin/retention',
  '/admin/ledger',
  '/account/second-factor',
  '/exports',
  // The 利用目的通知書 handed to employees.
  '/persons/1/notice',
  // The disposal proposal's page, and the waiting pages of a reveal and an export.
  '/disposal/{disposal}',
  '/gate/{reveal}',
  '/gate/{export}',
];

/** Pages reached by a post: the form page is opened, then the post is sent from it (its CSRF token), and the answer checked. */
interface Posted {
  name: string;
  from: string;
  action: string;
  fields: Record<string, string>;
}
const POSTED: Posted[] = [
  // Confirmation pages: 退職 with a past date, disposal approval.
  { name: 'confirm-retire', from: '/persons/1', action: '/persons/1/retire', fields: { date: '2020-03-31' } },
  { name: 'confirm-disposal', from: '/disposal/{disposal}', action: '/disposal/{disposal}/approve', fields: {} },
  // A form answered with its errors.
  { name: 'persons-new-error', from: '/persons/new', action: '/persons', fields: { kind: 'employee', code: '', name: '' } },
  // The admin starts a handler's PIN enrolment at the appliance: the page with the code and the countdown.
  { name: 'pin-enrolment', from: '/admin/users/{handler}/pin', action: '/admin/users/{handler}/pin-enrolment', fields: { adminPin: ADMIN.pin } },
  { name: 'backup-drill-error', from: '/admin/backups', action: '/admin/backups/drills', fields: { drilledOn: 'きのう', result: '', note: '' } },
  // Revoking a security key asks first (without confirm=1 nothing is revoked, so both sizes see the page).
  { name: 'confirm-revoke-key', from: '/admin/security-keys', action: '/admin/security-keys/{key}/revoke', fields: {} },
];
/** The employee's self-intake pages (signed out), each viewport with its own code. */
const SELF_INTAKE: Posted[] = [
  { name: 'intake-code', from: '/intake', action: '', fields: {} },
  { name: 'intake-form', from: '/intake?code={code}', action: '', fields: {} },
  { name: 'intake-error', from: '/intake?code={code}', action: '/intake', fields: { code: '{code}', own: '12345', acknowledged: '' } },
  { name: 'intake-done', from: '/intake?code={code}', action: '/intake', fields: { code: '{code}', own: '{number}', acknowledged: 'yes' } },
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
  // 2 and 4 without a number (intake forms, self-intake codes), 3 retired long ago (a disposal proposal).
  const employee = (code: string, name: string) => registerPerson(vault, { id: 't', name: 't' }, { kind: 'employee', code, name, kana: '', birthDate: '1980-01-01', relationship: '', corporateNumber: '' }, null, null);
  employee('E2', '佐藤 花子');
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,フリガナ,個人番号\n従業員,E3,鈴木 一郎,スズキ イチロウ,${syntheticNumber(8_001_235, 5)}\n`), { actor: { id: 't', name: 't' }, purposes: ALL_PURPOSES });
  employee('E4', '高橋 次郎');
  mkdirSync(ARTIFACTS, { recursive: true });
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
  // The pages that need something to show: a campaign, a waiting reveal and export, a disposal proposal, two codes.
  const seed = { id: 't', name: 't' };
  const handlerUser = vault.users.byLogin(HANDLER.login)!;
  const h = new Browser(app);
  await h.signIn(HANDLER.login, HANDLER.password);
  await h.get('/campaigns');
  const campaign = await h.post('/campaigns', { name: '入社時の番号収集', filter: 'missing', validDays: '14', purposes_employee: ['withholding_slip'] });
  expect(campaign.headers.location).toBe('/campaigns/1');
  await h.get('/persons/1');
  const reveal = await h.post('/gate/reveal', { personId: '1', purpose: 'withholding_slip' });
  await h.get('/gate/export/new');
  const exported = await h.post('/gate/export', { set: 'employees', purpose: 'withholding_slip', encoding: 'utf8_bom' });
  const idOf = (location: string | undefined) => /\/gate\/(\d+)$/u.exec(location ?? '')?.[1] ?? 'none';
  retirePerson(vault, seed, 3, '2010-03-31', null);
  const disposal = proposeDisposal(vault, handlerUser, { personIds: ['3'] }, null);
  // The handler's key, enrolled with a software key that touches itself (the revoke confirmation needs one).
  const keys = hidKeyOpener(new SoftAuthenticator({ touch: 'auto' }).transport);
  const port = await keys.open((await keys.list())[0]!);
  const key = await enrolSecurityKey(vault, { admin: vault.users.byLogin(ADMIN.login)!, adminPin: new Secret(ADMIN.pin), userId: handlerUser.id, label: '総務の青いキー', key: port }).finally(() => port.close());
  fill = {
    handler: handlerUser.id, reveal: idOf(reveal.headers.location), export: idOf(exported.headers.location), disposal: String(disposal),
    key: String(key.id),
    // Each viewport's own code: the done page uses it up.
    'code:office': issueIntakeCode(vault, actorOf(handlerUser), 2, null, defaultCodePurposes(vault, 2)).code,
    'code:phone': issueIntakeCode(vault, actorOf(handlerUser), 4, null, defaultCodePurposes(vault, 4)).code,
    'number:office': syntheticNumber(8_001_240, 5),
    'number:phone': syntheticNumber(8_001_241, 5),
  };
}

let fill: Record<string, string> = {};
/** A path or field with its {placeholders} filled for the viewport. */
const filled = (text: string, viewport: string) => text.replace(/\{([a-z]+)\}/gu, (_m, k: string) => fill[`${k}:${viewport}`] ?? fill[k] ?? `{${k}}`);

/** Opens `from`, then (with an action) posts the fields from that page with its CSRF token; the answer's status. */
async function openPosted(page: Page, base: string, p: Posted, viewport: string): Promise<number> {
  const first = await page.goto(`${base}${filled(p.from, viewport)}`);
  if (!first || first.status() !== 200 || !p.action) return first?.status() ?? 0;
  const fields = Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, filled(v, viewport)]));
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(
      `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = ${JSON.stringify(filled(p.action, viewport))};
        const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.append(i); };
        const t = document.querySelector('input[name=_csrf]'); if (t) add('_csrf', t.value);
        for (const [n, v] of Object.entries(${JSON.stringify(fields)})) add(n, v);
        document.body.append(f); f.submit(); })()`,
    ),
  ]);
  return answer?.status() ?? 0;
}

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** One Chromium per role; each page is checked at both sizes (the viewport is resized, not relaunched). */
async function audit(role: string, findings: Finding[], visited: Set<string>): Promise<number> {
  let b: OpenBrowser | undefined;
  let pages = 0;
  try {
    b = await openBrowser({ label: `${role}-design`, viewport: { width: VIEWPORTS[0].width, height: VIEWPORTS[0].height } });
    const jar = cookies[role] ?? {};
    await b.context.addCookies(Object.entries(jar).map(([name, value]) => ({ name, value, url: base })));
    const steps: Posted[] =
      role === 'anonymous'
        ? [{ name: 'login', from: '/login', action: '', fields: {} }, ...SELF_INTAKE]
        : [...PAGES.map((path) => ({ name: path === '/' ? 'home' : path.slice(1).replace(/\{([a-z]+)\}/gu, '$1').replaceAll('/', '-'), from: path, action: '', fields: {} })), ...POSTED];
    for (const viewport of VIEWPORTS) {
      await b.page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const step of steps) {
        const path = step.name;
        const status = await openPosted(b.page, base, step, viewport.name);
        // A page the role may not open; the error form answers 400 and is checked like any page.
        if (status !== 200 && !(status === 400 && step.action)) continue;
        pages += 1;
        visited.add(`${viewport.name} ${step.name}`);
        await b.page.screenshot({ path: join(ARTIFACTS, role, viewport.name, `${step.name}.png`), fullPage: true });
        await b.page.evaluate(AXE_SOURCE);
        // A string, as the other browser tests do: the tests are type-checked without the DOM library.
        const violations = await b.page.evaluate<{ id: string; impact: string; targets: string }[]>(
          "(async () => { const r = await window.axe.run(document, { resultTypes: ['violations'] }); return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', targets: v.nodes.map((n) => JSON.stringify(n.target)).join(' ') })); })()",
        );
        for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') findings.push({ role, viewport: viewport.name, path, ...v });
        // No page scrolls sideways at either size: the widest element that sticks out is named.
        const overflow = await b.page.evaluate<{ by: number; what: string }>(
          "(() => { const w = document.documentElement.clientWidth; let worst = { by: document.documentElement.scrollWidth - w, what: '' }; for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect(); if (r.right - w > 0 && !worst.what) worst = { by: Math.round(r.right - w), what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') }; } return worst; })()",
        );
        if (overflow.by > 0) findings.push({ role, viewport: viewport.name, path, id: 'scrolls-sideways', impact: 'serious', targets: `${overflow.by}px ${overflow.what}` });
      }
    }
  } finally {
    await b?.close();
  }
  return pages;
}

const MUST_SEE: Record<string, string[]> = {
  anonymous: ['login', 'intake-code', 'intake-form', 'intake-error', 'intake-done'],
  admin: ['admin-setup-company', 'admin-setup-finish', 'admin-users-handler-edit', 'admin-users-handler-pin', 'admin-users-handler-password', 'disposal-disposal', 'confirm-disposal', 'confirm-retire', 'persons-1-erase', 'backup-drill-error', 'pin-enrolment', 'admin-ledger', 'persons-1-notice', 'confirm-revoke-key'],
  handler: ['gate-reveal', 'gate-export', 'persons-2-intake', 'persons-2-identity-check', 'persons-1-edit', 'campaigns-1', 'confirm-retire', 'persons-new-error', 'disposal-disposal'],
  auditor: ['home', 'audit', 'reports'],
};

describe('design: every page for each role passes axe (no serious or critical violations), screenshots at office and phone sizes', () => {
  for (const role of ['anonymous', 'admin', 'handler', 'auditor'] as const) {
    it(`${role}`, async () => {
      await serve();
      const findings: Finding[] = [];
      const visited = new Set<string>();
      let pages = 0;
      pages += await audit(role, findings, visited);
      expect(pages).toBeGreaterThan(0);
      // The pages each role must reach (a fixture that stopped working would otherwise skip them silently).
      for (const v of VIEWPORTS) for (const name of MUST_SEE[role] ?? []) expect(visited, `${role} ${v.name} ${name}`).toContain(`${v.name} ${name}`);
      expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
    }, 300_000);
  }
});
