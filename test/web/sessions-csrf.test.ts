import { createHash } from 'node:crypto';
import { shownSubjects } from '../../src/storage/audit-names-repo.js';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { purposeCodesFor } from '../../src/domain/purposes.js';
import { Secret } from '../../src/domain/secret.js';
import { actorOf, createUser } from '../../src/services/accounts.js';
import { issueIntakeCode, recordIntake } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { M } from '../../src/web/messages.js';
import { PRE_CSRF_COOKIE, SESSION_COOKIE } from '../../src/web/sessions.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES_QUERY, defaultCodePurposes } from '../helpers/purposes.js';

// A locked account is answered like an unknown login (no way to tell which accounts exist).
const LOCK_MESSAGE = 'ユーザー名またはパスワードが正しくありません。失敗が続くと';
const DENIED = 'ユーザー名またはパスワードが正しくありません。';
const MINUTE = 60_000;

const newClock = () => fixedClock('2026-04-01T00:00:00Z');

/** Everything a state-changing request could touch, as one comparable value. */
function snapshot(vault: Vault) {
  const q = (sql: string) => vault.db.prepare(sql).all();
  return {
    audit: vault.auditRepo.count(),
    persons: q('SELECT * FROM persons ORDER BY id'),
    numbers: q('SELECT person_id, state, refusal_reason, acquired_at, purposes FROM person_numbers ORDER BY person_id'),
    users: q('SELECT id, login, display_name, role, disabled_at, failed_logins, locked_at, last_login_at FROM users ORDER BY id'),
    slots: q('SELECT id, user_id, revoked_at FROM key_slots ORDER BY id'),
    sessions: q('SELECT hex(id_hash) AS h, user_id, last_seen_at FROM sessions ORDER BY h'),
    checks: q('SELECT * FROM identity_checks ORDER BY id'),
    codes: q('SELECT hex(code_hash) AS h, expires_at, used_at FROM intake_codes ORDER BY h'),
  };
}

function actionCount(vault: Vault, action: string): number {
  return vault.db.prepare('SELECT count(*) FROM audit_events WHERE action = ?').pluck().get(action) as number;
}

function lastEvent(vault: Vault, action: string): { actorId: string; detail: Record<string, unknown>; subjects: { id: number; name: string }[] } | undefined {
  const r = vault.db.prepare(`SELECT actor_id, detail, ${shownSubjects('e')} AS subjects FROM audit_events e WHERE action = ? ORDER BY seq DESC LIMIT 1`).get(action) as
    | { actor_id: string; detail: string; subjects: string }
    | undefined;
  return r && { actorId: r.actor_id, detail: JSON.parse(r.detail) as Record<string, unknown>, subjects: JSON.parse(r.subjects) as { id: number; name: string }[] };
}

async function signedIn(vault: Vault, login: string, password: string, over: Parameters<typeof testApp>[1] = {}): Promise<Browser> {
  const b = new Browser(testApp(vault, over));
  const r = await b.signIn(login, password);
  expect(r.status, `sign-in of ${login}`).toBe(303);
  expect(r.headers.location).toBe('/');
  expect((await b.get('/')).status).toBe(200);
  return b;
}

