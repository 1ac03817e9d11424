import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { FormError } from '../../services/accounts.js';
import { approveErasure, cancelErasure, erasureCheck, proposeErasure } from '../../services/erasure.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';
import { ERASURE } from '../messages-erasure.js';

const EmptySchema = z.object({ _csrf: text(100) }).strict();
const ApproveSchema = z.object({ _csrf: text(100), irreversible: text(10) }).strict();

/**
 * Erasure of a person's data after disposal (admins, four-eyes as disposal):
 * GET/POST /persons/:id/erase shows what goes and why it is (not yet)
 * allowed, and proposes; /erasures/:id shows the request, approves (with an
 * explicit irreversible confirmation) or cancels.
 */
export function erasureRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const admin = requirePermission('disposal.approve');

  r.get('/persons/:id/erase', admin, (req, res) => {
    const c = erasureCheck(vault, intParam(req.params.id));
    res.render('erasure/confirm', { c });
  });

  r.post('/persons/:id/erase', admin, (req, res) => {
    parseBody(req, EmptySchema);
    const id = proposeErasure(vault, res.locals.session!.user, intParam(req.params.id), clientOf(req));
    res.redirect(303, `/erasures/${id}`);
  });

  r.get('/erasures/:id', admin, (req, res) => {
    const e = deps.disposals.erasure(intParam(req.params.id)) ?? notFound();
    const user = res.locals.session!.user;
    res.render('erasure/show', {
      e,
      c: erasureCheck(vault, e.personId),
      ownBlocked: e.proposedBy === user.id && deps.disposals.activeAdminCount() > 1,
      done: req.query.done === '1',
    });
  });

  r.post('/erasures/:id/approve', admin, (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, ApproveSchema.partial({ irreversible: true }));
    if (form.irreversible !== '1') throw new FormError({ irreversible: ERASURE.confirmRequired });
    approveErasure(vault, res.locals.session!.user, id, clientOf(req));
    res.redirect(303, `/erasures/${id}?done=1`);
  });

  r.post('/erasures/:id/cancel', admin, (req, res) => {
    const id = intParam(req.params.id);
    parseBody(req, EmptySchema);
    cancelErasure(vault, res.locals.session!.user, id, clientOf(req));
    res.redirect(303, `/erasures/${id}`);
  });
  return r;
}

function notFound(): never {
  throw new AppError('not_found', '指定された削除の記録はありません。');
}
