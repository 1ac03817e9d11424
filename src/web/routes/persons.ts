import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { endDependant, kindOf, personDetail, registerPerson, retirePerson, updatePerson, type PersonForm } from '../../services/persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, scrub, text, withForm } from '../forms.js';
import { M } from '../messages.js';
import { doneMessage, flashDone, takeDone } from '../flash.js';
import type { RegisterCursor } from '../../services/records-reading.js';
import { formatDate, toHistory } from '../view-models.js';
import { japanDate, parseDate } from '../../domain/dates.js';
import { personPage } from '../person-page.js';
import { refreshRetentionDueForRead } from '../../services/retention-due.js';

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
const DateSchema = z.object({ _csrf: text(100), date: text(40), confirm: text(2) });
const PER_PAGE = 50;

/** A page cursor in a URL: base64url of [register key, id]; anything else is ignored (first page). */
function parseCursor(v: unknown): RegisterCursor | undefined {
  if (typeof v !== 'string' || v.length > 2400) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && parsed[0].length <= 600 && Number.isSafeInteger(parsed[1]) && (parsed[1] as number) > 0) {
      return { key: parsed[0], id: parsed[1] as number };
    }
  } catch {
    // A damaged cursor is not an error the user can act on: the first page is shown.
  }
  return undefined;
}

function formatCursor(c: RegisterCursor): string {
  return Buffer.from(JSON.stringify([c.key, c.id]), 'utf8').toString('base64url');
}

/** The register (特定個人情報ファイル): list, person page, register, edit, retire, 異動. */
export function personRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;

  r.get('/', requirePermission('persons.read'), (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.normalize('NFKC').trim().slice(0, 100) : '';
    const kind = kindOf(typeof req.query.kind === 'string' ? req.query.kind : undefined);
    const status = req.query.status === 'active' || req.query.status === 'retired' ? req.query.status : undefined;
    const filter = req.query.filter === 'missing' || req.query.filter === 'unchecked' || req.query.filter === 'not_provided' || req.query.filter === 'retention_due' ? req.query.filter : undefined;
    // 保存期間経過 reads the maintained retention_due: brought up to the day and to the last writes first.
    if (filter === 'retention_due') refreshRetentionDueForRead(vault);
    const after = parseCursor(req.query.after);
    const before = req.query.before === 'end' ? 'end' : parseCursor(req.query.before);
    const result = deps.records.searchPersons({ q, kind, status, filter, after, before, perPage: PER_PAGE });
    const base = { ...(q && { q }), ...(kind && { kind }), ...(status && { status }), ...(filter && { filter }) };
    const link = (extra: Record<string, string>) => `/persons?${new URLSearchParams({ ...base, ...extra })}`;
    const { rows } = result;
    res.render('persons/index', {
      rows,
      total: result.total,
      totalCapped: result.totalCapped,
      q,
      kind: kind ?? '',
      status: status ?? '',
      filter: filter ?? '',
      scanBounded: result.scanBounded,
      first: result.prev ? link({}) : null,
      prev: result.prev ? link({ before: formatCursor(result.prev) }) : null,
      next: result.next ? link({ after: formatCursor(result.next) }) : null,
      last: result.next && !q ? link({ before: 'end' }) : null,
    });
  });

  r.get('/new', requirePermission('persons.write'), (_req, res) => {
    res.render('persons/form', { title: M.person.newTitle, action: '/persons', form: {}, errors: {}, supporter: null, isNew: true });
  });

  r.post('/', requirePermission('persons.write'), (req, res) => {
    const form = parseBody(req, PersonSchema);
    withForm(res, () => {
      const id = registerPerson(vault, actorOf(res.locals.session!.user), form as PersonForm, null, clientOf(req));
      flashDone(req, res, `/persons/${id}`, 'registered');
      res.redirect(303, `/persons/${id}`);
    }, (errors) => res.status(400).render('persons/form', { title: M.person.newTitle, action: '/persons', form: scrub(form), errors, supporter: null, isNew: true }));
  });

  r.get('/:id', requirePermission('persons.read'), (req, res) => {
    const d = personDetail(vault, intParam(req.params.id));
    res.render('persons/show', {
      ...personPage(vault, d),
      // Set by the intake route after it stored a number that is surely a placeholder (000000000000).
      placeholderWarning: req.query.warning === 'placeholder' && d.number?.state === 'held',
      done: doneMessage(M.done.person, takeDone(req, res, `/persons/${d.person.id}`)),
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
      flashDone(req, res, `/persons/${id}`, 'updated');
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
      flashDone(req, res, `/persons/${supporterId}`, 'dependant');
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
      // 退職 (or 取引終了) dated before today starts the retention count in the past: asked twice.
      const date = path === 'retire' ? parseDate(form.date ?? '') : undefined;
      const person = deps.records.person(id);
      if (date !== undefined && person && person.kind !== 'dependant' && date < japanDate(vault.clock.now()) && form.confirm !== '1') {
        const t = M.accounts.confirm.retire;
        const label = person.kind === 'payee' ? M.retention.person.payeeEnd : M.person.retiredOn;
        return res.render('confirm', {
          confirm: { title: t.title, message: t.message.replace('{label}', label).replace('{date}', formatDate(date)), submit: t.submit, action: `/persons/${id}/retire`, fields: { date }, back: `/persons/${id}` },
        });
      }
      withForm(res, () => {
        run(vault, actorOf(res.locals.session!.user), id, form.date, clientOf(req));
        flashDone(req, res, `/persons/${id}`, path);
        res.redirect(303, `/persons/${id}`);
      }, (errors) => {
        const d = personDetail(vault, id);
        res.status(400).render('persons/show', personPage(vault, d, { dateError: errors[field] }));
      });
    });
  }
  return r;
}
