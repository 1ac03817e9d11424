import { readFileSync } from 'node:fs';
import { Secret as OtpSecret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { SESSION_COOKIE } from '../../src/web/sessions.js';
import { PENDING_COOKIE } from '../../src/web/second-factor-step.js';
import { openTotpSecret } from '../../src/vault/second-factor-keys.js';
import type { Vault } from '../../src/services/vault.js';
import { databasePath } from '../../src/services/vault.js';
import { auditEvents } from '../helpers/audit.js';
import { secretFromEnrolPage, totpCode, totpSecretOf } from '../helpers/second-factor.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';

const STEP = 30_000;
const newClock = () => fixedClock('2026-04-01T00:00:00Z');

function events(vault: Vault, action: string) {
  return auditEvents(vault).filter((e) => e.action === action);
}

/** Password only: the answer of POST /login, nothing followed. */
async function password(b: Browser, login: string, pw: string) {
  await b.get('/login');
  return b.post('/login', { login, password: pw });
}

/** An admin (or required user) enrols TOTP in the browser; returns the secret read from the page. */
async function enrolTotp(b: Browser, vault: Vault, login: string, pw: string): Promise<string> {
  const r = await password(b, login, pw);
  expect(r.headers.location).toBe('/login/enrol');
  const page = await b.get('/login/enrol');
  expect(page.status).toBe(200);
  expect(page.text).toMatch(/<img src="data:image\/png;base64,/u);
  const base32 = secretFromEnrolPage(page.text);
  const done = await b.post('/login/enrol/totp', { code: totpCode(base32, vault.clock.now()) });
  expect(done.status).toBe(303);
  expect(done.headers.location).toBe('/');
  return base32;
}

describe('a second factor for admins is required, and nothing opens before it', () => {
  it('an admin with the right password gets no session and cannot reach any page until a second factor is enrolled', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault));
    const r = await password(b, ADMIN.login, ADMIN.password);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login/enrol');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    const pending = ((r.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith(`${PENDING_COOKIE}=`));
    expect(pending).toMatch(/;\s*HttpOnly/iu);
    expect(pending).toMatch(/;\s*SameSite=Strict/iu);
    expect(vault.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    for (const path of ['/', '/persons', '/admin/users', '/admin/second-factor', '/account/second-factor', '/account/pin', '/audit', '/admin/status', '/settings']) {
      const p = await b.get(path);
      expect.soft(p.status, path).toBe(303);
      expect.soft(p.headers.location, path).toMatch(/^\/login/u);
    }
    // The second-factor page of an enrolled user is not a way round enrolment.
    const skip = await b.post('/login/second-factor/totp', { code: '123456' });
    expect(skip.headers.location).toBe('/login?expired=1');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    // A wrong code at enrolment is refused with a message; the right one makes the session.
    const again = await password(b, ADMIN.login, ADMIN.password);
    expect(again.headers.location).toBe('/login/enrol');
    const page = await b.get('/login/enrol');
    const base32 = secretFromEnrolPage(page.text);
    const wrong = await b.post('/login/enrol/totp', { code: totpCode(base32, vault.clock.now(), 5) });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('コードが一致しません');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    const ok = await b.post('/login/enrol/totp', { code: totpCode(base32, vault.clock.now()) });
    expect(ok.headers.location).toBe('/');
    const home = await b.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('回復コードがありません');
    expect(events(vault, 'auth.second_factor_enrolled').map((e) => e.detail.method)).toEqual(['totp']);
  });

  it('a pending sign-in lasts five minutes', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const b = new Browser(testApp(vault));
    await password(b, ADMIN.login, ADMIN.password);
    clock.advance(5 * 60_000);
    const r = await b.get('/login/enrol');
    expect(r.headers.location).toBe('/login?expired=1');
  });
});

