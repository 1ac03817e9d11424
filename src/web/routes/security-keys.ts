import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { revokeSecurityKey } from '../../services/security-keys.js';
import { M } from '../messages.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';

const EnrolSchema = z.object({ _csrf: text(100), userId: text(64), label: text(120) });
const ConfirmSchema = z.object({ _csrf: text(100), confirm: text(2) });

/**
 * Security keys (admins only): the enrolled keys and their holders, revoking
 * one, and starting an enrolment that the admin completes at the appliance
 * (code and PIN on the PIN pad, then touches on the key).
 */
export function securityKeyRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(requirePermission('users.manage'));
  const now = () => vault.clock.now().getTime();
  const index = (errors: Record<string, string> = {}, form: Record<string, string> = {}) => {
    return { keys: deps.users.keys(), candidates: deps.users.keyCandidates(), plugged: deps.securityKeys?.station.statuses() ?? [], available: deps.securityKeys !== undefined, errors, form };
  };

  r.get('/', (req, res) => res.render('security-keys/index', { ...index(), doneNote: req.query.done === 'revoked' ? M.accounts.doneRevoked : null }));

  r.post('/enrol', (req, res) => {
    const form = parseBody(req, EnrolSchema);
    if (!deps.securityKeys) throw new AppError('device_unavailable', 'この装置ではセキュリティキーを使えません（デバイスが設定されていません）。');
    try {
      const e = deps.securityKeys.desk.start(res.locals.session!.user, form.userId ?? '', form.label ?? '', now());
      res.redirect(303, `/admin/security-keys/enrol/${e.id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      res.status(400).render('security-keys/index', index({ form: err.publicMessage }, { userId: form.userId ?? '', label: form.label ?? '' }));
    }
  });

  const enrolment = (id: string, adminId: string) => {
    const e = deps.securityKeys?.desk.get(id, adminId, now());
    if (!e) throw new AppError('not_found', '指定された登録はありません。有効期限が切れた場合は、もう一度始めてください。');
    return e;
  };

  r.get('/enrol/:id', (req, res) => {
    const e = enrolment(String(req.params.id), res.locals.session!.user.id);
    res.render('security-keys/enrol', { enrolment: e, holder: deps.users.byId(e.userId)?.displayName ?? '—' });
  });

  r.get('/enrol/:id/status', (req, res) => {
    const e = enrolment(String(req.params.id), res.locals.session!.user.id);
    res.json({ state: e.state, message: e.message });
  });

  r.post('/:id/revoke', (req, res) => {
    const form = parseBody(req, ConfirmSchema);
    const id = intParam(req.params.id);
    const key = deps.users.key(id);
    // Revoking cannot be undone: asked twice (an unknown or revoked key goes on to the service's own answer).
    if (key && !key.revokedAt && form.confirm !== '1') {
      const t = M.accounts.confirm.revoke;
      return res.render('confirm', { confirm: { title: t.title, message: t.message.replace('{name}', key.label), submit: t.submit, action: `/admin/security-keys/${id}/revoke`, back: '/admin/security-keys' } });
    }
    revokeSecurityKey(vault, res.locals.session!.user, id, clientOf(req));
    res.redirect(303, '/admin/security-keys?done=revoked');
  });
  return r;
}
