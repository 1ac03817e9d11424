import { Router } from 'express';
import { z } from 'zod';
import { ENTRY_PURPOSES } from '../../domain/entry-purposes.js';
import { AppError } from '../../domain/errors.js';
import { DEFAULT_WINDOWS } from '../../gate/requests.js';
import { requestEntry } from '../../services/gate.js';
import { requirePermission, type WebDeps } from '../app.js';
import { entryLogPage, monthOf, parseMonth, parsePage } from '../entry-log.js';
import { clientOf, parseBody, scrub, text } from '../forms.js';

// Strict: a request is always the signed-in user's own; a field naming anyone else is refused.
const EntrySchema = z.object({ _csrf: text(100), purpose: text(60), note: text(1000) }).strict();

/**
 * The entry log (入退室記録) for admins and auditors, and entry requests
 * (入室申請) for handlers and admins. Handlers do not read the log: it holds
 * everyone's entries and the door's alarms; their own requests are on their
 * waiting pages.
 */
export function entryRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const windows = deps.gateWindows ?? DEFAULT_WINDOWS;

  r.get('/', requirePermission('entries.read'), (req, res) => {
    const month = parseMonth(req.query.month ?? monthOf(vault.clock.now()));
    const page = parsePage(req.query.page);
    const log = entryLogPage(deps.entryRecords, month, page);
    const link = (p: number) => `/entries?month=${month.month}&page=${p}`;
    res.render('entries/index', {
      month: month.month,
      page,
      ...log,
      prev: page > 1 ? link(page - 1) : null,
      next: page < log.pages ? link(page + 1) : null,
    });
  });

  r.get('/new', requirePermission('entry.request'), (_req, res) => {
    res.render('entries/new', { purposes: ENTRY_PURPOSES, form: {}, errors: {} });
  });

  r.post('/', requirePermission('entry.request'), (req, res) => {
    const form = parseBody(req, EntrySchema);
    try {
      const request = requestEntry(vault, deps.reveals.requests, res.locals.session!.user, { purpose: form.purpose ?? '', note: form.note }, clientOf(req), windows);
      res.redirect(303, `/gate/${request.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      res.status(400).render('entries/new', { purposes: ENTRY_PURPOSES, form: scrub({ purpose: form.purpose ?? '', note: (form.note ?? '').slice(0, 200) }), errors: { form: err.publicMessage } });
    }
  });
  return r;
}
