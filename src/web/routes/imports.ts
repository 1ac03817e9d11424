import express, { Router } from 'express';
import { actorOf } from '../../services/accounts.js';
import { purposesFor } from '../../domain/purposes.js';
import { importInChildProcess } from '../../services/import/import-process.js';
import { updatePersonsFromCsv } from '../../services/import/update-persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf } from '../forms.js';
import { checkCsrf } from '../sessions.js';

/**
 * The CSV size a browser may send: 64 MB, about 800,000 persons of the bench's
 * synthetic rows (100,000 persons is about 10 MB). Larger files answer 413 and
 * go through `mnvault import` on the appliance (docs/office-app.md, CSV upload).
 */
export const UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * CSV upload in the browser, through the same import as `mnvault import`,
 * run in a child process so a 100,000-row file leaves the server's memory flat.
 * The page's script sends the file with progress; the answer lists every bad
 * row. With any bad row nothing is stored unless the handler chose to skip them.
 */
export function importRoutes(deps: WebDeps): Router {
  const r = Router();
  r.get('/', requirePermission('intake.write'), (_req, res) => {
    const kinds = ['employee', 'dependant', 'payee'] as const;
    // Nothing is ticked in advance: the handler chooses what was notified for this file (issue 11 point 3).
    res.render('imports/index', { importPurposes: kinds.map((k) => [k, purposesFor(k)]) });
  });
  r.post(
    '/',
    requirePermission('intake.write'),
    express.raw({ type: () => true, limit: UPLOAD_LIMIT_BYTES }),
    checkCsrf,
    async (req, res) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const report = await importInChildProcess(deps.vault, bytes, {
        actor: actorOf(res.locals.session!.user),
        client: clientOf(req),
        skipInvalid: req.query.skip === '1',
        // The purposes the handler ticked for this upload (purposes=code,code); a file without a 利用目的
        // column and without a choice is refused by the import (no kind's defaults).
        purposes: typeof req.query.purposes === 'string' ? req.query.purposes.slice(0, 2000).split(',').filter((c) => c !== '') : undefined,
      });
      bytes.fill(0);
      res.status(report.committed ? 200 : 422).json({
        committed: report.committed,
        encoding: report.encoding,
        rows: report.rows,
        imported: report.imported,
        errors: report.errors.slice(0, 5000),
        moreErrors: Math.max(0, report.errors.length - 5000),
        warnings: report.warnings.slice(0, 5000),
      });
    },
  );
  // Bulk update of existing employees matched by 社員番号 (all or nothing; docs/campaigns.md).
  // A few thousand rows of field changes: run in the server, within the 64 MB cap.
  r.post(
    '/updates',
    requirePermission('intake.write'),
    express.raw({ type: () => true, limit: UPLOAD_LIMIT_BYTES }),
    checkCsrf,
    (req, res) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const report = updatePersonsFromCsv(deps.vault, bytes, { actor: actorOf(res.locals.session!.user), client: clientOf(req) });
      res.status(report.committed ? 200 : 422).json({ ...report, errors: report.errors.slice(0, 5000) });
    },
  );
  return r;
}