describe('CSRF: every state-changing request carries the token of its own session', () => {
  it('each POST without a token, with a wrong token, or with another session\'s token is refused with 403 and changes nothing; with the right token it works', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const actor = actorOf(admin);
    const employee = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', kana: 'ヤマダ タロウ' }, null, null);
    const dependant = registerPerson(vault, actor, { name: '山田 花子', relationship: '配偶者' }, employee, null);
    const retiree = registerPerson(vault, actor, { kind: 'employee', code: 'E2', name: '退職 予定' }, null, null);
    const intakeTarget = registerPerson(vault, actor, { kind: 'employee', code: 'E3', name: '取得 四郎' }, null, null);
    const held = registerPerson(vault, actor, { kind: 'employee', code: 'E4', name: '登録 済子' }, null, null);
    const identity = { method: 'in_person', numberDocument: 'my_number_card', checkedOn: '2026-04-01' };
    recordIntake(vault, actor, held, { purposes: purposeCodesFor('employee'), number: syntheticNumber(1, 4), identity }, null);
    const selfPerson = registerPerson(vault, actor, { kind: 'employee', code: 'E5', name: '本人 五郎' }, null, null);
    const { code } = issueIntakeCode(vault, actor, selfPerson, null, defaultCodePurposes(vault, selfPerson));
    const target = await createUser(vault, actor, { login: 'taisho', displayName: '対象 三郎', role: 'handler', password: new Secret('target password 1') }, null);
    vault.users.recordFailure(target.id, 1, new Date().toISOString()); // locked, so unlock changes something

    const app = testApp(vault);
    const a = await signedIn(vault, ADMIN.login, ADMIN.password);
    const other = await signedIn(vault, ADMIN.login, ADMIN.password); // a second session of the same user
    expect(other.csrf).not.toBe(a.csrf);
    const anon = new Browser(app);
    await anon.get('/login');
    const anonOther = new Browser(app);
    await anonOther.get('/login');
    expect(anonOther.csrf).not.toBe(anon.csrf);

    // [path, form]: the valid request, run last with the right token (order matters there).
    const signedInPosts: [string, Record<string, string | string[]>][] = [
      ['/persons', { kind: 'employee', code: 'E900', name: '新規 一郎' }],
      [`/persons/${employee}`, { code: 'E1', name: '山田 太郎', kana: 'ヤマダ タロウ', birthDate: '1980-01-02' }],
      [`/persons/${employee}/dependants`, { name: '山田 次郎', relationship: '子' }],
      [`/persons/${retiree}/retire`, { date: '2026-03-31', confirm: '1' }],
      [`/persons/${dependant}/end-dependant`, { date: '2026-03-31' }],
      [`/persons/${intakeTarget}/intake`, { purposes: purposeCodesFor('employee'), number: syntheticNumber(2, 4), ...identity }],
      [`/persons/${held}/identity-check`, identity],
      [`/persons/${employee}/intake-codes`, { codePurposes: '1', [`purposes_${employee}`]: ['withholding_slip'] }],
      ['/admin/users', { login: 'shinki', displayName: '新規 利用者', role: 'auditor', password: 'new user password 1' }],
      [`/admin/users/${target.id}/unlock`, {}],
      [`/admin/users/${target.id}/disable`, {}],
      [`/admin/users/${target.id}/enable`, {}],
      [`/admin/users/${target.id}/pin`, { adminPin: ADMIN.pin, newPin: '731946' }],
      ['/intake', { code, own: syntheticNumber(3, 4), acknowledged: 'yes' }],
      ['/logout', {}],
    ];
    const csv = Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,C1,取込 一郎,${syntheticNumber(4, 4)}\n`);
    const wrong = 'A'.repeat(43);
    const badTokens: [string, (b: Browser, o: Browser) => string | null][] = [
      ['no token', () => null],
      ['a wrong token', () => wrong],
      ['an empty token', () => ''],
      ["another session's token", (_b, o) => o.csrf],
    ];

    const before = snapshot(vault);
    for (const [kind, token] of badTokens) {
      for (const [path, form] of signedInPosts) {
        const r = await a.post(path, form, token(a, other));
        expect.soft(r.status, `signed in, POST ${path} with ${kind}`).toBe(403);
        expect.soft(r.text, `signed in, POST ${path} with ${kind}`).toContain(M.csrf);
      }
      const up = await a.upload(`/imports?${ALL_PURPOSES_QUERY}`, csv, token(a, other));
      expect.soft(up.status, `POST /imports with ${kind}`).toBe(403);
      // Before sign-in: the sign-in form and the self-intake form (double-submit token).
      const login = await anon.post('/login', { login: ADMIN.login, password: ADMIN.password }, token(anon, anonOther));
      expect.soft(login.status, `POST /login with ${kind}`).toBe(403);
      expect.soft(login.headers['set-cookie']?.toString() ?? '', `POST /login with ${kind} set a session`).not.toContain(`${SESSION_COOKIE}=`);
      const self = await anon.post('/intake', { code, own: syntheticNumber(3, 4), acknowledged: 'yes' }, token(anon, anonOther));
      expect.soft(self.status, `POST /intake with ${kind}`).toBe(403);
      const logout = await anon.post('/logout', {}, token(anon, anonOther));
      expect.soft(logout.status, `anonymous POST /logout with ${kind}`).toBe(403);
    }
    // A token in the query string does not count either.
    const inQuery = await a.post(`/persons?_csrf=${encodeURIComponent(a.csrf)}`, signedInPosts[0]![1], null);
    expect.soft(inQuery.status, 'token in the query string').toBe(403);
    expect(snapshot(vault)).toEqual(before);
    // The refused sign-out did not end the session.
    expect((await a.get('/')).status).toBe(200);

    // Controls: the same requests with the right token succeed, each leaving an audit event.
    const up = await a.upload(`/imports?${ALL_PURPOSES_QUERY}`, csv);
    expect(up.status).toBe(200);
    for (const [path, form] of signedInPosts) {
      const auditBefore = vault.auditRepo.count();
      const r = await a.post(path, form);
      expect.soft(r.status, `POST ${path} with the right token`).toBeLessThan(400);
      expect.soft(vault.auditRepo.count(), `POST ${path} with the right token wrote no audit event`).toBeGreaterThan(auditBefore);
    }
    const login = await anon.post('/login', { login: ADMIN.login, password: ADMIN.password });
    expect(login.status).toBe(303);
  });
});

describe('session expiry', () => {
  it('a session idle for 15 minutes and 1 second ends: the next page redirects to /login?expired=1, which says why', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const b = await signedIn(vault, ADMIN.login, ADMIN.password);
    clock.advance(15 * MINUTE - 1000);
    expect((await b.get('/persons')).status).toBe(200); // still alive, and touched
    clock.advance(15 * MINUTE + 1000);
    const r = await b.get('/persons');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login?expired=1');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false); // the cookie is cleared
    expect(vault.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    const page = await b.get(r.headers.location!);
    expect(page.status).toBe(200);
    expect(page.text).toContain(M.sessionExpired);
  });

  it('an expired session cannot be used for a POST either, even with its token', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const b = await signedIn(vault, ADMIN.login, ADMIN.password);
    const cookie = b.cookies.get(SESSION_COOKIE)!;
    const token = b.csrf;
    clock.advance(15 * MINUTE + 1000);
    const replay = new Browser(b.app);
    replay.cookies.set(SESSION_COOKIE, cookie);
    const before = vault.persons.count().persons;
    const r = await replay.post('/persons', { kind: 'employee', code: 'E1', name: '山田 太郎' }, token);
    expect(r.status).toBe(403);
    expect(vault.persons.count().persons).toBe(before);
  });

  it('a session ends 8 hours after sign-in even when used every 10 minutes', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const b = await signedIn(vault, ADMIN.login, ADMIN.password);
    for (let i = 1; i <= 47; i++) {
      clock.advance(10 * MINUTE);
      const r = await b.get('/');
      expect(r.status, `after ${i * 10} minutes`).toBe(200);
    }
    clock.advance(10 * MINUTE + 1000); // 8 h 1 s after sign-in, 10 min 1 s after the last use
    const r = await b.get('/');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login?expired=1');
    expect((await b.get('/login?expired=1')).text).toContain(M.sessionExpired);
  });
});

describe('session fixation', () => {
  it('a session cookie planted before sign-in is replaced by a new one, and the planted value never becomes a session', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault));
    await b.get('/login');
    const planted = 'attacker-chosen-session-id-0123456789abcdefghijklmnopq';
    b.cookies.set(SESSION_COOKIE, planted);
    const page = await b.get('/login'); // the unknown id is dropped
    expect(page.status).toBe(200);
    b.cookies.set(SESSION_COOKIE, planted);
    const r = await b.passSecondFactor(ADMIN.login, await b.post('/login', { login: ADMIN.login, password: ADMIN.password }));
    expect(r.status).toBe(303);
    const after = b.cookies.get(SESSION_COOKIE);
    expect(after).toBeDefined();
    expect(after).not.toBe(planted);
    const attacker = new Browser(b.app);
    attacker.cookies.set(SESSION_COOKIE, planted);
    const a = await attacker.get('/');
    expect(a.status).toBe(303);
    expect(a.headers.location).toMatch(/^\/login/);
    expect((await b.get('/')).status).toBe(200);
  });

  it('signing in again from a signed-in browser issues a new session id and ends the old one', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const b = await signedIn(vault, HANDLER.login, HANDLER.password);
    const old = b.cookies.get(SESSION_COOKIE)!;
    const r = await b.passSecondFactor(ADMIN.login, await b.post('/login', { login: ADMIN.login, password: ADMIN.password }));
    expect(r.status).toBe(303);
    const now = b.cookies.get(SESSION_COOKIE)!;
    expect(now).not.toBe(old);
    expect(vault.sessions.get(createHash('sha256').update(old).digest())).toBeUndefined();
    const stale = new Browser(b.app);
    stale.cookies.set(SESSION_COOKIE, old);
    const s = await stale.get('/persons');
    expect(s.status).toBe(303);
    expect(s.headers.location).toMatch(/^\/login/);
    expect((await b.get('/admin/users')).status).toBe(200); // now the admin
  });
});

describe('sign-out', () => {
  it('ends the session: the old cookie no longer works, the page says so, and auth.signed_out is audited', async () => {
    const { vault } = await newTestVault(newClock());
    const b = await signedIn(vault, ADMIN.login, ADMIN.password);
    const cookie = b.cookies.get(SESSION_COOKIE)!;
    const signedOutBefore = actionCount(vault, 'auth.signed_out');
    const r = await b.post('/logout');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login?out=1');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await b.get('/login?out=1')).text).toContain(M.login.signedOut);
    expect(actionCount(vault, 'auth.signed_out')).toBe(signedOutBefore + 1);
    expect(lastEvent(vault, 'auth.signed_out')!.actorId).toBe(vault.users.byLogin(ADMIN.login)!.id);
    expect(vault.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    const replay = new Browser(b.app);
    replay.cookies.set(SESSION_COOKIE, cookie);
    const g = await replay.get('/');
    expect(g.status).toBe(303);
    expect(g.headers.location).toMatch(/^\/login/);
  });
});

describe('session cookie and storage', () => {
  it('the session cookie is HttpOnly, SameSite=Strict and Secure on HTTPS, and the sessions table holds only a hash of it', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault, { secure: true }));
    const page = await b.get('/login');
    const pre = ((page.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith(`__Host-${PRE_CSRF_COOKIE}=`));
    expect(pre).toBeDefined();
    expect(pre).toMatch(/;\s*HttpOnly/i);
    expect(pre).toMatch(/;\s*Secure/i);
    expect(pre).toMatch(/;\s*SameSite=Strict/i);
    const r = await b.passSecondFactor(ADMIN.login, await b.post('/login', { login: ADMIN.login, password: ADMIN.password }));
    expect(r.status).toBe(303);
    const set = ((r.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith(`__Host-${SESSION_COOKIE}=`) && !/Expires=Thu, 01 Jan 1970/i.test(c));
    expect(set).toBeDefined();
    expect(set).toMatch(/;\s*HttpOnly/i);
    expect(set).toMatch(/;\s*Secure/i);
    expect(set).toMatch(/;\s*SameSite=Strict/i);
    expect(set).toMatch(/;\s*Path=\//i);
    expect(set).not.toMatch(/Domain=/i);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);

    const cookie = b.cookies.get(`__Host-${SESSION_COOKIE}`)!;
    expect(cookie.length).toBeGreaterThanOrEqual(32);
    const rows = vault.db.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const idHash = row.id_hash as Buffer;
    expect(Buffer.isBuffer(idHash)).toBe(true);
    expect(idHash.toString('latin1')).not.toBe(cookie);
    expect(idHash.equals(createHash('sha256').update(cookie).digest())).toBe(true);
    // No column, in any encoding, holds the cookie's value.
    for (const [col, value] of Object.entries(row)) {
      const forms = Buffer.isBuffer(value) ? [value.toString('latin1'), value.toString('hex'), value.toString('base64'), value.toString('base64url'), value.toString('utf8')] : [String(value)];
      for (const f of forms) expect(f.includes(cookie), `sessions.${col}`).toBe(false);
    }
    expect(row.csrf_token).not.toBe(cookie);
  });

  it('without HTTPS the cookie is still HttpOnly and SameSite=Strict', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault));
    await b.get('/login');
    const r = await b.passSecondFactor(ADMIN.login, await b.post('/login', { login: ADMIN.login, password: ADMIN.password }));
    const set = ((r.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`) && !/Expires=Thu, 01 Jan 1970/i.test(c));
    expect(set).toMatch(/;\s*HttpOnly/i);
    expect(set).toMatch(/;\s*SameSite=Strict/i);
  });
});

