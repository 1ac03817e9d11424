import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { actorOf } from '../../services/accounts.js';
import { AppError } from '../../domain/errors.js';
import { companyName, setCompanyName } from '../../services/settings.js';
import { ENTRUSTMENT_LABEL, INCIDENT_CATEGORY_LABEL, KEY_EXPOSURE_LABEL, LEAK_SOURCE_LABEL, type Entrustment, type IncidentCategory, type KeyExposure, type LeakSource } from '../../domain/incident.js';
import { looksLikeNumber } from '../../domain/digits.js';
import type { IncidentFilter } from '../../reports/incident.js';
import { incidentFactsOf } from '../../reports/incident-sources.js';
import { isMonthlyKind, REPORT_TITLES, type ReportModel } from '../../reports/model.js';
import { DEFAULT_CHROMIUM, htmlToPdf } from '../../reports/pdf.js';
import { dayRangePeriod, monthPeriod, type Period } from '../../reports/period.js';
import { printReport, type ReportFormat, type ReportRequest, type SessionViews } from '../../reports/print.js';
import { pageHeaderCss, renderReportHtml } from '../../reports/render.js';
import { identityCheckPolicy } from '../../services/identity-policy.js';
import { requirePermission, type WebDeps } from '../app.js';
import { monthOf } from '../entry-log.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';
import { M } from '../messages.js';
import { japanDate } from '../../domain/dates.js';
import { checkFilingYear } from '../../domain/filing-record.js';

const CompanySchema = z.object({ _csrf: text(100), companyName: text(400) }).strict();
const MAX_SESSIONS_REMEMBERED = 1000;

/**
 * Printed reports (帳票), the incident view (漏えい等報告 support) and the
 * company-name setting. Opening a print view or downloading a PDF appends
 * `report.printed` before anything is rendered (see reports/print.ts).
 */
