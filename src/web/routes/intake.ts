import { Router, type Request } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { japanDate } from '../../domain/dates.js';
import { MyNumber } from '../../domain/my-number.js';
import { purposesFor } from '../../domain/purposes.js';
import { actorOf } from '../../services/accounts.js';
import { issueIntakeCode, recordIdentityCheck, recordIntake, type CodePurposes } from '../../services/intake.js';
import { personDetail } from '../../services/persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { flashDone } from '../flash.js';
import { choices, clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { certificateDnsNames } from '../tls.js';
import { personPage } from '../person-page.js';

const IdentityFields = {
  method: text(20),
  route: text(30),
  otherDocumentName: text(200),
  authorityDocument: text(40),
  proxyDocuments: choices(20),
  numberDocument: text(50),
  identityDocuments: choices(20),
  checkedOn: text(40),
  note: text(400),
};
const IntakeSchema = z.object({ _csrf: text(100), purposes: choices(20), number: text(100), refusalReason: text(400), ...IdentityFields });
const IdentitySchema = z.object({ _csrf: text(100), ...IdentityFields });
const CodeSchema = z.record(z.string().max(40), z.union([z.string().max(100), z.array(z.string().max(60)).max(20)]));

/**
 * The purposes the handler ticked per person (fields purposes_<id>), when the
 * form says it offered the choice (codePurposes=1); else undefined, and the
 * service refuses the code (no kind's defaults are recorded as notified).
 */
function chosenPurposes(body: Record<string, string | string[]>): CodePurposes | undefined {
  if (body.codePurposes !== '1') return undefined;
  const chosen: CodePurposes = {};
  for (const [k, v] of Object.entries(body)) {
    const m = /^purposes_([0-9]{1,9})$/u.exec(k);
    if (m) chosen[m[1]!] = Array.isArray(v) ? v : [v];
  }
  return chosen;
}

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
        identity: { method: form.method, route: form.route, numberDocument: form.numberDocument, identityDocuments: form.identityDocuments, otherDocumentName: form.otherDocumentName, authorityDocument: form.authorityDocument, proxyDocuments: form.proxyDocuments, checkedOn: form.checkedOn, note: form.note },
      }, clientOf(req));
      const parsed = form.number ? MyNumber.tryParse(form.number) : undefined;
      flashDone(req, res, `/persons/${id}`, 'number');
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
      flashDone(req, res, `/persons/${id}`, 'identity');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('intake/identity', { d: personDetail(vault, id), form: scrub(form), errors }));
  });

  r.post('/:id/intake-codes', requirePermission('intake.write'), async (req, res) => {
    const id = intParam(req.params.id);
    const d = personDetail(vault, id);
    const body = parseBody(req, CodeSchema);
    let issued: { code: string; expiresAt: string } | undefined;
    withForm(res, () => {
      issued = issueIntakeCode(vault, actorOf(res.locals.session!.user), id, clientOf(req), chosenPurposes(body));
    }, (errors) => res.status(400).render('persons/show', personPage(vault, d, { codeErrors: errors })));
    if (!issued) return;
    const { code, expiresAt } = issued;
    const url = `${baseUrl(deps, req)}/intake?code=${encodeURIComponent(code)}`;
    const qr = await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
    res.render('intake/slip', { d, code, url, qr, expiresAt });
  });
  return r;
}

/**
 * The address printed on the slip: MNVAULT_PUBLIC_URL, else the first name in
 * the server certificate (a LAN name before localhost) and the port this
 * connection came in on. Never the request's Host header, which the client
 * chooses: a forged Host would print a phishing address on a real slip.
 */
export function baseUrl(deps: WebDeps, req: Request): string {
  if (deps.publicUrl) return deps.publicUrl.replace(/\/+$/u, '');
  const scheme = deps.secure ? 'https' : 'http';
  const port = req.socket.localPort;
  const host = (deps.secure ? certificateDnsNames(deps.vault.dataDir) : [])[0] ?? 'localhost';
  const defaultPort = deps.secure ? 443 : 80;
  return `${scheme}://${host}${port === undefined || port === defaultPort ? '' : `:${port}`}`;
}
