import { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../../domain/audit-events.js';
import { Secret } from '../../domain/secret.js';
import { actorOf, createUser, FormError, setUserDisabled, setUserPin, unlockUser } from '../../services/accounts.js';
import { requirePermission, type WebDeps } from '../app.js';
import { M } from '../messages.js';
import { unlockHandlerPin } from '../../services/gate.js';
import { clientOf, parseBody, scrub, text } from '../forms.js';
import { resetPassword, updateProfile } from '../../services/account-changes.js';

const NewUserSchema = z.object({ _csrf: text(100), login: text(100), displayName: text(200), role: text(20), password: text(256) });
const PinSchema = z.object({ _csrf: text(100), adminPin: text(40), newPin: text(40) });
const EnrolSchema = z.object({ _csrf: text(100), adminPin: text(40) });
const ProfileSchema = z.object({ _csrf: text(100), displayName: text(200), role: text(20) });
const ResetSchema = z.object({ _csrf: text(100), password: text(256) });
const Empty = z.object({ _csrf: text(100) });

/** Accounts (admins only): create, disable, enable, unlock, and set a PIN through the vault's PIN slot. */
export function userRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(requirePermission('users.manage'));

  const list = () => deps.users.list();

  r.get('/', (req, res) => res.render('users/index', { users: list(), done: M.accounts.done[typeof req.query.done === 'string' ? req.query.done : ''] ?? null }));
  r.get('/new', (_req, res) => res.render('users/new', { form: { role: 'handler' }, errors: {} }));

  r.post('/', async (req, res) => {
    const form = parseBody(req, NewUserSchema);
    try {
      await createUser(vault, actorOf(res.locals.session!.user), { login: form.login ?? '', displayName: form.displayName ?? '', role: form.role ?? '', password: new Secret(form.password ?? '') }, clientOf(req));
      res.redirect(303, '/admin/users?done=created');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('users/new', { form: scrub({ ...form, password: '' }), errors: err.fields });
    }
  });

  const actions = {
    disable: (id: string, actor: Actor, client: string | null) => setUserDisabled(vault, actor, id, true, client),
    enable: (id: string, actor: Actor, client: string | null) => setUserDisabled(vault, actor, id, false, client),
    unlock: (id: string, actor: Actor, client: string | null) => unlockUser(vault, actor, id, client),
    'unlock-pin': (id: string, actor: Actor, client: string | null) => unlockHandlerPin(vault, actor, id, client),
  };
  for (const [path, run] of Object.entries(actions)) {
    r.post(`/:id/${path}`, (req, res) => {
      parseBody(req, Empty);
      run(String(req.params.id), actorOf(res.locals.session!.user), clientOf(req));
      res.redirect(303, `/admin/users?done=${path}`);
    });
  }

  const target = (id: string) => deps.users.byId(id);
  r.get('/:id/pin', (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    res.render('users/pin', { target: user, errors: {} });
  });
  r.post('/:id/pin', async (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    const form = parseBody(req, PinSchema);
    try {
      await setUserPin(vault, res.locals.session!.user, user.id, new Secret(form.adminPin ?? ''), new Secret(form.newPin ?? ''), clientOf(req), deps.pinCost);
      res.redirect(303, '/admin/users?done=pin');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('users/pin', { target: user, errors: err.fields });
    }
  });

  // PINの登録 at the appliance: the admin's PIN here, the handler's new PIN (twice) on the pad.
  const desk = deps.pinEnrolments;
  r.post('/:id/pin-enrolment', async (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    const form = parseBody(req, EnrolSchema);
    try {
      const e = await desk.start(res.locals.session!.user, user.id, new Secret(form.adminPin ?? ''), clientOf(req));
      res.redirect(303, `/admin/users/${user.id}/pin-enrolment/${e.id}`);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('users/pin', { target: user, errors: err.fields });
    }
  });
  r.get('/:id/pin-enrolment/:eid', (req, res) => {
    const user = target(String(req.params.id));
    const e = desk.get(String(req.params.eid), res.locals.session!.user.id, vault.clock.now().getTime());
    if (!user || !e || e.userId !== user.id) return res.status(404).render('error', { message: M.accounts.pinEnrolment.gone });
    res.render('users/pin-enrolment', { target: user, enrolment: e, secondsLeft: Math.max(0, Math.ceil((e.expiresAt - vault.clock.now().getTime()) / 1000)) });
  });

  r.get('/:id/edit', (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    res.render('users/edit', { target: user, form: { displayName: user.displayName, role: user.role }, errors: {} });
  });
  r.post('/:id/edit', (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    const form = parseBody(req, ProfileSchema);
    try {
      updateProfile(vault, actorOf(res.locals.session!.user), user.id, { displayName: form.displayName ?? '', role: form.role ?? '' }, clientOf(req));
      res.redirect(303, '/admin/users?done=updated');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('users/edit', { target: user, form: scrub(form), errors: err.fields });
    }
  });

  r.get('/:id/password', (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    res.render('users/password', { target: user, errors: {} });
  });
  r.post('/:id/password', async (req, res) => {
    const user = target(String(req.params.id));
    if (!user) return res.status(404).render('error', { message: '指定されたユーザーは存在しません。' });
    const form = parseBody(req, ResetSchema);
    try {
      await resetPassword(vault, actorOf(res.locals.session!.user), user.id, new Secret(form.password ?? ''), clientOf(req));
      res.redirect(303, '/admin/users?done=reset');
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      res.status(400).render('users/password', { target: user, errors: err.fields });
    }
  });
  return r;
}
