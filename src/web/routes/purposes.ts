import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { personDetail } from '../../services/persons.js';
import { coApproveUse, notifyPurposes } from '../../services/purpose-use.js';
import { setIdentityCheckPolicy } from '../../services/identity-policy.js';
import { addRole, endRole, recordRoleFinalPayment } from '../../services/roles.js';
import { requirePermission, type WebDeps } from '../app.js';
import { flashDone } from '../flash.js';
import { choices, clientOf, intParam, parseBody, text, withForm } from '../forms.js';
import { personPage } from '../person-page.js';

const NoticeSchema = z.object({ _csrf: text(100), purposes: choices(20), notifiedOn: text(40) });
const RoleSchema = z.object({ _csrf: text(100), role: text(20), code: text(100), supporterCode: text(100), relationship: text(40) });
const RoleEndSchema = z.object({ _csrf: text(100), date: text(40), lastPaidOn: text(40) });
const RolePaidSchema = z.object({ _csrf: text(100), date: text(40) });
const PolicySchema = z.object({ _csrf: text(100), policy: text(10) });
const CoApprovalSchema = z.object({ _csrf: text(100), purpose: text(60), note: text(400) });

/** 利用目的の追加通知 (handlers) and the admin's co-approval of a later use, from the person page. */
export function purposeRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const showWith = (id: number, errors: Record<string, string>) => personPage(vault, personDetail(vault, id), { purposeErrors: errors });

  r.post('/:id/purposes', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, NoticeSchema);
    withForm(res, () => {
      const notice = notifyPurposes(vault, actorOf(res.locals.session!.user), id, { purposes: form.purposes, notifiedOn: form.notifiedOn }, clientOf(req));
      res.redirect(303, `/persons/${id}?notice=${notice}`);
    }, (errors) => res.status(400).render('persons/show', showWith(id, errors)));
  });

  r.post('/:id/co-approvals', requirePermission('purposes.co_approve'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, CoApprovalSchema);
    withForm(res, () => {
      coApproveUse(vault, actorOf(res.locals.session!.user), id, { purpose: form.purpose ?? '', note: form.note ?? '' }, clientOf(req));
      flashDone(req, res, `/persons/${id}`, 'co_approval');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/show', showWith(id, errors)));
  });
  // One person, one number: further roles (payee, employee, dependant of X) and their end.
  r.post('/:id/roles', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, RoleSchema);
    withForm(res, () => {
      addRole(vault, actorOf(res.locals.session!.user), id, form, clientOf(req));
      flashDone(req, res, `/persons/${id}`, 'role');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/show', showWith(id, errors)));
  });

  r.post('/:id/roles/:roleId/end', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, RoleEndSchema);
    withForm(res, () => {
      endRole(vault, actorOf(res.locals.session!.user), id, intParam(req.params.roleId), form.date, clientOf(req), form.lastPaidOn);
      flashDone(req, res, `/persons/${id}`, 'role');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/show', showWith(id, errors)));
  });

  // 最終支払日 of an ended role: that role's retention counts from the later date.
  r.post('/:id/roles/:roleId/final-payment', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, RolePaidSchema);
    withForm(res, () => {
      recordRoleFinalPayment(vault, actorOf(res.locals.session!.user), id, intParam(req.params.roleId), form.date, clientOf(req));
      flashDone(req, res, `/persons/${id}`, 'final_payment');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/show', showWith(id, errors)));
  });
  return r;
}

/** The admin's choice of what a reveal or export does with a number whose 本人確認 is missing. */
export function identityPolicyRoutes(deps: WebDeps): Router {
  const r = Router();
  r.post('/settings/identity-policy', requirePermission('users.manage'), (req, res) => {
    const form = parseBody(req, PolicySchema);
    setIdentityCheckPolicy(deps.vault, actorOf(res.locals.session!.user), form.policy ?? '', clientOf(req));
    res.redirect(303, '/settings');
  });
  return r;
}
