import { describe, expect, it } from 'vitest';
import { purposeCodesFor } from '../../src/domain/purposes.js';
import { Secret } from '../../src/domain/secret.js';
import { actorOf, createUser } from '../../src/services/accounts.js';
import { issueIntakeCode, recordIntake } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { M } from '../../src/web/messages.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { AUDITOR, addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { defaultCodePurposes } from '../helpers/purposes.js';

/**
 * Every route of src/web/routes × {anonymous, admin, handler, auditor}.
 * Each role gets its own vault with the same fixtures, and walks the whole
 * table in order (state-changing rows are ordered so each finds what it needs).
 */

type Who = 'anonymous' | 'admin' | 'handler' | 'auditor';
const WHO: readonly Who[] = ['anonymous', 'admin', 'handler', 'auditor'];
const CREDENTIALS = { admin: ADMIN, handler: HANDLER, auditor: AUDITOR } as const;

interface Fixture {
  employee: number;
  dependant: number;
  retiree: number;
  intakeTarget: number;
  held: number;
  selfPerson: number;
  code: string;
  targetUser: string;
}

interface Outcome {
  status: number;
  /** The Location header, for redirects. */
  location?: RegExp;
  /** Text the page must contain. */
  contains?: string;
}

const OK: Outcome = { status: 200 };
const TO_LOGIN: Outcome = { status: 303, location: /^\/login$/ };
const FORBIDDEN: Outcome = { status: 403, contains: M.forbidden };
const NOT_FOUND: Outcome = { status: 404 };
const BAD: Outcome = { status: 400, contains: '入力に誤りがあります' };
const to = (location: RegExp): Outcome => ({ status: 303, location });

interface Row {
  method: 'GET' | 'POST' | 'UPLOAD';
  path: (f: Fixture) => string;
  body?: (f: Fixture) => Record<string, string | string[]>;
  csv?: string;
  expect: Record<Who, Outcome>;
}

const everyone = (o: Outcome): Record<Who, Outcome> => ({ anonymous: o, admin: o, handler: o, auditor: o });
/** Readers (all signed-in roles) vs anonymous. */
const readers = (o: Outcome): Record<Who, Outcome> => ({ anonymous: TO_LOGIN, admin: o, handler: o, auditor: o });
/** persons.write / intake.write: admin and handler; the auditor is refused. */
const writers = (o: Outcome): Record<Who, Outcome> => ({ anonymous: TO_LOGIN, admin: o, handler: o, auditor: FORBIDDEN });
/** users.manage: admin only. */
const admins = (o: Outcome): Record<Who, Outcome> => ({ anonymous: TO_LOGIN, admin: o, handler: FORBIDDEN, auditor: FORBIDDEN });

const NUMBER_HELD = syntheticNumber(1, 3);
const NUMBER_INTAKE = syntheticNumber(2, 3);
const NUMBER_SELF = syntheticNumber(3, 3);
const NUMBER_CSV = syntheticNumber(4, 3);
const ALL_NUMBERS = [NUMBER_HELD, NUMBER_INTAKE, NUMBER_SELF, NUMBER_CSV];

const identity = { method: 'in_person', numberDocument: 'my_number_card', checkedOn: '2026-04-01' };

const personId = /^\/persons\/\d+$/;

