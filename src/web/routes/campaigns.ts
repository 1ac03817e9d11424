import { Router, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { CAMPAIGN_FILTERS, CAMPAIGN_FILTER_LABEL, MEMBER_STATE_LABEL, type CampaignPurposes } from '../../domain/campaign.js';
import { guardSpreadsheetCell } from '../../domain/spreadsheet-cell.js';
import { purposesFor, findPurpose } from '../../domain/purposes.js';
import { AppError } from '../../domain/errors.js';
import { DEFAULT_CHROMIUM, htmlToPdf } from '../../reports/pdf.js';
import { actorOf } from '../../services/accounts.js';
import { campaignProgress, createCampaign, DEFAULT_VALID_DAYS, issueCampaignCodes, type IssuedSlip } from '../../services/campaigns.js';
import { intakeContact, setIntakeContact } from '../../services/intake-contact.js';
import { companyName } from '../../services/settings.js';
import { requirePermission, type WebDeps } from '../app.js';
import { choices, clientOf, intParam, parseBody, text, withForm } from '../forms.js';
import { M } from '../messages.js';
import { SlipBatches, type SlipBatch } from '../slip-batches.js';
import { formatTime } from '../view-models.js';
import { baseUrl } from './intake.js';
import { renderSlipsPdfHtml } from '../campaign-slips-pdf.js';

const CreateSchema = z.object({
  _csrf: text(100), name: text(200), filter: text(40), filterArg: text(40), validDays: text(10),
  purposes_employee: choices(30), purposes_dependant: choices(30), purposes_payee: choices(30),
});
const ContactSchema = z.object({ _csrf: text(100), contact: text(400) });

/** Slips per print page and per PDF: a page of slips stays well under the PDF path's size limit. */
export const SLIPS_PER_PAGE = 100;
type Layout = 'a4' | 'sheet';

/**
 * 収集キャンペーン: create from a filter, issue codes in bulk, print the slips
 * (one A4 per person, or four per sheet) as a page or a PDF, a CSV for mail
 * merge, progress and the reminder reissue. See docs/campaigns.md.
 */
export function campaignRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const batches = new SlipBatches(() => vault.clock.now().getTime());
  const chromium = deps.chromiumPath ?? DEFAULT_CHROMIUM;
  const userId = (res: Response) => res.locals.session!.user.id;

  const indexView = (form: Record<string, unknown>, errors: Record<string, string>) => ({
    campaigns: deps.records.recentCampaigns(50, vault.clock.now()),
    filters: CAMPAIGN_FILTERS.map((f) => ({ code: f, label: CAMPAIGN_FILTER_LABEL[f] })),
    purposes: { employee: purposesFor('employee'), dependant: purposesFor('dependant'), payee: purposesFor('payee') },
    contact: intakeContact(vault),
    form,
    errors,
  });

  r.get('/', requirePermission('intake.write'), (_req, res) => {
    res.render('campaigns/index', indexView({ validDays: String(DEFAULT_VALID_DAYS), filter: 'missing', purposes_employee: purposesFor('employee').map((p) => p.code), purposes_dependant: ['withholding_slip', 'salary_payment_report', 'dependant_declaration'], purposes_payee: [] }, {}));
  });

  r.post('/', requirePermission('intake.write'), (req, res) => {
    const form = parseBody(req, CreateSchema);
    const purposes: CampaignPurposes = { employee: form.purposes_employee, dependant: form.purposes_dependant, payee: form.purposes_payee };
    withForm(res, () => {
      const { id } = createCampaign(vault, actorOf(res.locals.session!.user), { name: form.name, filter: form.filter, filterArg: form.filterArg, validDays: form.validDays, purposes }, clientOf(req));
      res.redirect(303, `/campaigns/${id}`);
    }, (errors) => res.status(400).render('campaigns/index', indexView(form, errors)));
  });

  r.post('/contact', requirePermission('intake.write'), (req, res) => {
    const form = parseBody(req, ContactSchema);
    withForm(res, () => {
      setIntakeContact(vault, actorOf(res.locals.session!.user), form.contact ?? '', clientOf(req));
      res.redirect(303, '/campaigns?saved=contact');
    }, (errors) => res.status(400).render('campaigns/index', indexView({}, errors)));
  });

  r.get('/:id', requirePermission('intake.write'), (req, res) => {
    const after = Number(req.query.after ?? 0);
    const p = campaignProgress(vault, intParam(req.params.id), Number.isSafeInteger(after) && after > 0 ? after : 0);
    res.render('campaigns/show', { p, filterLabel: CAMPAIGN_FILTER_LABEL[p.campaign.filter], stateLabel: MEMBER_STATE_LABEL, purposeName: (c: string) => findPurpose(c)?.name ?? c, notice: typeof req.query.notice === 'string' ? req.query.notice : null, cardIntake: deps.cards !== undefined });
  });

  const issue = (reissue: boolean) => (req: Request, res: Response) => {
    const id = intParam(req.params.id);
    const r = issueCampaignCodes(vault, actorOf(res.locals.session!.user), id, { reissue }, clientOf(req));
    const b = batches.add({ campaignId: id, userId: userId(res), reissue, slips: r.slips, skipped: r.skipped });
    res.redirect(303, `/campaigns/${id}/slips/${b.id}`);
  };
  r.post('/:id/issue', requirePermission('intake.write'), issue(false));
  r.post('/:id/reissue', requirePermission('intake.write'), issue(true));

  const batchOf = (req: Request, res: Response): SlipBatch | undefined => batches.get(String(req.params.batch), intParam(req.params.id), userId(res));
  const pageOf = (req: Request, b: SlipBatch) => {
    const pages = Math.max(1, Math.ceil(b.slips.length / SLIPS_PER_PAGE));
    const page = Math.min(Math.max(1, Number(req.query.page) || 1), pages);
    return { page, pages, slips: b.slips.slice((page - 1) * SLIPS_PER_PAGE, page * SLIPS_PER_PAGE) };
  };
  const layoutOf = (req: Request): Layout => (req.query.layout === 'sheet' ? 'sheet' : 'a4');
  const slipModels = async (req: Request, slips: IssuedSlip[]) => {
    const base = baseUrl(deps, req);
    return Promise.all(slips.map(async (s) => {
      const url = `${base}/intake?code=${encodeURIComponent(s.code)}`;
      return { ...s, url, qr: await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 1, width: 160 }) };
    }));
  };

  r.get('/:id/slips/:batch', requirePermission('intake.write'), async (req, res) => {
    const id = intParam(req.params.id);
    const b = batchOf(req, res);
    if (!b) return void res.status(410).render('campaigns/slips-gone', { campaign: deps.records.campaign(id) ?? null, id });
    const pg = pageOf(req, b);
    res.render('campaigns/slips', {
      b, id, layout: layoutOf(req), ...pg, slips: await slipModels(req, pg.slips), company: companyName(vault), contact: intakeContact(vault), base: baseUrl(deps, req),
    });
  });

  r.get('/:id/slips/:batch/pdf', requirePermission('intake.write'), async (req, res) => {
    const b = batchOf(req, res);
    if (!b) throw new AppError('not_found', M.campaigns.batchGone);
    const pg = pageOf(req, b);
    const html = await renderSlipsPdfHtml({ layout: layoutOf(req), slips: await slipModels(req, pg.slips), company: companyName(vault), contact: intakeContact(vault), base: baseUrl(deps, req) });
    const pdf = await htmlToPdf(html, chromium);
    res.set('Content-Disposition', `attachment; filename="campaign-${b.campaignId}-slips-${pg.page}.pdf"`).set('Cache-Control', 'no-store').type('application/pdf').send(pdf);
  });

  r.get('/:id/slips/:batch/csv', requirePermission('intake.write'), (req, res) => {
    const b = batchOf(req, res);
    if (!b) throw new AppError('not_found', M.campaigns.batchGone);
    const base = baseUrl(deps, req);
    const cell = (v: string) => `"${guardSpreadsheetCell(v).replaceAll('"', '""')}"`;
    const lines = [['社員番号・取引先コード', '氏名', '入力コード', '入力ページURL', '有効期限', '扶養親族（入力をお願いする方）'].map(cell).join(',')];
    for (const s of b.slips) lines.push([s.personCode ?? '', s.name, s.code, `${base}/intake?code=${encodeURIComponent(s.code)}`, formatTime(s.expiresAt), s.dependants.join('、')].map(cell).join(','));
    res.set('Content-Disposition', `attachment; filename="campaign-${b.campaignId}-codes.csv"`).set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').send(`\ufeff${lines.join('\r\n')}\r\n`);
  });

  r.post('/:id/slips/:batch/done', requirePermission('intake.write'), (req, res) => {
    batches.discard(String(req.params.batch), userId(res));
    res.redirect(303, `/campaigns/${intParam(req.params.id)}?notice=printed`);
  });
  return r;
}