export function reportRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  // Views recorded per session (a viewer reloading a report adds no event; see printReport). Bounded: the
  // oldest sessions' memories go first, which at worst records a view again.
  const views = new Map<string, SessionViews>();
  const sessionViews = (idHash: Buffer): SessionViews => {
    const k = idHash.toString('hex');
    let v = views.get(k);
    if (!v) {
      if (views.size >= MAX_SESSIONS_REMEMBERED) views.delete(views.keys().next().value!);
      v = new Map();
      views.set(k, v);
    }
    return v;
  };
  const chromium = deps.chromiumPath ?? DEFAULT_CHROMIUM;

  const send = async (req: Request, res: Response, request: ReportRequest, format: ReportFormat, back: string, pdfHref: string | null, filename: string) => {
    const user = res.locals.session!.user;
    const model: ReportModel = printReport(vault, { ...actorOf(user), role: M.role[user.role] }, request, format, clientOf(req), sessionViews(res.locals.session!.idHash));
    if (format === 'html') return void res.type('html').send(await renderReportHtml(model, { mode: 'web', back, pdfHref }));
    const pdf = await htmlToPdf(await renderReportHtml(model, { mode: 'pdf' }), chromium);
    res.set('Content-Disposition', `attachment; filename="${filename}"`).type('application/pdf').send(pdf);
  };

  r.get('/reports', requirePermission('reports.read'), (req, res) => {
    const month = monthPeriod(req.query.month ?? monthOf(vault.clock.now()));
    res.render('reports/index', { title: M.reports.title, month: month.key, titles: REPORT_TITLES, company: companyName(vault), filingYear: Number(japanDate(vault.clock.now()).slice(0, 4)) - 1 });
  });

  // The report's own header in the top margin of every printed page (no inline style under the CSP).
  r.get('/reports/page.css', requirePermission('reports.read'), (req, res) => {
    const h = typeof req.query.h === 'string' ? req.query.h : '';
    res.type('text/css').send(pageHeaderCss(h));
  });

  r.get('/reports/register{.:ext}', requirePermission('reports.read'), async (req, res) => {
    const format = formatOf(req.params.ext, res);
    await send(req, res, { kind: 'register' }, format, '/reports', can(res, 'reports.pdf') ? '/reports/register.pdf' : null, 'register.pdf');
  });

  // 提出記録 of a filing year (default: last year, the one filed in January).
  r.get('/reports/filings{.:ext}', requirePermission('reports.read'), async (req, res) => {
    const format = formatOf(req.params.ext, res);
    const now = vault.clock.now();
    const asked = typeof req.query.year === 'string' ? req.query.year : undefined;
    const year = asked === undefined ? Number(japanDate(now).slice(0, 4)) - 1 : checkFilingYear(asked, now);
    if (year === undefined) throw new AppError('invalid', M.filingRecords.badYear.replace('{year}', japanDate(now).slice(0, 4)));
    await send(req, res, { kind: 'filings', year }, format, '/reports', can(res, 'reports.pdf') ? `/reports/filings.pdf?year=${year}` : null, `filings-${year}.pdf`);
  });

  r.get('/reports/:kind{.:ext}', requirePermission('reports.read'), async (req, res) => {
    const kind = req.params.kind as string;
    if (!isMonthlyKind(kind)) throw new AppError('not_found', M.notFound);
    const format = formatOf(req.params.ext, res);
    const month = monthPeriod(req.query.month);
    await send(req, res, { kind, period: month }, format, `/reports?month=${month.key}`, can(res, 'reports.pdf') ? `/reports/${kind}.pdf?month=${month.key}` : null, `${kind}-${month.key}.pdf`);
  });

  // The purpose notice for one person: handlers hand it over at intake, so intake.write may print it too.
  r.get('/persons/:id/notice{.:ext}', requirePermission('reports.read', 'intake.write'), async (req, res) => {
    const id = intParam(req.params.id);
    const format = formatOf(req.params.ext, res);
    const notice = typeof req.query.notice === 'string' && /^[0-9]{1,9}$/u.test(req.query.notice) ? Number(req.query.notice) : undefined;
    const q = notice === undefined ? '' : `?notice=${notice}`;
    await send(req, res, { kind: 'notice', personId: id, noticeId: notice }, format, `/persons/${id}`, can(res, 'reports.pdf') ? `/persons/${id}/notice.pdf${q}` : null, `notice-${id}.pdf`);
  });

  r.get('/incident', requirePermission('reports.read'), (req, res) => {
    const q = incidentQuery(req, vault.clock.now(), (id) => deps.users.byId(id)?.displayName);
    const users = deps.users.list();
    let facts = null;
    if (q.period) facts = incidentFactsOf(vault, q.period, q.filter);
    const search = new URLSearchParams(q.raw).toString();
    res.render('incident/index', { title: M.incident.title, q: q.raw, users, facts, period: q.period, printHref: q.period ? `/incident/print?${search}` : null, pdfHref: q.period && can(res, 'reports.pdf') ? `/incident/print.pdf?${search}` : null });
  });

  r.get('/incident/print{.:ext}', requirePermission('reports.read'), async (req, res) => {
    const format = formatOf(req.params.ext, res);
    const q = incidentQuery(req, vault.clock.now(), (id) => deps.users.byId(id)?.displayName);
    if (!q.period) throw new AppError('invalid', M.incident.needPeriod);
    const search = new URLSearchParams(q.raw).toString();
    await send(req, res, { kind: 'incident', period: q.period, filter: q.filter, filterLabel: q.label }, format, `/incident?${search}`, can(res, 'reports.pdf') ? `/incident/print.pdf?${search}` : null, 'incident.pdf');
  });

  r.get('/settings', requirePermission('users.manage'), (_req, res) => {
    res.render('settings/index', { title: M.settings.title, form: { companyName: deps.setupReading.companyNameSetting() ?? '' }, errors: {}, saved: false, identityPolicy: identityCheckPolicy(vault) });
  });

  r.post('/settings', requirePermission('users.manage'), (req, res) => {
    const form = parseBody(req, CompanySchema);
    try {
      setCompanyName(vault, actorOf(res.locals.session!.user), form.companyName ?? '', clientOf(req));
      res.render('settings/index', { title: M.settings.title, form: { companyName: companyName(vault) }, errors: {}, saved: true });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      res.status(400).render('settings/index', { title: M.settings.title, form: { companyName: '' }, errors: { companyName: err.publicMessage }, saved: false });
    }
  });
  return r;
}