const ROWS: Row[] = [
  { method: 'GET', path: () => '/health', expect: everyone(OK) },
  { method: 'GET', path: () => '/static/app.css', expect: everyone(OK) },
  { method: 'GET', path: () => '/login', expect: { anonymous: OK, admin: to(/^\/$/), handler: to(/^\/$/), auditor: to(/^\/$/) } },
  { method: 'GET', path: () => '/', expect: readers(OK) },
  { method: 'GET', path: () => '/persons', expect: readers(OK) },
  { method: 'GET', path: () => '/persons?q=%E5%B1%B1%E7%94%B0&kind=employee&status=active&page=1', expect: readers({ status: 200, contains: '山田 太郎' }) },
  { method: 'GET', path: (f) => `/persons/${f.employee}`, expect: readers({ status: 200, contains: '山田 太郎' }) },
  { method: 'GET', path: (f) => `/persons/${f.dependant}`, expect: readers({ status: 200, contains: '山田 花子' }) },
  { method: 'GET', path: () => '/persons/999999', expect: readers(NOT_FOUND) },
  { method: 'GET', path: () => '/persons/new', expect: writers(OK) },
  { method: 'POST', path: () => '/persons', body: () => ({ kind: 'employee', code: 'E900', name: '新規 一郎', kana: 'シンキ イチロウ' }), expect: writers(to(personId)) },
  { method: 'POST', path: () => '/persons', body: () => ({ kind: 'employee', code: 'E901', name: '' }), expect: writers(BAD) },
  { method: 'GET', path: (f) => `/persons/${f.employee}/edit`, expect: writers(OK) },
  { method: 'POST', path: (f) => `/persons/${f.employee}`, body: () => ({ code: 'E1', name: '山田 太郎', kana: 'ヤマダ タロウ', birthDate: '1980-01-02' }), expect: writers(to(personId)) },
  { method: 'GET', path: (f) => `/persons/${f.employee}/dependants/new`, expect: writers(OK) },
  { method: 'POST', path: (f) => `/persons/${f.employee}/dependants`, body: () => ({ name: '山田 次郎', kana: 'ヤマダ ジロウ', relationship: '子' }), expect: writers(to(personId)) },
  { method: 'POST', path: (f) => `/persons/${f.retiree}/retire`, body: () => ({ date: '' }), expect: writers({ status: 400, contains: '退職日を' }) },
  { method: 'POST', path: (f) => `/persons/${f.retiree}/retire`, body: () => ({ date: '2026-03-31', confirm: '1' }), expect: writers(to(personId)) },
  { method: 'POST', path: (f) => `/persons/${f.dependant}/end-dependant`, body: () => ({ date: '2026-03-31' }), expect: writers(to(personId)) },
  { method: 'GET', path: (f) => `/persons/${f.intakeTarget}/intake`, expect: writers(OK) },
  {
    method: 'POST',
    path: (f) => `/persons/${f.intakeTarget}/intake`,
    body: () => ({ purposes: purposeCodesFor('employee'), number: '12345678901', ...identity }),
    expect: writers(BAD),
  },
  {
    method: 'POST',
    path: (f) => `/persons/${f.intakeTarget}/intake`,
    body: () => ({ purposes: purposeCodesFor('employee'), number: NUMBER_INTAKE, ...identity }),
    expect: writers(to(personId)),
  },
  {
    method: 'POST',
    path: (f) => `/persons/${f.retiree}/identity-check`,
    body: () => ({ ...identity }),
    expect: writers({ status: 400, contains: '個人番号が登録されていない人物の本人確認は記録できません' }),
  },
  { method: 'GET', path: (f) => `/persons/${f.held}/identity-check`, expect: writers(OK) },
  { method: 'POST', path: (f) => `/persons/${f.held}/identity-check`, body: () => ({ ...identity }), expect: writers(to(personId)) },
  // Self-intake is public: every role (and nobody) may use a valid code.
  { method: 'GET', path: () => '/intake', expect: everyone({ status: 200, contains: M.selfIntake.codePrompt }) },
  { method: 'GET', path: (f) => `/intake?code=${f.code}`, expect: everyone({ status: 200, contains: '本人 五郎' }) },
  { method: 'GET', path: () => '/intake?code=AAAA-BBBB-CCCC', expect: everyone(NOT_FOUND) },
  {
    method: 'POST',
    path: () => '/intake',
    body: (f) => ({ code: f.code, own: NUMBER_SELF, acknowledged: 'yes' }),
    expect: everyone({ status: 200, contains: M.selfIntake.done }),
  },
  { method: 'GET', path: (f) => `/intake?code=${f.code}`, expect: everyone({ status: 403, contains: '既に使われています' }) },
  // Issued after the self-intake above: a new code expires the person's open ones.
  { method: 'POST', path: (f) => `/persons/${f.employee}/intake-codes`, body: (f) => ({ codePurposes: '1', [`purposes_${f.employee}`]: ['withholding_slip'] }), expect: writers({ status: 200, contains: 'data:image/png;base64,' }) },
  { method: 'POST', path: (f) => `/persons/${f.dependant}/intake-codes`, expect: writers({ status: 400, contains: '入力コードは従業員・支払先本人に発行します' }) },
  { method: 'UPLOAD', path: () => '/imports/updates', csv: '社員番号,氏名\nNOPE,x\n', expect: writers({ status: 422, contains: '台帳にない社員番号' }) },
  // Collection campaigns: intake writers only.
  { method: 'GET', path: () => '/campaigns', expect: writers(OK) },
  { method: 'POST', path: () => '/campaigns', body: () => ({ name: '', filter: 'missing' }), expect: writers(BAD) },
  { method: 'GET', path: () => '/campaigns/999', expect: writers(NOT_FOUND) },
  { method: 'POST', path: () => '/campaigns/999/issue', expect: writers(NOT_FOUND) },
  { method: 'GET', path: () => '/campaigns/999/slips/x', expect: writers({ status: 410 }) },
  { method: 'GET', path: () => '/imports', expect: writers(OK) },
  { method: 'UPLOAD', path: () => '/imports?purposes=withholding_slip', csv: `種別,社員番号,氏名,個人番号\n従業員,C1,取込 一郎,${NUMBER_CSV}\n`, expect: writers({ status: 200, contains: '"committed":true' }) },
  { method: 'GET', path: () => '/admin/users', expect: admins({ status: 200, contains: '対象 三郎' }) },
  { method: 'GET', path: () => '/admin/users/new', expect: admins(OK) },
  {
    method: 'POST',
    path: () => '/admin/users',
    body: () => ({ login: 'shinki', displayName: '新規 利用者', role: 'auditor', password: 'new user password 1' }),
    expect: admins(to(/^\/admin\/users(\?done=[a-z-]+)?$/)),
  },
  { method: 'POST', path: () => '/admin/users', body: () => ({ login: '1bad', displayName: '', role: 'nobody', password: 'short' }), expect: admins(BAD) },
  { method: 'POST', path: (f) => `/admin/users/${f.targetUser}/disable`, expect: admins(to(/^\/admin\/users(\?done=[a-z-]+)?$/)) },
  { method: 'POST', path: (f) => `/admin/users/${f.targetUser}/enable`, expect: admins(to(/^\/admin\/users(\?done=[a-z-]+)?$/)) },
  { method: 'POST', path: (f) => `/admin/users/${f.targetUser}/unlock`, expect: admins(to(/^\/admin\/users(\?done=[a-z-]+)?$/)) },
  { method: 'GET', path: (f) => `/admin/users/${f.targetUser}/pin`, expect: admins(OK) },
  { method: 'GET', path: () => '/admin/users/no-such-user/pin', expect: admins(NOT_FOUND) },
  { method: 'POST', path: (f) => `/admin/users/${f.targetUser}/pin`, body: () => ({ adminPin: ADMIN.pin, newPin: '731946' }), expect: admins(to(/^\/admin\/users(\?done=[a-z-]+)?$/)) },
  // The second factor: the admin's page and reset, each user's own page, and the sign-in step (only with a pending sign-in).
  { method: 'GET', path: () => '/admin/second-factor', expect: admins({ status: 200, contains: '二要素認証の管理' }) },
  { method: 'POST', path: () => '/admin/second-factor', body: () => ({ staffRequired: '' }), expect: admins(to(/^\/admin\/second-factor\?saved=1$/)) },
  { method: 'POST', path: (f) => `/admin/second-factor/${f.targetUser}/reset`, expect: admins(to(/^\/admin\/second-factor\?reset=1$/)) },
  { method: 'GET', path: () => '/account/second-factor', expect: readers({ status: 200, contains: '未使用の回復コード' }) },
  { method: 'POST', path: () => '/account/second-factor/recovery-codes', expect: readers({ status: 200, contains: 'この画面で一度だけ表示されます' }) },
  { method: 'GET', path: () => '/login/enrol', expect: everyone(to(/^\/login\?expired=1$/)) },
  { method: 'GET', path: () => '/login/second-factor', expect: everyone(to(/^\/login\?expired=1$/)) },
  { method: 'POST', path: () => '/login/second-factor/totp', body: () => ({ code: '123456' }), expect: everyone(to(/^\/login\?expired=1$/)) },
  { method: 'GET', path: () => '/vendor/simplewebauthn-browser.js', expect: everyone({ status: 200, contains: 'SimpleWebAuthnBrowser' }) },
  { method: 'GET', path: () => '/no-such-page', expect: everyone(NOT_FOUND) },
  // A failed sign-in is 401 whoever asks (an unknown login: nobody gets locked).
  { method: 'POST', path: () => '/login', body: () => ({ login: 'nobody', password: 'wrong password 1' }), expect: everyone({ status: 401, contains: 'ユーザー名またはパスワードが正しくありません' }) },
  // Last: sign-out ends the session.
  { method: 'POST', path: () => '/logout', expect: everyone(to(/^\/login\?out=1$/)) },
];

