import type { Express } from 'express';
import request from 'supertest';
import { parseNetworks, DEFAULT_NETWORKS } from '../../src/web/network.js';
import { createApp, type WebDeps } from '../../src/web/app.js';
import { composeCore, type Core } from '../../src/main.js';
import type { Vault } from '../../src/services/vault.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser, setUserPin } from '../../src/services/accounts.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { ADMIN } from './vault.js';
import { forgetUsedTotpStep, rememberTotpSecret, secretFromEnrolPage, totpCode, totpSecretOf } from './second-factor.js';

/** The vault behind each test app, so a Browser can compute second-factor codes on the vault's clock. */
const vaults = new WeakMap<Express, Vault>();
/** The objects each test app was composed with, for tests that reach past HTTP (coreOf). */
const cores = new WeakMap<Express, Core>();

export function testApp(vault: Vault, over: Partial<WebDeps> = {}): Express {
  const core = composeCore(vault, { pinCost: over.pinCost ?? TEST_PIN_COST });
  const deps: WebDeps = {
    ...core,
    mode: 'development',
    simulateDevices: false,
    secure: false,
    allowedNetworks: parseNetworks(DEFAULT_NETWORKS),
    pinCost: TEST_PIN_COST,
    ...over,
  };
  const app = createApp(deps);
  vaults.set(app, vault);
  cores.set(app, deps);
  return app;
}

/** The long-lived objects behind an app made by testApp (its audit verifier, backup runner, ...). */
export function coreOf(app: Express): Core {
  const core = cores.get(app);
  if (!core) throw new Error('coreOf needs an app made by testApp');
  return core;
}

/**
 * A browser-like client: keeps cookies (including Secure ones, as a browser
 * does on localhost) and reads the CSRF token from the last page it got.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';

  readonly #vault: Vault | undefined;

  /** vault: the vault behind the server when app is a URL (a running `serve`), for second-factor codes. */
  constructor(
    readonly app: Express,
    vault?: Vault,
  ) {
    this.#vault = vault ?? vaults.get(app);
  }

  private remember(res: request.Response): request.Response {
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    for (const c of set ?? []) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/iu.test(a));
      if (expired || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    const m = /name="_csrf" value="([^"]+)"/u.exec(res.text ?? '') ?? /data-csrf="([^"]+)"/u.exec(res.text ?? '');
    if (m) this.csrf = m[1]!;
    return res;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string): Promise<request.Response> {
    return this.remember(await request(this.app).get(path).set('Cookie', this.cookieHeader()));
  }

  /** Posts a form with the current CSRF token unless one is given. */
  async post(path: string, form: Record<string, string | string[]> = {}, csrf: string | null = this.csrf): Promise<request.Response> {
    const body = new URLSearchParams();
    if (csrf !== null) body.append('_csrf', csrf);
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.remember(
      await request(this.app).post(path).set('Cookie', this.cookieHeader()).type('form').send(body.toString()),
    );
  }

  async upload(path: string, bytes: Buffer, csrf: string | null = this.csrf): Promise<request.Response> {
    const r = request(this.app).post(path).set('Cookie', this.cookieHeader()).set('Content-Type', 'text/csv');
    if (csrf !== null) r.set('X-CSRF-Token', csrf);
    return this.remember(await r.send(bytes));
  }

  /** A GET whose body is kept as raw bytes (downloads). */
  async getBytes(path: string): Promise<request.Response & { body: Buffer }> {
    const res = await request(this.app)
      .get(path)
      .set('Cookie', this.cookieHeader())
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    return res as request.Response & { body: Buffer };
  }

  /** Signs in with the password and, where the sign-in asks for it, the second factor (see passSecondFactor). */
  async signIn(login: string, password: string): Promise<request.Response> {
    await this.get('/login');
    return this.passSecondFactor(login, await this.post('/login', { login, password }));
  }

  /**
   * Follows a password sign-in's answer through the second factor as a user
   * with an authenticator app would: on the enrolment page reads the secret
   * shown for manual entry and confirms it with a code; on the second-factor
   * page types the current code. Other answers are returned as they are.
   */
  async passSecondFactor(login: string, res: request.Response): Promise<request.Response> {
    const to = res.status === 303 ? res.headers.location : undefined;
    if (to !== '/login/enrol' && to !== '/login/second-factor') return res;
    const vault = this.#vault;
    if (!vault) throw new Error('passSecondFactor needs an app made by testApp, or the vault given to new Browser(url, vault)');
    if (to === '/login/enrol') {
      const base32 = secretFromEnrolPage((await this.get('/login/enrol')).text);
      rememberTotpSecret(vault, login, base32);
      return this.post('/login/enrol/totp', { code: totpCode(base32, vault.clock.now()) });
    }
    const base32 = totpSecretOf(vault, login);
    if (!base32) throw new Error(`no TOTP secret remembered for ${login}`);
    await this.get('/login/second-factor');
    forgetUsedTotpStep(vault, login);
    return this.post('/login/second-factor/totp', { code: totpCode(base32, vault.clock.now()) });
  }
}

export const HANDLER = { login: 'tanto', password: 'handler password 1', pin: '482915' } as const;
export const AUDITOR = { login: 'kansa', password: 'auditor password 1' } as const;

/** Adds a handler (with a PIN) and an auditor, as an admin would. */
export async function addStaff(vault: Vault): Promise<void> {
  const admin = vault.users.byLogin(ADMIN.login)!;
  const actor = { id: admin.id, name: admin.displayName };
  const h = await createUser(vault, actor, { login: HANDLER.login, displayName: '担当 花子', role: 'handler', password: new Secret(HANDLER.password) }, null);
  await setUserPin(vault, admin, h.id, new Secret(ADMIN.pin), new Secret(HANDLER.pin), null, TEST_PIN_COST);
  await createUser(vault, actor, { login: AUDITOR.login, displayName: '監査 次郎', role: 'auditor', password: new Secret(AUDITOR.password) }, null);
}
