import { Secret as OtpSecret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import type { Vault } from '../../src/services/vault.js';

/**
 * The second factor as a person with an authenticator app does it: the
 * helper reads the secret from the enrolment page (as a phone scans the QR),
 * keeps it per vault and login, and types the current code.
 */
const secrets = new WeakMap<Vault, Map<string, string>>();

export function rememberTotpSecret(vault: Vault, login: string, base32: string): void {
  const m = secrets.get(vault) ?? new Map<string, string>();
  m.set(login, base32.replace(/\s+/gu, ''));
  secrets.set(vault, m);
}

export function totpSecretOf(vault: Vault, login: string): string | undefined {
  return secrets.get(vault)?.get(login);
}

/** RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at a time; stepOffset picks a neighbouring step. */
export function totpCode(base32: string, at: Date, stepOffset = 0): string {
  const totp = new TOTP({ secret: OtpSecret.fromBase32(base32.replace(/\s+/gu, '')), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: at.getTime() + stepOffset * 30_000 });
}

/**
 * Tests run on a fixed clock, so the same 30-second step comes back at every
 * sign-in; each code is accepted once, so the helper forgets the step used
 * before signing in again. (The once-only rule itself is tested in
 * test/web/second-factor.test.ts.)
 */
export function forgetUsedTotpStep(vault: Vault, login: string): void {
  const user = vault.users.byLogin(login);
  if (user) vault.db.prepare('UPDATE second_factor_totp SET last_step = NULL WHERE user_id = ?').run(user.id);
}

/** Parses the manual-entry secret shown on the enrolment page. */
export function secretFromEnrolPage(html: string): string {
  const m = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/u.exec(html);
  if (!m) throw new Error('no TOTP secret on the enrolment page');
  return m[1]!.replace(/\s+/gu, '');
}

/**
 * In Chromium, after the password: enrols TOTP on the enrolment page or types
 * the code on the second-factor page, then waits to leave the /login pages.
 */
export async function passSecondFactorInPage(page: Page, vault: Vault, login: string): Promise<void> {
  await page.waitForURL((u) => u.pathname !== '/login' || u.search !== '');
  const path = new URL(page.url()).pathname;
  if (path === '/login/enrol') {
    const base32 = (await page.locator('#totp-secret').textContent()) ?? '';
    rememberTotpSecret(vault, login, base32);
    await page.getByLabel('認証アプリの6桁のコード').fill(totpCode(base32, vault.clock.now()));
    await page.getByRole('button', { name: '認証アプリを登録する' }).click();
  } else if (path === '/login/second-factor') {
    const base32 = totpSecretOf(vault, login);
    if (!base32) throw new Error(`no TOTP secret remembered for ${login}`);
    forgetUsedTotpStep(vault, login);
    await page.getByLabel('認証アプリの6桁のコード').fill(totpCode(base32, vault.clock.now()));
    await page.getByRole('button', { name: 'コードで確認する' }).click();
  } else {
    return;
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}
