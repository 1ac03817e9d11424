import express, { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { FILING_CODECS } from '../../domain/filing-codecs.js';
import { findPurpose } from '../../domain/purposes.js';
import { randomCode } from '../../gate/codes.js';
import { DEFAULT_WINDOWS } from '../../gate/requests.js';
import { FILING_MAX_BYTES } from '../../gate/filing-drafts.js';
import { codecOf, downloadFiling, requestFiling, resolveRow, reviewFiling, uploadFiling } from '../../services/filings.js';
import { openRequest, viewReveal, type RevealStore } from '../../services/gate.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import { filingReviewModel } from '../filing-review.js';

const ResolveSchema = z.object({ _csrf: text(100), key: text(20), personId: text(20) });
const RequestSchema = z.object({ _csrf: text(100), leaveUnfilled: text(10) });
const Empty = z.object({ _csrf: text(100) });

/**
 * 届出ファイルに番号を入れる: upload (the file in the body, the token in a
 * header, kind/year/name in the query), the review of how rows matched, the
 * gate request, and the waiting page that shows the ZIP's password once and
 * offers the file once. The upload and the result stay in memory
 * (RevealStore.filings); no number is ever on these pages.
 */
export function filingRoutes(deps: WebDeps & { reveals: RevealStore }): Router {
  const r = Router();
  const { vault, reveals } = deps;
  const drafts = reveals.filings;
  const windows = deps.gateWindows ?? DEFAULT_WINDOWS;
  r.use(requirePermission('gate.request'));

  r.get('/', (req, res) => {
    res.render('filings/new', { codecs: FILING_CODECS, note: req.query.done === 'dropped' ? M.filings.dropped : null });
  });

  // The body is the file; a file over the cap answers 413 before it is read whole.
  r.post('/upload', express.raw({ type: () => true, limit: FILING_MAX_BYTES }), (req, res) => {
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const q = (k: string) => (typeof req.query[k] === 'string' ? req.query[k].slice(0, 200) : undefined);
    try {
      const draft = uploadFiling(vault, drafts, res.locals.session!.user, { kind: q('kind') ?? '', year: q('year'), bytes, filename: q('name') });
      res.status(201).json({ review: `/filings/drafts/${draft.id}` });
    } catch (err) {
      bytes.fill(0);
      if (!(err instanceof AppError) || (err.code !== 'invalid' && err.code !== 'overloaded')) throw err;
      res.status(err.code === 'invalid' ? 422 : 429).json({ error: err.publicMessage });
    }
  });

  const review = (res: express.Response, id: string, error: string | null, status = 200) => {
    const draft = drafts.get(id, res.locals.session!.user.id, vault.clock.now().getTime());
    const codec = codecOf(draft.kind);
    res.status(status).render('filings/review', { ...filingReviewModel(draft, codec, reviewFiling(vault, draft)), purpose: findPurpose(codec.purpose)?.name ?? codec.purpose, error });
  };

  r.get('/drafts/:id', (req, res) => review(res, req.params.id, null));

  r.post('/drafts/:id/resolve', (req, res) => {
    const form = parseBody(req, ResolveSchema);
    const draft = drafts.get(req.params.id, res.locals.session!.user.id, vault.clock.now().getTime());
    resolveRow(draft, form.key ?? '', intParam(form.personId));
    res.redirect(303, `/filings/drafts/${draft.id}`);
  });

  r.post('/drafts/:id/request', (req, res) => {
    const form = parseBody(req, RequestSchema);
    const user = res.locals.session!.user;
    try {
      const request = requestFiling(vault, drafts, user, req.params.id, { leaveUnfilled: form.leaveUnfilled === '1' }, (g) =>
        openRequest(vault, reveals.requests, user, g, clientOf(req), windows, randomCode),
      );
      res.redirect(303, `/filings/requests/${request.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      review(res, req.params.id, err.publicMessage, 400);
    }
  });

  r.post('/drafts/:id/drop', (req, res) => {
    parseBody(req, Empty);
    const draft = drafts.get(req.params.id, res.locals.session!.user.id, vault.clock.now().getTime());
    if (draft.requestId !== undefined) throw new AppError('conflict', 'このファイルは既に申請されています。申請の画面で取り消してください。');
    drafts.drop(draft.id);
    res.redirect(303, '/filings?done=dropped');
  });

  // The waiting page: the password is taken from memory the first time the approved page is shown.
  r.get('/requests/:id', (req, res) => {
    const v = viewReveal(vault, reveals, res.locals.session!.user, intParam(req.params.id));
    if (v.request.kind !== 'filing') throw new AppError('not_found', '指定された申請はありません。');
    if (v.state === 'expired' || v.state === 'cancelled') {
      // The request ended without a file: its upload goes from memory too.
      const ended = drafts.forRequest(v.request.id);
      if (ended) drafts.drop(ended.id);
      drafts.dropPassword(v.request.id);
    }
    const password = v.state === 'approved' && v.fileReady ? drafts.takePassword(v.request.id) : undefined;
    try {
      res.render('filings/request', {
        request: v.request,
        state: v.state,
        fileReady: v.fileReady === true,
        password: password?.display() ?? null,
        purpose: findPurpose(v.request.purpose)?.name ?? v.request.purpose,
      });
    } finally {
      password?.wipe();
    }
  });

  r.get('/requests/:id/download', (req, res) => {
    const file = downloadFiling(vault, reveals.requests, (id, now) => reveals.takeFile(id, now), drafts, res.locals.session!.user, intParam(req.params.id), clientOf(req));
    res.set('Content-Type', 'application/zip');
    res.set('Content-Disposition', `attachment; filename="${file.filename}"`);
    res.end(file.bytes, () => file.bytes.fill(0));
  });
  return r;
}
