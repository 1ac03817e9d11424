import { Router, type Response } from 'express';
import { z } from 'zod';
import { YEARLY_FILING_KINDS } from '../../domain/filing-record.js';
import { japanDate } from '../../domain/dates.js';
import { actorOf } from '../../services/accounts.js';
import { confirmFilingFileDeleted, correctFilingSubmission, handoverRecord, recordFilingSubmission, submissionHistory } from '../../services/filing-records.js';
import { yearView, YEAR_VIEW_PAGE } from '../../services/filing-year.js';
import { yearPersonsView, YEAR_PERSONS_PAGE } from '../../services/filing-year-persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { M } from '../messages.js';

const SubmissionSchema = z.object({ _csrf: text(100), destinationName: text(200), submittedOn: text(40), receiptNo: text(100) }).strict();
const CorrectionSchema = z.object({ _csrf: text(100), destinationName: text(200), submittedOn: text(40), receiptNo: text(100), reason: text(400) }).strict();
const DeletedSchema = z.object({ _csrf: text(100), confirmed: text(10) }).strict();
const LIST_LIMIT = 200;

const query = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 40) : undefined);

/**
 * /filing-records: the handovers of merged filing files, where each went
 * (提出: destination's name, date, receipt number) and the deletion of its
 * local copy (持出しの終了); and /filing-records/year, who a filing of a year
 * needs and who was filed. Handlers and admins.
 */
export function filingRecordRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  // `correcting`: the form that failed was the correction's (its values and errors go there, not to the first record's form).
  const show = (res: Response, id: number, status = 200, form: object = {}, errors: Record<string, string> = {}, correcting = false) => {
    const h = handoverRecord(vault, id);
    res.status(status).render('filing-records/show', {
      title: M.filingRecords.showTitle.replace('{kind}', M.filingRecords.kinds[h.kind as keyof typeof M.filingRecords.kinds] ?? h.kind),
      h,
      history: submissionHistory(vault, id),
      form: correcting ? {} : form,
      errors: correcting ? {} : errors,
      correction: correcting ? form : { destinationName: h.destinationName, submittedOn: h.submittedOn, receiptNo: h.receiptNo },
      correctionErrors: correcting ? errors : {},
    });
  };

  r.get('/', requirePermission('persons.write'), (_req, res) => {
    res.render('filing-records/index', { title: M.filingRecords.title, records: deps.records.recentFilingRecords(LIST_LIMIT), thisYear: Number(japanDate(vault.clock.now()).slice(0, 4)) - 1 });
  });

  r.get('/year', requirePermission('persons.write'), (req, res) => {
    const kinds = YEARLY_FILING_KINDS;
    const q = { year: query(req.query.year), kind: query(req.query.kind), list: query(req.query.list), after: query(req.query.after) };
    const thisYear = Number(japanDate(vault.clock.now()).slice(0, 4));
    // Before a year and kind are chosen: the form, set to last year's 源泉徴収票 (the filing of January).
    if (q.year === undefined && q.kind === undefined)
      return void res.render('filing-records/year', { title: M.filingRecords.yearPick, kinds, form: { year: String(thisYear - 1), kind: kinds[0] }, view: null, page: YEAR_VIEW_PAGE });
    const view = yearView(vault, q);
    res.render('filing-records/year', {
      title: M.filingRecords.yearTitle.replace('{year}', String(view.year)).replace('{kind}', M.filingRecords.kinds[view.kind]),
      kinds,
      form: { year: String(view.year), kind: view.kind },
      view,
      page: YEAR_VIEW_PAGE,
    });
  });

  // Per person of the year: which filings carry them, which are missing, their dependants under them.
  r.get('/year/persons', requirePermission('persons.write'), (req, res) => {
    const thisYear = Number(japanDate(vault.clock.now()).slice(0, 4));
    const asked = query(req.query.year);
    const view = yearPersonsView(vault, { year: asked ?? String(thisYear - 1), after: query(req.query.after) });
    res.render('filing-records/year-persons', { title: M.filingRecords.personsTitle.replace('{year}', String(view.year)), view, page: YEAR_PERSONS_PAGE });
  });

  r.get('/:id', requirePermission('persons.write'), (req, res) => show(res, intParam(req.params.id)));

  r.post('/:id/submission', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, SubmissionSchema);
    withForm(
      res,
      () => {
        recordFilingSubmission(vault, actorOf(res.locals.session!.user), id, form, clientOf(req));
        res.redirect(303, `/filing-records/${id}`);
      },
      (errors) => show(res, id, 400, scrub(form), errors),
    );
  });

  r.post('/:id/correction', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, CorrectionSchema);
    withForm(
      res,
      () => {
        correctFilingSubmission(vault, actorOf(res.locals.session!.user), id, form, clientOf(req));
        res.redirect(303, `/filing-records/${id}`);
      },
      (errors) => show(res, id, 400, scrub(form), errors, true),
    );
  });

  r.post('/:id/deleted', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, DeletedSchema);
    withForm(
      res,
      () => {
        confirmFilingFileDeleted(vault, actorOf(res.locals.session!.user), id, form.confirmed === '1', clientOf(req));
        res.redirect(303, `/filing-records/${id}`);
      },
      (errors) => show(res, id, 400, {}, errors),
    );
  });
  return r;
}