describe('TOTP (RFC 6238, 30 s, 6 digits, ±1 step, each code once)', () => {
  it('accepts the current code once, refuses its replay and wrong codes (counted and audited), accepts the neighbouring step, and locks after 5 failures', async () => {
    const clock = newClock();
    const { vault } = await newTestVault(clock);
    const app = testApp(vault);
    const base32 = await enrolTotp(new Browser(app), vault, ADMIN.login, ADMIN.password);

    // The enrolment code's step is used: the same code at sign-in is a replay.
    const b = new Browser(app);
    expect((await password(b, ADMIN.login, ADMIN.password)).headers.location).toBe('/login/second-factor');
    const replay = await b.post('/login/second-factor/totp', { code: totpCode(base32, clock.now()) });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('既に使われたコード');
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(events(vault, 'auth.second_factor_failed').at(-1)!.detail).toMatchObject({ method: 'totp', failures: 1 });

    // The next step's code (within ±1) works once.
    const next = totpCode(base32, clock.now(), 1);
    const ok = await b.post('/login/second-factor/totp', { code: next });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    expect((await b.get('/admin/users')).status).toBe(200);
    expect(events(vault, 'auth.second_factor_verified').at(-1)!.detail).toMatchObject({ method: 'totp' });

    // A code two steps away is refused; the success reset the count.
    const c = new Browser(app);
    await password(c, ADMIN.login, ADMIN.password);
    const far = await c.post('/login/second-factor/totp', { code: totpCode(base32, clock.now(), 3) });
    expect(far.status).toBe(401);
    expect(events(vault, 'auth.second_factor_failed').at(-1)!.detail).toMatchObject({ failures: 1 });
    // A right password does not reset the count: signing in again keeps counting.
    for (let i = 2; i <= 4; i++) {
      await password(c, ADMIN.login, ADMIN.password);
      const r = await c.post('/login/second-factor/totp', { code: '000000' });
      expect(r.status).toBe(401);
      expect(events(vault, 'auth.second_factor_failed').at(-1)!.detail).toMatchObject({ failures: i });
    }
    const fifth = await c.post('/login/second-factor/totp', { code: '999999' });
    expect(fifth.status).toBe(423);
    expect(fifth.text).toContain('二要素認証の失敗が続いた');
    expect(events(vault, 'auth.locked').at(-1)!.detail).toMatchObject({ reason: 'second_factor', failures: 5 });
    expect(vault.users.byLogin(ADMIN.login)!.lockedAt).not.toBeNull();
    // Locked: even the right password and a fresh code do not open a session.
    clock.advance(2 * STEP);
    const locked = await password(c, ADMIN.login, ADMIN.password);
    expect(locked.status).toBe(423);
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('keeps the TOTP secret sealed: the column does not hold it, and it opens only for its own user', async () => {
    const { vault, dataDir } = await newTestVault(newClock());
    const base32 = await enrolTotp(new Browser(testApp(vault)), vault, ADMIN.login, ADMIN.password);
    const raw = Buffer.from(OtpSecret.fromBase32(base32).bytes);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const sealed = vault.db.prepare('SELECT sealed_secret FROM second_factor_totp WHERE user_id = ?').pluck().get(admin.id) as Buffer;
    expect(sealed.includes(raw)).toBe(false);
    expect(sealed.toString('latin1').includes(base32)).toBe(false);
    expect(openTotpSecret(vault.keys.pepper, vault.vaultId, admin.id, sealed).expose().equals(raw)).toBe(true);
    expect(() => openTotpSecret(vault.keys.pepper, vault.vaultId, 'another-user', sealed)).toThrow(/開けませんでした/u);
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(databasePath(dataDir)).includes(raw)).toBe(false);
  });
});

describe('recovery codes', () => {
  it('are shown once, stored only as keyed hashes, and each works once', async () => {
    const { vault } = await newTestVault(newClock());
    const app = testApp(vault);
    const b = new Browser(app);
    await enrolTotp(b, vault, ADMIN.login, ADMIN.password);
    expect((await b.get('/account/second-factor')).text).toMatch(/id="recovery-left">0</u);
    const page = await b.post('/account/second-factor/recovery-codes');
    expect(page.status).toBe(200);
    const codes = [...page.text.matchAll(/<code>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})<\/code>/gu)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(events(vault, 'auth.recovery_codes_issued')).toHaveLength(1);
    const rows = vault.db.prepare('SELECT * FROM recovery_codes').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(10);
    for (const row of rows) for (const v of Object.values(row)) for (const c of codes) {
      const s = Buffer.isBuffer(v) ? v.toString('latin1') + v.toString('hex') : String(v);
      expect(s.includes(c) || s.includes(c.replace(/-/gu, ''))).toBe(false);
    }
    // Not shown again.
    expect((await b.get('/account/second-factor')).text).not.toContain(codes[0]!);
    expect((await b.get('/')).text).not.toContain('回復コードがありません');

    const c = new Browser(app);
    await password(c, ADMIN.login, ADMIN.password);
    // Typed in lower case without dashes, as people do.
    const used = await c.post('/login/second-factor/recovery', { recoveryCode: codes[0]!.toLowerCase().replace(/-/gu, ' ') });
    expect(used.status).toBe(303);
    expect((await c.get('/admin/users')).status).toBe(200);
    expect(events(vault, 'auth.second_factor_verified').at(-1)!.detail).toMatchObject({ method: 'recovery_code', recovery_codes_left: 9 });

    const d = new Browser(app);
    await password(d, ADMIN.login, ADMIN.password);
    const again = await d.post('/login/second-factor/recovery', { recoveryCode: codes[0]! });
    expect(again.status).toBe(401);
    expect(again.text).toContain('既に使われています');
    expect(d.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(events(vault, 'auth.second_factor_failed').at(-1)!.detail).toMatchObject({ method: 'recovery_code', failures: 1 });
    const other = await d.post('/login/second-factor/recovery', { recoveryCode: codes[1]! });
    expect(other.status).toBe(303);
  });
});

describe('the admin setting for handlers and auditors, and the admin reset', () => {
  it('handlers sign in with a password until the admin requires a second factor (audited); a reset (audited) makes them enrol again; an admin cannot reset their own', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const app = testApp(vault);
    const admin = new Browser(app);
    expect((await admin.signIn(ADMIN.login, ADMIN.password)).headers.location).toBe('/');

    // Default: handlers and auditors are not asked.
    const h0 = new Browser(app);
    expect((await password(h0, HANDLER.login, HANDLER.password)).headers.location).toBe('/');
    expect((await h0.get('/admin/second-factor')).status).toBe(403);
    expect((await h0.post('/admin/second-factor', { staffRequired: 'on' })).status).toBe(403);

    // The admin requires it: the handler's open password-only session ends at once.
    expect((await h0.get('/persons')).status).toBe(200);
    expect((await admin.get('/admin/second-factor')).status).toBe(200);
    const set = await admin.post('/admin/second-factor', { staffRequired: 'on' });
    expect(set.headers.location).toBe('/admin/second-factor?saved=1');
    expect(events(vault, 'settings.updated').at(-1)!.detail).toEqual({ key: 'second_factor_staff', before: 'optional', after: 'required' });
    expect((await h0.get('/persons')).status).toBe(303);
    const a0 = new Browser(app);
    expect((await password(a0, AUDITOR.login, AUDITOR.password)).headers.location).toBe('/login/enrol');
    const h = new Browser(app);
    await enrolTotp(h, vault, HANDLER.login, HANDLER.password);
    expect((await h.get('/persons')).status).toBe(200);

    // Reset by the admin: the handler's session ends, and the next sign-in enrols again.
    const handlerId = vault.users.byLogin(HANDLER.login)!.id;
    const page = await admin.get('/admin/second-factor');
    expect(page.text).toContain(`/admin/second-factor/${handlerId}/reset`);
    const reset = await admin.post(`/admin/second-factor/${handlerId}/reset`);
    expect(reset.headers.location).toBe('/admin/second-factor?reset=1');
    const ev = events(vault, 'auth.second_factor_reset').at(-1)!;
    expect(ev.actorId).toBe(vault.users.byLogin(ADMIN.login)!.id);
    expect(ev.detail).toMatchObject({ user_id: handlerId, login: HANDLER.login, totp: 1 });
    expect((await h.get('/persons')).status).toBe(303);
    expect(vault.secondFactor.totpOf(handlerId)).toBeUndefined();
    expect((await password(new Browser(app), HANDLER.login, HANDLER.password)).headers.location).toBe('/login/enrol');

    // An admin cannot reset their own second factor; a handler cannot reset anyone's.
    const own = await admin.post(`/admin/second-factor/${vault.users.byLogin(ADMIN.login)!.id}/reset`);
    expect(own.status).toBe(403);
    expect(own.text).toContain('別の管理者');
    expect(vault.secondFactor.totpOf(vault.users.byLogin(ADMIN.login)!.id)?.confirmedAt).toBeTruthy();
    expect(totpSecretOf(vault, ADMIN.login)).toBeDefined();
  });

  it('a handler who is not required may add an authenticator app from their own page, and is then asked for it at every sign-in', async () => {
    const { vault } = await newTestVault(newClock());
    await addStaff(vault);
    const app = testApp(vault);
    const h = new Browser(app);
    expect((await password(h, HANDLER.login, HANDLER.password)).headers.location).toBe('/');
    const page = await h.get('/account/second-factor/totp');
    expect(page.status).toBe(200);
    const base32 = secretFromEnrolPage(page.text);
    expect((await h.post('/account/second-factor/totp', { code: '000000' })).status).toBe(400);
    const ok = await h.post('/account/second-factor/totp', { code: totpCode(base32, vault.clock.now()) });
    expect(ok.headers.location).toBe('/account/second-factor?totp=1');
    expect(events(vault, 'auth.second_factor_enrolled').at(-1)!.detail).toMatchObject({ user_id: vault.users.byLogin(HANDLER.login)!.id, method: 'totp' });
    const again = new Browser(app);
    expect((await password(again, HANDLER.login, HANDLER.password)).headers.location).toBe('/login/second-factor');
    expect((await again.post('/login/second-factor/totp', { code: totpCode(base32, vault.clock.now(), 1) })).headers.location).toBe('/');
  });

  it('labels the new audit actions in Japanese on the audit page', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault));
    await b.signIn(ADMIN.login, ADMIN.password);
    const page = await b.get('/audit');
    expect(page.text).toContain('二要素認証の登録');
  });
});