async function fixtures(vault: Vault): Promise<Fixture> {
  await addStaff(vault);
  const admin = vault.users.byLogin(ADMIN.login)!;
  const actor = actorOf(admin);
  const employee = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', kana: 'ヤマダ タロウ' }, null, null);
  const dependant = registerPerson(vault, actor, { name: '山田 花子', kana: 'ヤマダ ハナコ', relationship: '配偶者' }, employee, null);
  const retiree = registerPerson(vault, actor, { kind: 'employee', code: 'E2', name: '退職 予定', kana: 'タイショク ヨテイ' }, null, null);
  const intakeTarget = registerPerson(vault, actor, { kind: 'employee', code: 'E3', name: '取得 四郎', kana: 'シュトク シロウ' }, null, null);
  const held = registerPerson(vault, actor, { kind: 'employee', code: 'E4', name: '登録 済子', kana: 'トウロク スミコ' }, null, null);
  recordIntake(vault, actor, held, { purposes: purposeCodesFor('employee'), number: NUMBER_HELD, identity: { ...identity, identityDocuments: [] } }, null);
  const selfPerson = registerPerson(vault, actor, { kind: 'employee', code: 'E5', name: '本人 五郎', kana: 'ホンニン ゴロウ' }, null, null);
  const { code } = issueIntakeCode(vault, actor, selfPerson, null, defaultCodePurposes(vault, selfPerson));
  const target = await createUser(vault, actor, { login: 'taisho', displayName: '対象 三郎', role: 'handler', password: new Secret('target password 1') }, null);
  return { employee, dependant, retiree, intakeTarget, held, selfPerson, code, targetUser: target.id };
}

