import { Router } from 'express';
import { z } from 'zod';
import { findPurpose, PURPOSES } from '../../domain/purposes.js';
import { findEntryPurpose } from '../../domain/entry-purposes.js';
import { AppError } from '../../domain/errors.js';
import { DEFAULT_WINDOWS } from '../../gate/requests.js';
import { cancelRequest, downloadExport, reopenRequest, requestExport, requestReveal, viewReveal, type RevealStore } from '../../services/gate.js';
import { gateFeedback } from '../../services/gate-feedback.js';
import { M } from '../messages.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';

/** How long a waiting page's status request is held open when nothing happens. */
const LONG_POLL_MS = 25_000;

const RevealSchema = z.object({ _csrf: text(100), personId: text(20), purpose: text(60), note: text(400) });
const Empty = z.object({ _csrf: text(100) });
const ExportSchema = z.object({ _csrf: text(100), set: text(20), purpose: text(60), encoding: text(20), year: text(10) });

/**
 * Reveal requests: the handler asks here, approves at the appliance, and this
 * page (polling a JSON status, no inline script) shows the number for the
 * viewing window and then masks it. A second look needs a new request.
 */
export function gateRoutes(deps: WebDeps & { reveals: RevealStore }): Router {
  const r = Router();
  const { vault, reveals, gatePages } = deps;
  const windows = deps.gateWindows ?? DEFAULT_WINDOWS;
  // Waiting pages serve number requests and entry requests (入室申請, admins too); each shows only the user's own.
  r.use(requirePermission('gate.request', 'entry.request'));
  const numbers = requirePermission('gate.request');

  // A user's own requests, newest first: each opens its waiting page; open ones cancel, ended ones reopen.
  r.get('/', (req, res) => {
    const user = res.locals.session!.user;
    const rows = gatePages.recentOf(user.id, 50).map((g) => ({
      ...g,
      subject: g.kind === 'reveal' && g.firstPersonName !== null ? g.firstPersonName : g.kind === 'export' || g.kind === 'filing' ? M.gateFeedback.list.persons.replace('{n}', String(g.personIds.length)) : '',
    }));
    res.render('gate/index', { rows, note: req.query.done === 'cancelled' ? M.gateFeedback.cancelled : null });
  });

  r.post('/:id/reopen', (req, res) => {
    parseBody(req, Empty);
    const request = reopenRequest(vault, reveals.requests, res.locals.session!.user, intParam(req.params.id), clientOf(req), windows);
    res.redirect(303, `/gate/${request.id}?reopened=1`);
  });

  r.get('/export/new', numbers, (_req, res) => {
    res.render('gate/export', { purposes: PURPOSES, errors: {} });
  });

  r.post('/export', numbers, (req, res) => {
    const form = parseBody(req, ExportSchema);
    try {
      const request = requestExport(vault, reveals.requests, res.locals.session!.user, { set: form.set ?? '', purpose: form.purpose ?? '', encoding: form.encoding ?? '', year: form.year }, clientOf(req), windows);
      res.redirect(303, `/gate/${request.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      res.status(400).render('gate/export', { purposes: PURPOSES, errors: { form: err.publicMessage } });
    }
  });

  r.post('/reveal', numbers, (req, res) => {
    const form = parseBody(req, RevealSchema);
    const request = requestReveal(vault, reveals.requests, res.locals.session!.user, { personId: intParam(form.personId), purpose: form.purpose ?? '', note: form.note }, clientOf(req), windows);
    res.redirect(303, `/gate/${request.id}`);
  });

  r.get('/:id', (req, res) => {
    const v = viewReveal(vault, reveals, res.locals.session!.user, intParam(req.params.id));
    // A filing's waiting page shows the ZIP's password once (routes/filings.ts).
    if (v.request.kind === 'filing') return res.redirect(303, `/filings/requests/${v.request.id}`);
    const purpose = findPurpose(v.request.purpose)?.name ?? findEntryPurpose(v.request.purpose)?.label ?? v.request.purpose;
    // A touch approves the holder's oldest pending request: say which one it will be.
    // 本人確認 not on record: named on the page before the number is used (番号法16条).
    const { person, hasKey, next, leftOut, unchecked } = gatePages.waiting(v.request, v.state);
    const feedback = gateFeedback(vault, v.request, v.state, vault.clock.now());
    res.render('gate/show', { request: v.request, state: v.state, person, count: v.request.personIds.length, purpose, hasKey, touchFirst: next && next.id !== v.request.id ? next.code : null, leftOut, unchecked, feedback, reopened: req.query.reopened === '1' });
  });

  r.get('/:id/status', async (req, res) => {
    const user = res.locals.session!.user;
    const id = intParam(req.params.id);
    let v = viewReveal(vault, reveals, user, id);
    if (req.query.wait === 'approval' && v.state === 'requested') {
      // Long poll: answer as soon as the approval commits, or before proxies and browsers give up.
      const left = Date.parse(v.request.approveBy) - vault.clock.now().getTime();
      const aborted = new AbortController();
      res.once('close', () => aborted.abort());
      await reveals.waitForApproval(id, Math.max(0, Math.min(LONG_POLL_MS, left + 50)), aborted.signal);
      if (aborted.signal.aborted && !res.writable) return;
      v = viewReveal(vault, reveals, user, id);
    }
    const now = vault.clock.now().getTime();
    res.json({
      state: v.state,
      number: v.number?.formatGrouped() ?? null,
      download: v.fileReady ? `/gate/${v.request.id}/download` : null,
      secondsLeft: v.request.viewUntil && v.state === 'approved' ? Math.max(0, Math.ceil((Date.parse(v.request.viewUntil) - now) / 1000)) : null,
      feedback: gateFeedback(vault, v.request, v.state, vault.clock.now()),
    });
  });

  r.get('/:id/download', numbers, (req, res) => {
    const file = downloadExport(vault, reveals, res.locals.session!.user, intParam(req.params.id), clientOf(req));
    res.set('Content-Type', `text/csv; charset=${file.charset}`);
    res.set('Content-Disposition', `attachment; filename="${file.filename}"`);
    res.end(file.bytes, () => file.bytes.fill(0));
  });

  r.post('/:id/cancel', (req, res) => {
    parseBody(req, Empty);
    cancelRequest(vault, reveals.requests, res.locals.session!.user, intParam(req.params.id), clientOf(req));
    res.redirect(303, req.query.from === 'list' ? '/gate?done=cancelled' : `/gate/${req.params.id}`);
  });
  return r;
}
