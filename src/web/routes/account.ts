import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { Secret, showOnce } from '../../domain/secret.js';
import { FormError } from '../../services/accounts.js';
import { changeOwnPin, regenerateRecoveryCode } from '../../services/slot-changes.js';
import { changeOwnPassword } from '../../services/account-changes.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, parseBody, text } from '../forms.js';

const PinChangeSchema = z.object({ _csrf: text(100), currentPin: text(40), newPin: text(40), confirmPin: text(40) });
const PasswordChangeSchema = z.object({ _csrf: text(100), currentPassword: text(256), newPassword: text(256), confirmPassword: text(256) });
const RecoverySchema = z.object({ _csrf: text(100), adminPin: text(40) });

function signedIn(_req: Request, res: Response, next: NextFunction): void {
  if (!res.locals.session?.user) return res.redirect(303, '/login');
  next();
}

/** /account/pin: the signed-in user changes their own PIN (PINの変更). */
export function accountRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(signedIn);
  r.get('/password', (req, res) => res.render('account/password', { errors: {}, done: req.query.done === '1', forced: res.locals.session!.user.mustChangePassword }));
  r.post('/password', async (req, res) => {
    const form = parseBody(req, PasswordChangeSchema);
    const session = res.locals.session!;
    try {
      await changeOwnPassword(
        vault,
        session.user,
        { current: new Secret(form.currentPassword ?? ''), next: new Secret(form.newPassword ?? ''), confirm: new Secret(form.confirmPassword ?? '') },
        session.idHash,
        clientOf(req),
      );
      // A forced change leads on to the home page; a chosen one stays with its note.
      res.redirect(303, session.user.mustChangePassword ? '/?password=changed' : '/account/password?done=1');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('account/password', { errors: err.fields, done: false, forced: session.user.mustChangePassword });
    }
  });
  r.get('/pin', (req, res) => res.render('account/pin', { errors: {}, done: req.query.done === '1' }));
  r.post('/pin', async (req, res) => {
    const form = parseBody(req, PinChangeSchema);
    try {
      await changeOwnPin(
        vault,
        res.locals.session!.user,
        { currentPin: new Secret(form.currentPin ?? ''), newPin: new Secret(form.newPin ?? ''), confirmPin: new Secret(form.confirmPin ?? '') },
        clientOf(req),
        deps.pinCost,
      );
      res.redirect(303, '/account/pin?done=1');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('account/pin', { errors: err.fields, done: false });
    }
  });
  return r;
}

/** /admin/recovery-code: an admin regenerates the recovery code; the new one is shown once. */
export function recoveryCodeRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(requirePermission('users.manage'));
  r.get('/', (_req, res) => res.render('account/recovery', { errors: {} }));
  r.post('/', async (req, res) => {
    const form = parseBody(req, RecoverySchema);
    let code: Secret<string>;
    try {
      code = await regenerateRecoveryCode(vault, res.locals.session!.user, new Secret(form.adminPin ?? ''), clientOf(req));
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return res.status(400).render('account/recovery', { errors: err.fields });
    }
    res.set('Cache-Control', 'no-store');
    showOnce([code], ([shown]) => res.render('account/recovery-code', { code: shown }));
  });
  return r;
}
