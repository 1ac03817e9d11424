import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { endDependant, kindOf, personDetail, registerPerson, retirePerson, updatePerson, type PersonForm } from '../../services/persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { M } from '../messages.js';
import { personPage } from '../person-page.js';

const PersonSchema = z.object({
  _csrf: text(100),
  kind: text(20),
  code: text(100),
  name: text(600),
  kana: text(600),
  birthDate: text(40),
  relationship: text(40),
  corporateNumber: text(40),
});
const DateSchema = z.object({ _csrf: text(100), date: text(40) });
const PER_PAGE = 50;

/** The register (特定個人情報ファイル): list, person page, register, edit, retire, 異動. */
export function personRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;

  r.get('/', requirePermission('persons.read'), (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.normalize('NFKC').trim().slice(0, 100) : '';
    const kind = kindOf(typeof req.query.kind === 'string' ? req.query.kind : undefined);
    const status = req.query.status === 'active' || req.query.status === 'retired' ? req.query.status : undefined;
    const page = typeof req.query.page === 'string' && /^[1-9][0-9]{0,5}$/u.test(req.query.page) ? Number(req.query.page) : 1;
    const { rows, total } = vault.persons.search({ q, kind, status, page, perPage: PER_PAGE });
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    const link = (p: number) => `/persons?${new URLSearchParams({ ...(q && { q }), ...(kind && { kind }), ...(status && { status }), page: String(p) })}`;
    res.render('persons/index', { rows, total, page, pages, q, kind: kind ?? '', status: status ?? '', prev: page > 1 ? link(page - 1) : null, next: page < pages ? link(page + 1) : null });
  });

  r.get('/new', requirePermission('persons.write'), (_req, res) => {
    res.render('persons/form', { title: M.person.newTitle, action: '/persons', form: {}, errors: {}, supporter: null, isNew: true });
  });

  r.post('/', requirePermission('persons.write'), (req, res) => {
    const form = parseBody(req, PersonSchema);
    withForm(res, () => {
      const id = registerPerson(vault, actorOf(res.locals.session!.user), form as PersonForm, null, clientOf(req));
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/form', { title: M.person.newTitle, action: '/persons', form: scrub(form), errors, supporter: null, isNew: true }));
  });

  r.get('/:id', requirePermission('persons.read'), (req, res) => {
    const d = personDetail(vault, intParam(req.params.id));
    res.render('persons/show', {
      ...personPage(vault, d),
      // Set by the intake route after it stored a number that is surely a placeholder (000000000000).
      placeholderWarning: req.query.warning === 'placeholder' && d.number?.state === 'held',
    });
  });

  r.get('/:id/edit', requirePermission('persons.write'), (req, res) => {
    const d = personDetail(vault, intParam(req.params.id));
    const p = d.person;
    const form = { kind: p.kind, code: p.code ?? '', name: p.name, kana: p.kana ?? '', birthDate: p.birthDate ?? '', relationship: p.relationship ?? '', corporateNumber: p.corporateNumber ?? '' };
    res.render('persons/form', { title: M.person.editTitle, action: `/persons/${p.id}`, form, errors: {}, supporter: d.supporter, isNew: false });
  });

  r.post('/:id', requirePermission('persons.write'), (req, res) => {
    const id = intParam(req.params.id);
    const d = personDetail(vault, id);
    const form = { ...parseBody(req, PersonSchema), kind: d.person.kind };
    withForm(res, () => {
      updatePerson(vault, actorOf(res.locals.session!.user), id, form as PersonForm, clientOf(req));
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/form', { title: M.person.editTitle, action: `/persons/${id}`, form: scrub(form), errors, supporter: d.supporter, isNew: false }));
  });

  r.get('/:id/dependants/new', requirePermission('persons.write'), (req, res) => {
    const d = personDetail(vault, intParam(req.params.id));
    res.render('persons/form', { title: M.person.newDependantTitle, action: `/persons/${d.person.id}/dependants`, form: { kind: 'dependant' }, errors: {}, supporter: d.person, isNew: true });
  });

  r.post('/:id/dependants', requirePermission('persons.write'), (req, res) => {
    const supporterId = intParam(req.params.id);
    const d = personDetail(vault, supporterId);
    const form = { ...parseBody(req, PersonSchema), kind: 'dependant' };
    withForm(res, () => {
      registerPerson(vault, actorOf(res.locals.session!.user), form as PersonForm, supporterId, clientOf(req));
      res.redirect(303, `/persons/${supporterId}`);
    }, (errors) => res.status(400).render('persons/form', { title: M.person.newDependantTitle, action: `/persons/${supporterId}/dependants`, form: scrub(form), errors, supporter: d.person, isNew: true }));
  });

  for (const [path, run, field] of [
    ['retire', retirePerson, 'retiredOn'],
    ['end-dependant', endDependant, 'until'],
  ] as const) {
    r.post(`/:id/${path}`, requirePermission('persons.write'), (req, res) => {
      const id = intParam(req.params.id);
      const form = parseBody(req, DateSchema);
      withForm(res, () => {
        run(vault, actorOf(res.locals.session!.user), id, form.date, clientOf(req));
        res.redirect(303, `/persons/${id}`);
      }, (errors) => {
        const d = personDetail(vault, id);
        res.status(400).render('persons/show', personPage(vault, d, { dateError: errors[field] }));
      });
    });
  }
  return r;
}