describe('the demo: a simulated authenticator app beside the simulated PIN pad', () => {
  it('shows the current code on the enrolment and sign-in pages only with simulated devices in development, and the code works', async () => {
    const { vault } = await newTestVault(newClock());
    const b = new Browser(testApp(vault, { simulateDevices: true }));
    await password(b, ADMIN.login, ADMIN.password);
    const enrol = await b.get('/login/enrol');
    const shown = /<p class="note" id="simulated-code">[^<]*<strong>(\d{6})<\/strong>/u.exec(enrol.text)?.[1];
    expect(shown).toBe(totpCode(secretFromEnrolPage(enrol.text), vault.clock.now()));
    expect((await b.post('/login/enrol/totp', { code: shown! })).headers.location).toBe('/');

    // Without simulated devices (and so always in production, which refuses them) no code is shown.
    const plain = new Browser(testApp(vault));
    await password(plain, ADMIN.login, ADMIN.password);
    const verify = await plain.get('/login/second-factor');
    expect(verify.status).toBe(200);
    expect(verify.text).not.toContain('simulated-code');
    const prod = new Browser(testApp(vault, { simulateDevices: true, mode: 'production' }));
    await password(prod, ADMIN.login, ADMIN.password);
    expect((await prod.get('/login/second-factor')).text).not.toContain('simulated-code');
  });
});