async function browserFor(vault: Vault, who: Who): Promise<Browser> {
  const b = new Browser(testApp(vault));
  if (who === 'anonymous') {
    expect((await b.get('/login')).status).toBe(200);
    return b;
  }
  const signIn = await b.signIn(CREDENTIALS[who].login, CREDENTIALS[who].password);
  expect(signIn.status).toBe(303);
  expect(signIn.headers.location).toBe('/');
  expect((await b.get('/')).status).toBe(200); // picks up the session's CSRF token
  return b;
}

const label = (row: Row) => `${row.method === 'UPLOAD' ? 'POST' : row.method} ${row.path({ employee: 1, dependant: 2, retiree: 3, intakeTarget: 4, held: 5, selfPerson: 6, code: 'CODE', targetUser: 'USER' })}`;

describe('routes × roles', () => {
  for (const who of WHO) {
    it(`${who}: every route answers with the status its role allows, and refused writes change nothing`, async () => {
      const { vault } = await newTestVault();
      const f = await fixtures(vault);
      const b = await browserFor(vault, who);
      const texts: string[] = [];
      for (const row of ROWS) {
        const want = row.expect[who];
        const path = row.path(f);
        const auditBefore = vault.auditRepo.count();
        const res =
          row.method === 'GET' ? await b.get(path) : row.method === 'UPLOAD' ? await b.upload(path, Buffer.from(row.csv!)) : await b.post(path, row.body?.(f) ?? {});
        texts.push(res.text ?? '');
        const what = `${who} ${label(row)}`;
        expect.soft(res.status, what).toBe(want.status);
        if (want.location) expect.soft(String(res.headers.location), `${what} → Location`).toMatch(want.location);
        if (want.contains) expect.soft(res.text ?? '', `${what} body`).toContain(want.contains);
        if (!path.startsWith('/static/')) expect.soft(res.headers['cache-control'], `${what} Cache-Control`).toBe('no-store');
        // A refused write (anonymous redirect or 403) leaves no trace in the audit trail.
        if (row.method !== 'GET' && (want === TO_LOGIN || want === FORBIDDEN)) {
          expect.soft(vault.auditRepo.count(), `${what} wrote to the audit trail`).toBe(auditBefore);
        }
      }
      for (const t of texts) for (const n of ALL_NUMBERS) expect(t.includes(n), 'a page showed a number').toBe(false);
    });
  }

  it('anonymous requests are redirected to sign-in before anything else is checked, including unknown ids', async () => {
    const { vault } = await newTestVault();
    const b = new Browser(testApp(vault));
    for (const path of ['/', '/persons', '/persons/1', '/persons/1/edit', '/persons/1/intake', '/persons/1/identity-check', '/imports', '/admin/users', '/admin/users/x/pin']) {
      const r = await b.get(path);
      expect.soft(r.status, path).toBe(303);
      expect.soft(r.headers.location, path).toBe('/login');
    }
  });
});