describe('sign-in failures, lockout and throttling', () => {
  it('5 wrong passwords lock the account (answered as any failure, 401), the right password then fails too, and an admin unlock lets the user in; every attempt is audited', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const handlerId = vault.users.byLogin(HANDLER.login)!.id;
    const failedBefore = actionCount(vault, 'auth.sign_in_failed');
    const signedInBefore = actionCount(vault, 'auth.signed_in');
    const h = new Browser(testApp(vault));
    await h.get('/login');
    for (let i = 1; i <= 4; i++) {
      const r = await h.post('/login', { login: HANDLER.login, password: `wrong password ${i}` });
      expect(r.status, `attempt ${i}`).toBe(401);
      expect(r.text).toContain(DENIED);
    }
    expect(actionCount(vault, 'auth.locked')).toBe(0);
    const fifth = await h.post('/login', { login: HANDLER.login, password: 'wrong password 5' });
    expect(fifth.status).toBe(401);
    expect(fifth.text).toContain(LOCK_MESSAGE);
    expect(actionCount(vault, 'auth.locked')).toBe(1);
    expect(lastEvent(vault, 'auth.locked')!.detail).toMatchObject({ user_id: handlerId });

    const right = await h.post('/login', { login: HANDLER.login, password: HANDLER.password });
    expect(right.status).toBe(401);
    expect(right.text).toContain(LOCK_MESSAGE);
    expect(h.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(actionCount(vault, 'auth.sign_in_failed')).toBe(failedBefore + 6);
    expect(lastEvent(vault, 'auth.sign_in_failed')!.detail).toMatchObject({ user_id: handlerId, reason: 'locked' });
    expect(actionCount(vault, 'auth.locked')).toBe(1); // locked once, not again

    const admin = await signedIn(vault, ADMIN.login, ADMIN.password);
    expect(actionCount(vault, 'auth.signed_in')).toBe(signedInBefore + 1);
    const list = await admin.get('/admin/users');
    expect(list.text).toContain(`action="/admin/users/${handlerId}/unlock"`);
    const unlock = await admin.post(`/admin/users/${handlerId}/unlock`);
    expect(unlock.status).toBe(303);
    expect(lastEvent(vault, 'user.unlocked')!.detail).toMatchObject({ user_id: handlerId });

    const ok = await h.post('/login', { login: HANDLER.login, password: HANDLER.password });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    expect((await h.get('/persons')).status).toBe(200);
    expect(actionCount(vault, 'auth.signed_in')).toBe(signedInBefore + 2);
    expect(lastEvent(vault, 'auth.signed_in')!.detail).toMatchObject({ user_id: handlerId });
    expect(actionCount(vault, 'auth.sign_in_failed')).toBe(failedBefore + 6);
    expect(vault.users.byId(handlerId)!.failedLogins).toBe(0);
  });

  it('an unknown login fails like a wrong password and is audited as auth.sign_in_failed', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault));
    await b.get('/login');
    const before = actionCount(vault, 'auth.sign_in_failed');
    const r = await b.post('/login', { login: 'nobody', password: 'whatever password' });
    expect(r.status).toBe(401);
    expect(r.text).toContain(DENIED);
    expect(actionCount(vault, 'auth.sign_in_failed')).toBe(before + 1);
    expect(lastEvent(vault, 'auth.sign_in_failed')!.detail).toMatchObject({ login: 'nobody', reason: 'unknown_user' });
  });

  it('after 20 failures from one address the next attempt gets 429, even for another account with the right password, until the window passes', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const b = new Browser(testApp(vault));
    await b.get('/login');
    for (let i = 1; i <= 20; i++) {
      const r = await b.post('/login', { login: `nobody${String(i).padStart(2, '0')}`, password: 'wrong password' });
      expect(r.status, `failure ${i}`).toBe(401);
    }
    const signedInBefore = actionCount(vault, 'auth.signed_in');
    const blocked = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain(M.throttled);
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(actionCount(vault, 'auth.signed_in')).toBe(signedInBefore);
    expect(vault.users.byLogin(ADMIN.login)!.lockedAt).toBeNull();
    clock.advance(15 * MINUTE + 1000);
    const later = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
    expect(later.status).toBe(303);
  });

  it('a disabled user cannot sign in, and their open session ends at once', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const handlerId = vault.users.byLogin(HANDLER.login)!.id;
    const h = await signedIn(vault, HANDLER.login, HANDLER.password);
    const admin = await signedIn(vault, ADMIN.login, ADMIN.password);
    await admin.get('/admin/users');
    const r = await admin.post(`/admin/users/${handlerId}/disable`);
    expect(r.status).toBe(303);
    expect(lastEvent(vault, 'user.disabled')!.detail).toMatchObject({ user_id: handlerId });
    expect(vault.db.prepare('SELECT count(*) FROM sessions WHERE user_id = ?').pluck().get(handlerId)).toBe(0);
    const g = await h.get('/persons');
    expect(g.status).toBe(303);
    expect(g.headers.location).toMatch(/^\/login/);
    const again = new Browser(h.app);
    await again.get('/login');
    const s = await again.post('/login', { login: HANDLER.login, password: HANDLER.password });
    expect(s.status).toBe(401);
    expect(again.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(lastEvent(vault, 'auth.sign_in_failed')!.detail).toMatchObject({ user_id: handlerId, reason: 'disabled' });
  });

  it('a session of a user disabled behind the web app\'s back (no session cleanup) still ends at the next request', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const h = await signedIn(vault, HANDLER.login, HANDLER.password);
    vault.users.setDisabled(vault.users.byLogin(HANDLER.login)!.id, new Date('2026-04-01T00:00:00Z').toISOString());
    const g = await h.get('/persons');
    expect(g.status).toBe(303);
    expect(g.headers.location).toMatch(/^\/login/);
    const p = await h.post('/persons', { kind: 'employee', code: 'E1', name: '山田 太郎' });
    expect(p.status).toBe(403); // the session's token died with it
    expect(vault.persons.count().persons).toBe(0);
  });
});

describe('a number typed into the sign-in form', () => {
  it('is refused like any wrong login, and neither echoed nor written to the audit trail', async () => {
    const { newTestVault } = await import('../helpers/vault.js');
    const { syntheticNumber } = await import('../helpers/numbers.js');
    const { vault } = await newTestVault();
    const b = new Browser(testApp(vault));
    await b.get('/login');
    const n = syntheticNumber(5, 5);
    const r = await b.post('/login', { login: n, password: 'whatever password' });
    expect(r.status).toBe(401);
    expect(r.text).not.toContain(n);
    const rows = JSON.stringify(vault.auditRepo.latest(3));
    expect(rows).toContain('auth.sign_in_failed');
    expect(rows).not.toContain(n);
  });
});
