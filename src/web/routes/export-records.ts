import { Router, type Response } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { confirmFileDeleted, exportRecord, exportRecords, recordProvision } from '../../services/provisions.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { M } from '../messages.js';

const ProvisionSchema = z.object({ _csrf: text(100), destination: text(40), channel: text(40), providedOn: text(40) }).strict();
const DeletedSchema = z.object({ _csrf: text(100), confirmed: text(10) }).strict();

/** /exports: where each export went (提供・提出) and its file's deletion (持出しの終了); handlers and admins. */
export function exportRecordRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const show = (res: Response, seq: number, status = 200, form: object = {}, errors: Record<string, string> = {}) =>
    res.status(status).render('exports/show', { title: M.exportRecords.showTitle.replace('{seq}', String(seq)), e: exportRecord(vault, seq), form, errors });

  r.get('/', requirePermission('persons.write'), (_req, res) => {
    res.render('exports/index', { title: M.exportRecords.title, records: exportRecords(vault) });
  });

  r.get('/:seq', requirePermission('persons.write'), (req, res) => show(res, intParam(req.params.seq)));

  r.post('/:seq/provisions', requirePermission('persons.write'), (req, res) => {
    const seq = intParam(req.params.seq);
    const form = parseBody(req, ProvisionSchema);
    withForm(res, () => {
      recordProvision(vault, actorOf(res.locals.session!.user), seq, form, clientOf(req));
      res.redirect(303, `/exports/${seq}`);
    }, (errors) => show(res, seq, 400, scrub(form), errors));
  });

  r.post('/:seq/deleted', requirePermission('persons.write'), (req, res) => {
    const seq = intParam(req.params.seq);
    const form = parseBody(req, DeletedSchema);
    withForm(res, () => {
      confirmFileDeleted(vault, actorOf(res.locals.session!.user), seq, form.confirmed === '1', clientOf(req));
      res.redirect(303, `/exports/${seq}`);
    }, (errors) => show(res, seq, 400, {}, errors));
  });
  return r;
}
