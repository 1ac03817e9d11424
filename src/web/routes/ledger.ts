import { Router, type Response } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { addLedgerFile, ledgerFiles, ledgerSettings, removeLedgerFile, setLedgerSettings } from '../../services/ledger.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { M } from '../messages.js';

const OwnerSchema = z.object({ _csrf: text(100), manager: text(400), department: text(400) }).strict();
const FileSchema = z.object({ _csrf: text(100), name: text(400), content: text(800), location: text(800), manager: text(400), note: text(800) }).strict();
const CsrfOnly = z.object({ _csrf: text(100) }).strict();

/** /admin/ledger: 責任者・取扱部署 of the vault file and the manual rows of the 管理台帳 (admins). */
export function ledgerRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const page = (res: Response, status: number, extra: { owner?: object; file?: object; errors?: Record<string, string>; saved?: boolean }) =>
    res.status(status).render('ledger/index', {
      title: M.ledger.title,
      owner: extra.owner ?? ledgerSettings(vault),
      files: ledgerFiles(vault),
      file: extra.file ?? {},
      errors: extra.errors ?? {},
      saved: extra.saved ?? false,
    });

  r.get('/', requirePermission('users.manage'), (req, res) => page(res, 200, { saved: req.query.saved === '1' }));

  r.post('/owner', requirePermission('users.manage'), (req, res) => {
    const form = parseBody(req, OwnerSchema);
    withForm(res, () => {
      setLedgerSettings(vault, actorOf(res.locals.session!.user), form, clientOf(req));
      page(res, 200, { saved: true });
    }, (errors) => page(res, 400, { owner: scrub(form), errors }));
  });

  r.post('/files', requirePermission('users.manage'), (req, res) => {
    const form = parseBody(req, FileSchema);
    withForm(res, () => {
      addLedgerFile(vault, actorOf(res.locals.session!.user), form, clientOf(req));
      res.redirect(303, '/admin/ledger?saved=1');
    }, (errors) => page(res, 400, { file: scrub(form), errors }));
  });

  r.post('/files/:id/remove', requirePermission('users.manage'), (req, res) => {
    parseBody(req, CsrfOnly);
    removeLedgerFile(vault, actorOf(res.locals.session!.user), intParam(req.params.id), clientOf(req));
    res.redirect(303, '/admin/ledger?saved=1');
  });
  return r;
}
