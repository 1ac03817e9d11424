import { Router } from 'express';
import { z } from 'zod';
import { Secret } from '../../domain/secret.js';
import { looksLikeNumber } from '../../domain/digits.js';
import { actorOf, signIn } from '../../services/accounts.js';
import { writeTransaction } from '../../storage/database.js';
import type { WebDeps } from '../app.js';
import { clientOf, parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import { afterPassword } from '../second-factor-step.js';
import { endSession } from '../sessions.js';
import { Throttle } from '../throttle.js';

const LoginForm = z.object({ login: text(64), password: text(256), _csrf: text(100) });

/** Sign-in and sign-out. Failures are throttled per address and per account, and all are audited. */
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
    if (byAddress.blocked(client ?? '', now) || byAccount.blocked(login, now)) {
      return res.status(429).render('login', { error: M.throttled, notice: null, login });
    }
    const result = await signIn(deps.vault, typed, new Secret(form.password ?? ''), client);
    if (!result.ok) {
      byAddress.fail(client ?? '', now);
      byAccount.fail(login, now);
      return res.status(result.locked ? 423 : 401).render('login', { error: result.message, notice: null, login });
    }
    // The second step (second factor or its enrolment) decides when the session starts.
    afterPassword(deps.vault, req, res, result.user, client, deps.secure);
  });

  r.post('/logout', (req, res) => {
    const user = res.locals.session?.user;
    if (user) {
      writeTransaction(deps.vault.db, () => deps.vault.audit.append({ actor: actorOf(user), action: 'auth.signed_out', client: clientOf(req), detail: {} }));
    }
    endSession(deps.vault, res, deps.secure);
    res.redirect(303, '/login?out=1');
  });
  return r;
}