/** The href values of the header's main navigation. */
function navLinks(html: string): string[] {
  const nav = /<nav class="main"[^>]*>([\s\S]*?)<\/nav>/u.exec(html)?.[1] ?? '';
  return [...nav.matchAll(/href="([^"]+)"/gu)].map((m) => m[1]!);
}

describe('navigation shows only what the role may do', () => {
  const expected: Record<Exclude<Who, 'anonymous'>, string[]> = {
    // Grouped by task: 台帳・取得 / 出力・入室 / 記録・帳票 / 管理.
    admin: ['/persons', '/persons/new', '/imports', '/campaigns', '/entries/new', '/entries', '/audit', '/reports', '/incident', '/disposal', '/filing-records', '/admin/users', '/admin/security-keys', '/admin/status', '/admin/backups', '/settings'],
    handler: ['/persons', '/persons/new', '/imports', '/campaigns', '/gate/export/new', '/filings', '/gate', '/entries/new', '/disposal', '/filing-records'],
    auditor: ['/persons', '/entries', '/audit', '/reports', '/incident', '/disposal'],
  };
  const forbiddenLinks: Record<Exclude<Who, 'anonymous'>, string[]> = {
    admin: [],
    handler: ['href="/admin/users"', 'href="/entries"'],
    auditor: ['href="/admin/users"', 'href="/imports"', 'href="/persons/new"', 'href="/entries/new"', 'href="/filing-records"'],
  };

  for (const who of ['admin', 'handler', 'auditor'] as const) {
    it(`${who}: the header links to exactly ${expected[who].join(', ')}, on every page it may open`, async () => {
      const { vault } = await newTestVault();
      const f = await fixtures(vault);
      const b = await browserFor(vault, who);
      for (const path of ['/', '/persons', `/persons/${f.employee}`, '/persons/999999']) {
        const r = await b.get(path);
        expect.soft(navLinks(r.text), `${who} ${path}`).toEqual(expected[who]);
        for (const link of forbiddenLinks[who]) expect.soft(r.text, `${who} ${path}`).not.toContain(link);
        expect.soft(r.text, `${who} ${path}`).toContain('action="/logout"');
      }
    });
  }

  it('the auditor\'s person page offers no edit, retire, dependant, intake or code action; the handler\'s does', async () => {
    const { vault } = await newTestVault();
    const f = await fixtures(vault);
    const auditor = await browserFor(vault, 'auditor');
    const handler = await browserFor(vault, 'handler');
    const actions = (id: number) => [
      `href="/persons/${id}/edit"`,
      `action="/persons/${id}/retire"`,
      `href="/persons/${id}/dependants/new"`,
      `href="/persons/${id}/intake"`,
      `action="/persons/${id}/intake-codes"`,
    ];
    const a = await auditor.get(`/persons/${f.employee}`);
    const h = await handler.get(`/persons/${f.employee}`);
    expect(a.status).toBe(200);
    expect(h.status).toBe(200);
    for (const x of actions(f.employee)) {
      expect.soft(a.text, x).not.toContain(x);
      expect.soft(h.text, x).toContain(x);
    }
    const aHeld = await auditor.get(`/persons/${f.held}`);
    const hHeld = await handler.get(`/persons/${f.held}`);
    expect.soft(aHeld.text).not.toContain(`href="/persons/${f.held}/identity-check"`);
    expect.soft(hHeld.text).toContain(`href="/persons/${f.held}/identity-check"`);
    const aDep = await auditor.get(`/persons/${f.dependant}`);
    expect.soft(aDep.text).not.toContain(`action="/persons/${f.dependant}/end-dependant"`);
    expect.soft((await handler.get(`/persons/${f.dependant}`)).text).toContain(`action="/persons/${f.dependant}/end-dependant"`);
  });

  it('anonymous pages (sign-in, self-intake) carry no navigation and no sign-out form', async () => {
    const { vault } = await newTestVault();
    const f = await fixtures(vault);
    const b = new Browser(testApp(vault));
    for (const path of ['/login', '/intake', `/intake?code=${f.code}`, '/no-such-page']) {
      const r = await b.get(path);
      expect.soft(r.text, path).not.toContain('<nav');
      expect.soft(r.text, path).not.toContain('action="/logout"');
      expect.soft(r.text, path).not.toContain('href="/persons');
    }
  });
});
