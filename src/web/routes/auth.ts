import { Router } from 'express';
import { z } from 'zod';
import { Secret } from '../../domain/secret.js';
import { looksLikeNumber } from '../../domain/digits.js';
import { recordSignOut, signIn } from '../../services/accounts.js';
import type { WebDeps } from '../app.js';
import { clientOf, parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import { afterPassword } from '../second-factor-step.js';
import { endSession } from '../sessions.js';
import { Throttle, throttleKey } from '../throttle.js';
import { AppError } from '../../domain/errors.js';

const LoginForm = z.object({ login: text(64), password: text(256), _csrf: text(100) });

/**
 * Counts a sign-in against both throttles before the password is checked
 * (undefined when either is over its limit); release() takes it back after a success.
 */
function reserveAttempt(byAddress: Throttle, byAccount: Throttle, address: string, login: string, now: number): { release(): void } | undefined {
  if (byAddress.blocked(address, now) || byAccount.blocked(login, now)) return undefined;
  byAddress.reserve(address, now);
  byAccount.reserve(login, now);
  return {
    release() {
      byAddress.release(address, now);
      byAccount.release(login, now);
    },
  };
}

/** Sign-in and sign-out. Attempts are throttled per address (/64 for IPv6) and per account, and all are audited. */
export function authRoutes(deps: WebDeps): Router {
  const r = Router();
  const byAddress = new Throttle(20, 15 * 60_000);
  const byAccount = new Throttle(10, 15 * 60_000);

  r.get('/login', (req, res) => {
    if (res.locals.session) return res.redirect(303, '/');
    const notice = req.query.expired ? M.sessionExpired : req.query.out ? M.login.signedOut : null;
    res.render('login', { error: null, notice, login: '' });
  });

  r.post('/login', async (req, res) => {
    const form = parseBody(req, LoginForm);
    const client = clientOf(req);
    const typed = (form.login ?? '').normalize('NFKC').trim().toLowerCase();
    const login = looksLikeNumber(typed) ? '' : typed;
    const now = deps.vault.clock.now().getTime();
    const attempt = reserveAttempt(byAddress, byAccount, throttleKey(client), login, now);
    if (!attempt) return res.status(429).render('login', { error: M.throttled, notice: null, login });
    let result;
    try {
      result = await signIn(deps.vault, typed, new Secret(form.password ?? ''), client);
    } catch (err) {
      attempt.release();
      if (err instanceof AppError && err.code === 'overloaded') return res.status(429).render('login', { error: err.publicMessage, notice: null, login });
      throw err;
    }
    if (!result.ok) return res.status(401).render('login', { error: result.message, notice: null, login });
    attempt.release();
    // The second step (second factor or its enrolment) decides when the session starts.
    afterPassword(deps.vault, deps.signIns, req, res, result.user, client, deps.secure);
  });

  r.post('/logout', (req, res) => {
    const user = res.locals.session?.user;
    if (user) {
      recordSignOut(deps.vault, user, clientOf(req));
    }
    endSession(deps.signIns, res, deps.secure);
    res.redirect(303, '/login?out=1');
  });
  return r;
}
