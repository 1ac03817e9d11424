import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

/** Every object a template is rendered with, as the app hands it over (res.locals merged in). */
function recordRenders(app: Express): unknown[] {
  const seen: unknown[] = [];
  const render = app.render.bind(app) as (name: string, options: object, cb: (err: Error | null, html?: string) => void) => void;
  (app as unknown as { render: typeof render }).render = (name, options, cb) => {
    seen.push(options);
    render(name, options, cb);
  };
  return seen;
}

describe('what templates are given', () => {
  it('never hands a template a password hash: not the signed-in user, not an account on the admin pages', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const app = testApp(vault);
    const seen = recordRenders(app);
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const handler = vault.users.byLogin(HANDLER.login)!;
    for (const path of [
      '/',
      '/admin/users',
      `/admin/users/${handler.id}/edit`,
      `/admin/users/${handler.id}/password`,
      `/admin/users/${handler.id}/pin`,
      '/account/password',
      '/admin/security-keys',
      '/account/second-factor',
      '/admin/second-factor',
    ]) {
      expect((await admin.get(path)).status).toBe(200);
    }
    expect(seen.length).toBeGreaterThanOrEqual(9);
    const hashes = [ADMIN.login, HANDLER.login].map((login) => vault.users.byLogin(login)!.passwordHash);
    const given = JSON.stringify(seen, (_k, v: unknown) => (typeof v === 'function' ? undefined : v));
    for (const hash of hashes) expect(given).not.toContain(hash);
    expect(given).not.toContain('passwordHash');
  });
});
