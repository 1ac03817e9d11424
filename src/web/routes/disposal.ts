import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { actorOf } from '../../services/accounts.js';
import { approveDisposal, cancelDisposal, proposeDisposal } from '../../services/disposal.js';
import { clearHold, disposalList, schedule, setHold, updateRule, updateSchedule } from '../../services/retention.js';
import { backupsPredating } from '../../services/backup.js';
import { recordFinalPayment } from '../../services/final-payment.js';
import { backupErasureOf, confirmBackupsErased } from '../../services/backup-erasure.js';
import { requirePermission, type WebDeps } from '../app.js';
import { flashDone } from '../flash.js';
import { can } from '../policy.js';
import { M } from '../messages.js';
import { choices, clientOf, intParam, parseBody, text } from '../forms.js';

const ProposeSchema = z.object({ _csrf: text(100), batch: text(20), personId: choices(190), note: text(1000) }).strict();
const EmptySchema = z.object({ _csrf: text(100) }).strict();
const ConfirmSchema = z.object({ _csrf: text(100), confirm: text(2) }).strict();
const RuleSchema = z.object({ _csrf: text(100), years: text(10), start: text(40), source: text(2000) }).strict();
const ScheduleSchema = z.object({ _csrf: text(100), batchMonth: text(10), backupRetentionDays: text(10) }).strict();
const HoldSchema = z.object({ _csrf: text(100), reason: text(1000) }).strict();

/**
 * The disposal list and records (/disposal): handlers and admins propose,
 * admins approve (which destroys the numbers), auditors read.
 */
export function disposalRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;

  r.get('/', requirePermission('disposal.read'), (_req, res) => {
    res.render('disposal/index', { list: disposalList(vault), open: deps.disposals.disposals('proposed'), done: deps.disposals.disposals('executed', 20) });
  });

  r.post('/', requirePermission('disposal.propose'), (req, res) => {
    const form = parseBody(req, ProposeSchema);
    const id = proposeDisposal(vault, res.locals.session!.user, { batch: form.personId.length ? undefined : form.batch, personIds: form.personId, note: form.note }, clientOf(req));
    res.redirect(303, `/disposal/${id}`);
  });

  r.get('/:id', requirePermission('disposal.read'), (req, res) => {
    const id = intParam(req.params.id);
    const d = deps.disposals.disposal(id) ?? notFound();
    const user = res.locals.session!.user;
    const ownBlocked = d.proposedBy === user.id && deps.disposals.activeAdminCount() > 1;
    res.render('disposal/show', {
      d,
      persons: deps.disposals.disposalPersons(id),
      ruleNames: deps.disposals.ruleNames(),
      backupDays: schedule(vault).backupRetentionDays,
      backups: d.state === 'executed' && can(res.locals.session!.user.role, 'backups.manage') ? backupsPredating(vault, id) : null,
      ownBlocked,
      erasure: backupErasureOf(vault, id) ?? null,
      done: req.query.done === '1',
      pending: req.query.wal === 'pending',
      note: req.query.note === 'erased' ? M.accounts.doneErased : req.query.note === 'cancelled' ? M.accounts.doneDisposalCancelled : null,
    });
  });

  r.post('/:id/approve', requirePermission('disposal.approve'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, ConfirmSchema);
    if (!deps.disposals.disposal(id)) notFound();
    // Approval destroys numbers at once: it is asked twice.
    if (form.confirm !== '1') {
      const t = M.accounts.confirm.disposal;
      return res.render('confirm', { confirm: { title: t.title, message: t.message, submit: t.submit, action: `/disposal/${id}/approve`, back: `/disposal/${id}` } });
    }
    const result = approveDisposal(vault, res.locals.session!.user, id, clientOf(req));
    res.redirect(303, `/disposal/${id}?done=1${result.checkpointed ? '' : '&wal=pending'}`);
  });

  // バックアップ消去確認 (admins): the copies the disposal left in older backups are gone.
  r.post('/:id/backups-erased', requirePermission('disposal.approve'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, ErasedSchema);
    confirmBackupsErased(vault, actorOf(res.locals.session!.user), id, form.offsite === '1', clientOf(req));
    res.redirect(303, `/disposal/${id}?note=erased`);
  });

  r.post('/:id/cancel', requirePermission('disposal.propose'), (req, res) => {
    const id = intParam(req.params.id);
    parseBody(req, EmptySchema);
    cancelDisposal(vault, res.locals.session!.user, id, clientOf(req));
    res.redirect(303, `/disposal/${id}?note=cancelled`);
  });
  return r;
}

/** The retention rules and the disposal schedule (/admin/retention): admins edit, others read. */
export function retentionRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;

  r.get('/', requirePermission('disposal.read'), (req, res) => {
    res.render('retention/index', { rules: deps.disposals.rules(), schedule: schedule(vault), saved: req.query.saved === '1' });
  });

  r.post('/rules/:code', requirePermission('retention.manage'), (req, res) => {
    const code = typeof req.params.code === 'string' && /^[a-z_]{1,40}$/u.test(req.params.code) ? req.params.code : notFound();
    const form = parseBody(req, RuleSchema);
    updateRule(vault, actorOf(res.locals.session!.user), code, form, clientOf(req));
    res.redirect(303, '/admin/retention?saved=1');
  });

  r.post('/schedule', requirePermission('retention.manage'), (req, res) => {
    const form = parseBody(req, ScheduleSchema);
    updateSchedule(vault, actorOf(res.locals.session!.user), form, clientOf(req));
    res.redirect(303, '/admin/retention?saved=1');
  });
  return r;
}

/** Legal holds on a person (/persons/:id/hold): handlers and admins. */
export function holdRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;

  r.post('/:id/hold', requirePermission('holds.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, HoldSchema);
    setHold(vault, actorOf(res.locals.session!.user), id, form.reason, clientOf(req));
    flashDone(req, res, `/persons/${id}`, 'hold');
    res.redirect(303, `/persons/${id}`);
  });

  r.post('/:id/hold/clear', requirePermission('holds.write'), (req, res) => {
    const id = intParam(req.params.id);
    parseBody(req, EmptySchema);
    clearHold(vault, actorOf(res.locals.session!.user), id, clientOf(req));
    flashDone(req, res, `/persons/${id}`, 'hold_cleared');
    res.redirect(303, `/persons/${id}`);
  });

  // 最終支払日 after 退職 / 取引終了 (persons.write): retention counts from the later date.
  r.post('/:id/final-payment', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, DateSchema);
    recordFinalPayment(vault, actorOf(res.locals.session!.user), id, form.date, clientOf(req));
    flashDone(req, res, `/persons/${id}`, 'final_payment');
    res.redirect(303, `/persons/${id}`);
  });
  return r;
}

const ErasedSchema = z.object({ _csrf: text(100), offsite: text(10) }).strict();
const DateSchema = z.object({ _csrf: text(100), date: text(100) }).strict();

function notFound(): never {
  throw new AppError('not_found', '指定された廃棄の記録・ルールはありません。');
}
