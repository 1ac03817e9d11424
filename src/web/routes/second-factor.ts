import express, { Router, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { packagePath } from '../../paths.js';
import { checkRecoveryCode, checkTotp, confirmTotp, factorFailed, webAuthnEnrolled, webAuthnPassed, type FactorResult } from '../../services/second-factor.js';
import { simulatedAppCode, totpEnrolment } from '../../services/totp.js';
import { authenticationOptions, registrationOptions, relyingPartyOf, verifyAuthentication, verifyRegistration, type RelyingParty } from '../../services/webauthn.js';
import type { WebDeps } from '../app.js';
import { parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import type { UserView } from '../../domain/users.js';
import { completeSignIn, dropPending, loadPending, type Pending } from '../second-factor-step.js';

const CodeForm = z.object({ _csrf: text(100), code: text(40) });
const RecoveryForm = z.object({ _csrf: text(100), recoveryCode: text(60) });
const S = M.secondFactor;

/** The browser half of WebAuthn, served from our own origin (no CDN; the CSP allows only 'self'). */
export const WEBAUTHN_BROWSER_SCRIPT = packagePath('node_modules', '@simplewebauthn', 'browser', 'dist', 'bundle', 'index.umd.min.js');

/**
 * /login/second-factor and /login/enrol: the step after the password. Only a
 * pending sign-in (cookie) reaches them; a session is made when the second
 * factor is passed or, for a user who must have one and has none, enrolled.
 */
export function secondFactorRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault, signIns } = deps;
  const rp = relyingPartyOf(deps.publicUrl);
  const json = express.json({ limit: '32kb' });

  r.get('/vendor/simplewebauthn-browser.js', (_req, res) => {
    res.type('application/javascript').sendFile(WEBAUTHN_BROWSER_SCRIPT);
  });

  /** The pending sign-in of the given purpose, or a redirect to the password page. */
  const pendingFor = (purpose: 'verify' | 'enrol', req: Request, res: Response): Pending | null => {
    const p = loadPending(signIns, req, deps.secure);
    if (p && p.row.purpose === purpose) return p;
    dropPending(signIns, req, res, deps.secure);
    if (req.is('application/json')) res.status(401).json({ ok: false, message: S.expired });
    else res.redirect(303, '/login?expired=1');
    return null;
  };

  /** Development with simulated devices only: the code a simulated authenticator app shows now. */
  const simulated = (p: Pending) => (deps.simulateDevices && deps.mode !== 'production' ? simulatedAppCode(vault, p.user) : null);

  const verifyPage = (res: Response, p: Pending, status = 200, error: string | null = null) => {
    const factors = deps.users.secondFactorOf(p.user.id);
    res.status(status).render('login/second-factor', { error, webauthn: rp !== null && factors.keys.length > 0, totp: factors.totp, simulatedCode: simulated(p) });
  };

  /** A failed factor: the page again with what went wrong, or the password page when the account locked. */
  const refused = (req: Request, res: Response, p: Pending, result: FactorResult, message: string) => {
    if (result.ok) return;
    if (result.locked) {
      dropPending(signIns, req, res, deps.secure);
      return res.status(423).render('login', { error: S.locked, notice: null, login: p.user.login });
    }
    verifyPage(res, p, 401, message);
  };

  r.get('/login/second-factor', (req, res) => {
    const p = pendingFor('verify', req, res);
    if (p) verifyPage(res, p);
  });

  r.post('/login/second-factor/totp', (req, res) => {
    const p = pendingFor('verify', req, res);
    if (!p) return;
    const form = parseBody(req, CodeForm);
    const result = checkTotp(vault, p.user, form.code ?? '', p.row.client);
    if (!result.ok) return refused(req, res, p, result, S.wrongCode);
    completeSignIn(signIns, req, res, p, deps.secure);
    res.redirect(303, '/');
  });

  r.post('/login/second-factor/recovery', (req, res) => {
    const p = pendingFor('verify', req, res);
    if (!p) return;
    const form = parseBody(req, RecoveryForm);
    const result = checkRecoveryCode(vault, p.user, form.recoveryCode ?? '', p.row.client);
    if (!result.ok) return refused(req, res, p, result, S.wrongRecovery);
    completeSignIn(signIns, req, res, p, deps.secure);
    res.redirect(303, '/account/second-factor');
  });

  r.post('/login/second-factor/webauthn/options', json, async (req, res) => {
    const p = pendingFor('verify', req, res);
    if (!p) return;
    if (!rp) return void res.status(409).json({ ok: false, message: S.webauthnUnavailable });
    const options = await authenticationOptions(vault, rp, p.user);
    signIns.setChallenge(p.row.idHash, options.challenge);
    res.json(options);
  });

  r.post('/login/second-factor/webauthn/verify', json, async (req, res) => {
    const p = pendingFor('verify', req, res);
    if (!p) return;
    const challenge = p.row.challenge;
    // A challenge answers once, right or wrong.
    signIns.setChallenge(p.row.idHash, null);
    const ok = rp && challenge ? await verifyAuthentication(vault, rp, p.user, challenge, (req.body as { response?: unknown } | undefined)?.response) : null;
    if (!ok) {
      const f = factorFailed(vault, p.user, 'webauthn', p.row.client);
      if (!f.ok && f.locked) dropPending(signIns, req, res, deps.secure);
      return void res.status(f.ok ? 200 : f.locked ? 423 : 401).json({ ok: false, message: !f.ok && f.locked ? S.locked : S.webauthnFailed });
    }
    webAuthnPassed(vault, p.user, ok, p.row.client);
    completeSignIn(signIns, req, res, p, deps.secure);
    res.json({ ok: true, redirect: '/' });
  });

  const enrolPage = async (res: Response, p: Pending, status = 200, error: string | null = null) => {
    const e = totpEnrolment(vault, p.user);
    const qr = await QRCode.toDataURL(e.uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
    res.status(status).render('login/enrol', { error, qr, base32: e.base32.replace(/(.{4})/gu, '$1 ').trim(), webauthn: rp !== null, simulatedCode: simulated(p) });
  };

  r.get('/login/enrol', async (req, res) => {
    const p = pendingFor('enrol', req, res);
    if (p) await enrolPage(res, p);
  });

  r.post('/login/enrol/totp', async (req, res) => {
    const p = pendingFor('enrol', req, res);
    if (!p) return;
    const form = parseBody(req, CodeForm);
    if (!confirmTotp(vault, p.user, form.code ?? '', p.row.client)) return enrolPage(res, p, 400, S.enrolWrongCode);
    completeSignIn(signIns, req, res, p, deps.secure);
    res.redirect(303, '/');
  });

  registrationEndpoints(r, '/login/enrol/webauthn', rp, json, {
    who: (req, res) => {
      const p = pendingFor('enrol', req, res);
      return p && { user: p.user, client: p.row.client, challenge: p.row.challenge, setChallenge: (c) => signIns.setChallenge(p.row.idHash, c), done: (rq, rs) => completeSignIn(signIns, rq, rs, p, deps.secure) };
    },
    deps,
    redirect: '/',
  });
  return r;
}

/** Whose new credential a registration ceremony makes, and where its challenge is kept. */
export interface Registrant {
  user: UserView;
  client: string | null;
  challenge: string | null;
  setChallenge(challenge: string | null): void;
  done?(req: Request, res: Response): void;
}

/** POST BASE/options and BASE/verify: a WebAuthn registration for the user `who` names. */
export function registrationEndpoints(
  r: Router,
  base: string,
  rp: RelyingParty | null,
  json: ReturnType<typeof express.json>,
  opts: { who: (req: Request, res: Response) => Registrant | null; deps: WebDeps; redirect: string },
): void {
  const { vault } = opts.deps;
  r.post(`${base}/options`, json, async (req, res) => {
    const who = opts.who(req, res);
    if (!who) return;
    if (!rp) return void res.status(409).json({ ok: false, message: S.webauthnUnavailable });
    const options = await registrationOptions(vault, rp, who.user);
    who.setChallenge(options.challenge);
    res.json(options);
  });
  r.post(`${base}/verify`, json, async (req, res) => {
    const who = opts.who(req, res);
    if (!who) return;
    const challenge = who.challenge;
    who.setChallenge(null);
    const c = rp && challenge ? await verifyRegistration(rp, who.user, challenge, (req.body as { response?: unknown } | undefined)?.response) : null;
    if (!c) return void res.status(400).json({ ok: false, message: S.webauthnFailed });
    webAuthnEnrolled(vault, who.user, c, who.client);
    who.done?.(req, res);
    res.json({ ok: true, redirect: opts.redirect });
  });
}
