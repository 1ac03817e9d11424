import express, { Router, type NextFunction, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { showOnce } from '../../domain/secret.js';
import { actorOf } from '../../services/accounts.js';
import { setStaffRequired, staffRequired } from '../../services/second-factor-policy.js';
import { confirmTotp, issueRecoveryCodes, resetSecondFactor } from '../../services/second-factor.js';
import { totpEnrolment } from '../../services/totp.js';
import { relyingPartyOf } from '../../services/webauthn.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import { registrationEndpoints } from './second-factor.js';

const Empty = z.object({ _csrf: text(100) });
const SettingForm = z.object({ _csrf: text(100), staffRequired: text(10) });
const CodeForm = z.object({ _csrf: text(100), code: text(40) });

function signedIn(_req: Request, res: Response, next: NextFunction): void {
  if (!res.locals.session?.user) return res.redirect(303, '/login');
  next();
}

/** /account/second-factor: the signed-in user's own second factor: state, recovery codes, another key. */
export function secondFactorAccountRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const rp = relyingPartyOf(deps.publicUrl);
  r.use(signedIn);

  r.get('/', (req, res) => {
    const user = res.locals.session!.user;
    res.render('account/second-factor', {
      keyAdded: req.query.added === '1',
      totpAdded: req.query.totp === '1',
      ...deps.users.secondFactorOf(user.id),
      webauthn: rp !== null,
    });
  });

  r.post('/recovery-codes', (req, res) => {
    parseBody(req, Empty);
    const codes = issueRecoveryCodes(vault, res.locals.session!.user, clientOf(req));
    res.set('Cache-Control', 'no-store');
    showOnce(codes, (shown) => res.render('account/recovery-codes', { codes: shown }));
  });

  // An authenticator app added by a signed-in user (who may already have a key, or no second factor yet).
  const totpPage = async (res: Response, status = 200, error: string | null = null) => {
    const e = totpEnrolment(vault, res.locals.session!.user);
    const qr = await QRCode.toDataURL(e.uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
    res.status(status).render('account/totp', { error, qr, base32: e.base32.replace(/(.{4})/gu, '$1 ').trim() });
  };
  r.get('/totp', async (_req, res) => {
    if (deps.users.secondFactorOf(res.locals.session!.user.id).totp) return res.redirect(303, '/account/second-factor');
    await totpPage(res);
  });
  r.post('/totp', async (req, res) => {
    const form = parseBody(req, CodeForm);
    const user = res.locals.session!.user;
    if (deps.users.secondFactorOf(user.id).totp) return res.redirect(303, '/account/second-factor');
    if (!confirmTotp(vault, user, form.code ?? '', clientOf(req))) return totpPage(res, 400, M.secondFactor.enrolWrongCode);
    res.redirect(303, '/account/second-factor?totp=1');
  });

  // Challenges of ceremonies started from this page, per session, for two minutes.
  const challenges = new Map<string, { challenge: string; at: number }>();
  registrationEndpoints(r, '/webauthn', rp, express.json({ limit: '32kb' }), {
    who: (req, res) => {
      const s = res.locals.session!;
      const key = s.idHash.toString('hex');
      const now = vault.clock.now().getTime();
      for (const [k, v] of challenges) if (now - v.at > 120_000) challenges.delete(k);
      return {
        user: s.user,
        client: clientOf(req),
        challenge: challenges.get(key)?.challenge ?? null,
        setChallenge: (c) => (c ? challenges.set(key, { challenge: c, at: now }) : challenges.delete(key)),
      };
    },
    deps,
    redirect: '/account/second-factor?added=1',
  });
  return r;
}

/** /admin/second-factor: the admin's setting for handlers and auditors, and the reset of another user's second factor. */
export function secondFactorAdminRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(requirePermission('users.manage'));

  const page = (res: Response, notice: string | null) =>
    res.render('users/second-factor', {
      notice,
      staffRequired: staffRequired(vault),
      users: deps.users.secondFactorList(),
    });

  r.get('/', (req, res) => page(res, req.query.saved === '1' ? 'saved' : req.query.reset === '1' ? 'reset' : null));

  r.post('/', (req, res) => {
    const form = parseBody(req, SettingForm);
    setStaffRequired(vault, actorOf(res.locals.session!.user), form.staffRequired === 'on', clientOf(req));
    res.redirect(303, '/admin/second-factor?saved=1');
  });

  r.post('/:id/reset', (req, res) => {
    parseBody(req, Empty);
    resetSecondFactor(vault, actorOf(res.locals.session!.user), String(req.params.id), clientOf(req));
    res.redirect(303, '/admin/second-factor?reset=1');
  });
  return r;
}
