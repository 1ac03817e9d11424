import { Router, type Request } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { japanDate } from '../../domain/dates.js';
import { MyNumber } from '../../domain/my-number.js';
import { purposesFor } from '../../domain/purposes.js';
import { actorOf } from '../../services/accounts.js';
import { issueIntakeCode, recordIdentityCheck, recordIntake } from '../../services/intake.js';
import { personDetail } from '../../services/persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { choices, clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';

const IdentityFields = {
  method: text(20),
  numberDocument: text(50),
  identityDocuments: choices(20),
  checkedOn: text(40),
  note: text(400),
};
const IntakeSchema = z.object({ _csrf: text(100), purposes: choices(20), number: text(100), refusalReason: text(400), ...IdentityFields });
const IdentitySchema = z.object({ _csrf: text(100), ...IdentityFields });

/** 取得: a handler takes a number (purposes → number → 本人確認), records a check, or issues a self-intake code. */
export function intakeRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const today = () => japanDate(vault.clock.now());

  const intakeView = (id: number, form: Record<string, unknown>, errors: Record<string, string>) => {
    const d = personDetail(vault, id);
    return { d, purposes: purposesFor(d.person.kind), form, errors };
  };

  r.get('/:id/intake', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const v = intakeView(id, { purposes: purposesFor(personDetail(vault, id).person.kind).map((p) => p.code), checkedOn: today(), method: 'in_person', identityDocuments: [] }, {});
    res.render('intake/form', v);
  });

  r.post('/:id/intake', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, IntakeSchema);
    withForm(res, () => {
      recordIntake(vault, actorOf(res.locals.session!.user), id, {
        purposes: form.purposes,
        number: form.number,
        refusalReason: form.refusalReason,
        identity: { method: form.method, numberDocument: form.numberDocument, identityDocuments: form.identityDocuments, checkedOn: form.checkedOn, note: form.note },
      }, clientOf(req));
      const parsed = form.number ? MyNumber.tryParse(form.number) : undefined;
      res.redirect(303, `/persons/${id}${parsed?.ok && parsed.value.placeholderWarning() ? '?warning=placeholder' : ''}`);
    }, (errors) => {
      // The number is never sent back into the page, even after an error.
      res.status(400).render('intake/form', intakeView(id, scrub({ ...form, number: '' }), errors));
    });
  });

  r.get('/:id/identity-check', requirePermission('intake.write'), (req, res) => {
    const d = personDetail(vault, intParam(req.params.id));
    res.render('intake/identity', { d, form: { checkedOn: today(), method: 'in_person', identityDocuments: [] }, errors: {} });
  });

  r.post('/:id/identity-check', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, IdentitySchema);
    withForm(res, () => {
      recordIdentityCheck(vault, actorOf(res.locals.session!.user), id, form, clientOf(req));
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('intake/identity', { d: personDetail(vault, id), form: scrub(form), errors }));
  });

  r.post('/:id/intake-codes', requirePermission('intake.write'), async (req, res) => {
    const id = intParam(req.params.id);
    const d = personDetail(vault, id);
    const { code, expiresAt } = issueIntakeCode(vault, actorOf(res.locals.session!.user), id, clientOf(req));
    const url = `${baseUrl(deps, req)}/intake?code=${encodeURIComponent(code)}`;
    const qr = await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
    res.render('intake/slip', { d, code, url, qr, expiresAt });
  });
  return r;
}

function baseUrl(deps: WebDeps, req: Request): string {
  if (deps.publicUrl) return deps.publicUrl.replace(/\/+$/u, '');
  return `${deps.secure ? 'https' : 'http'}://${req.get('host') ?? 'localhost'}`;
}