function can(res: Response, p: 'reports.pdf'): boolean {
  return (res.locals.can as (p: string) => boolean)(p);
}

/** html (the print view) or pdf (admins); anything else is not a page. */
function formatOf(ext: unknown, res: Response): ReportFormat {
  if (ext === undefined) return 'html';
  if (ext !== 'pdf') throw new AppError('not_found', M.notFound);
  if (!can(res, 'reports.pdf')) throw new AppError('forbidden', M.forbidden);
  return 'pdf';
}

interface IncidentQuery {
  raw: Record<string, string>;
  period: Period | null;
  filter: IncidentFilter;
  label: string;
}

function incidentQuery(req: Request, now: Date, nameOf: (id: string) => string | undefined): IncidentQuery {
  const str = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string).slice(0, 200) : '');
  const raw: Record<string, string> = { from: str('from'), to: str('to'), actor: str('actor'), device: str('device'), known: str('known') };
  for (const k of ['source', 'key', 'export', 'paper', 'reporter', 'corp', 'occurred', 'category', 'entrusted']) if (str(k)) raw[k] = str(k);
  if (str('improper') === '1') raw.improper = '1';
  if (str('public') === '1') raw.public = '1';
  const today = japanDate(now);
  const period = raw.from || raw.to ? dayRangePeriod(raw.from, raw.to) : null;
  if (raw.known && !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/u.test(raw.known)) throw new AppError('invalid', M.incident.badKnown);
  const pick = <T extends string>(labels: Record<T, string>, v: string | undefined): T | undefined => (v && Object.hasOwn(labels, v) ? (v as T) : undefined);
  if ((raw.export && !/^[0-9]{1,12}$/u.test(raw.export)) || (raw.paper && !/^[0-9]{1,7}$/u.test(raw.paper))) throw new AppError('invalid', M.incident.badCount);
  // Free text printed on the draft: never a number, no control characters.
  for (const k of ['reporter', 'occurred', 'corp'] as const) {
    if (raw[k] && (looksLikeNumber(raw[k]!) || /[\p{Cc}\p{Cf}]/u.test(raw[k]!))) throw new AppError('invalid', M.incident.badText);
  }
  if (raw.corp && !/^[0-9]{13}$/u.test(raw.corp.normalize('NFKC'))) throw new AppError('invalid', M.incident.badCorp);
  const filter: IncidentFilter = {
    actorId: raw.actor || undefined,
    device: raw.device || undefined,
    improper: raw.improper === '1',
    knownOn: raw.known || today,
    source: pick<LeakSource>(LEAK_SOURCE_LABEL, raw.source) ?? 'reveal',
    key: pick<KeyExposure>(KEY_EXPOSURE_LABEL, raw.key) ?? 'unknown',
    publicView: raw.public === '1',
    exportSeq: raw.export ? Number(raw.export) : undefined,
    paperPersons: raw.paper ? Number(raw.paper) : undefined,
    header: {
      reporter: raw.reporter,
      corporateNumber: raw.corp?.normalize('NFKC'),
      occurred: raw.occurred,
      category: pick<IncidentCategory>(INCIDENT_CATEGORY_LABEL, raw.category),
      entrusted: pick<Entrustment>(ENTRUSTMENT_LABEL, raw.entrusted),
    },
  };
  const label = [raw.actor ? `操作者 ${nameOf(raw.actor) ?? raw.actor}` : '', raw.device ? `装置・端末 ${raw.device}` : ''].filter(Boolean).join('、');
  return { raw, period, filter, label };
}
