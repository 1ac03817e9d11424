import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { openIntakeCode, submitSelfIntake } from '../../services/intake.js';
import { MAX_NEW_DEPENDANTS, type FamilyChanges } from '../../services/family-changes.js';
import type { WebDeps } from '../app.js';
import { clientOf, parseBody, withForm } from '../forms.js';
import { Throttle } from '../throttle.js';
import { intakeContact } from '../../services/intake-contact.js';
import { companyName } from '../../services/settings.js';

const SubmitSchema = z.record(z.string().max(40), z.string().max(200));

/**
 * Self-intake for a person holding a one-time code: they see the purposes and
 * only their own form, and never anything else of the vault. Wrong codes are
 * throttled per address like passwords.
 */
export function selfIntakeRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const wrongCodes = new Throttle(20, 15 * 60_000);

  const open = (code: string, client: string) => {
    const now = vault.clock.now().getTime();
    if (wrongCodes.blocked(client, now)) throw new AppError('locked', '入力コードの誤りが多すぎます。しばらく待ってからもう一度お試しください。');
    try {
      return openIntakeCode(vault, code);
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') wrongCodes.fail(client, now);
      throw err;
    }
  };

  // The person's pages name the company and its contact, and lead back to the code page, never to the staff sign-in.
  r.use('/intake', (_req, res, next) => {
    res.locals.brandHref = '/intake';
    res.locals.selfIntake = true;
    res.locals.company = companyName(vault);
    res.locals.contact = intakeContact(vault);
    next();
  });

  r.get('/intake', (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code.slice(0, 40) : '';
    if (!code) return res.render('self-intake/code', { error: null });
    const form = open(code, clientOf(req) ?? '');
    res.render('self-intake/form', { f: form, code, values: {}, errors: {}, maxNew: MAX_NEW_DEPENDANTS });
  });

  r.post('/intake', (req, res) => {
    const body = parseBody(req, SubmitSchema);
    const code = body.code ?? '';
    const f = open(code, clientOf(req) ?? '');
    const dependants: Record<string, string | undefined> = {};
    for (const d of f.dependants) dependants[String(d.id)] = body[`dependant_${d.id}`];
    const family: FamilyChanges = { ended: {}, added: [], changed: {} };
    for (const d of f.dependants) family.ended[String(d.id)] = body[`ended_${d.id}`];
    for (const d of f.family) {
      const v = (k: string) => body[`changed_${d.id}_${k}`];
      family.changed![String(d.id)] = { name: v('name'), kana: v('kana'), birthDate: v('birthDate'), on: v('on') };
    }
    for (let i = 0; i < MAX_NEW_DEPENDANTS; i++) {
      const v = (k: string) => body[`new_${i}_${k}`];
      family.added.push({ name: v('name'), kana: v('kana'), birthDate: v('birthDate'), relationship: v('relationship'), since: v('since'), number: v('number') });
    }
    withForm(res, () => {
      submitSelfIntake(vault, code, { own: body.own, dependants, acknowledged: body.acknowledged === 'yes', family }, clientOf(req));
      res.render('self-intake/done', {});
    }, (errors) => {
      // Everything typed comes back except the numbers, which are never sent into a page.
      const values: Record<string, string | boolean> = { acknowledged: body.acknowledged === 'yes' };
      for (const [k, v] of Object.entries(body)) if (/^(ended_\d+|new_\d_(name|kana|birthDate|relationship|since)|changed_\d+_(name|kana|birthDate|on))$/u.test(k)) values[k] = v;
      res.status(400).render('self-intake/form', { f, code, values, errors, maxNew: MAX_NEW_DEPENDANTS });
    });
  });
  return r;
}
