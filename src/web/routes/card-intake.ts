import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { DEFAULT_PROXY_DOCUMENTS, type CardHolder } from '../../domain/card-holder.js';
import { AUTHORITY_DOCUMENTS, KNOWN_BY_EMPLOYER, KNOWN_BY_EMPLOYER_LABEL, PHOTO_ID_DOCUMENTS } from '../../domain/identity-documents.js';
import { purposesFor } from '../../domain/purposes.js';
import { actorOf } from '../../services/accounts.js';
import { cardCampaignAsks } from '../../services/card-campaign.js';
import { personDetail } from '../../services/persons.js';
import { requirePermission, type WebDeps } from '../app.js';
import { flashDone } from '../flash.js';
import { choices, clientOf, intParam, parseBody, text, withForm } from '../forms.js';
import { MC } from '../messages-card.js';

const StartSchema = z.object({
  _csrf: text(100),
  purposes: choices(20),
  confirmLastTry: text(10),
  // For a dependant: 'self' (the dependant brings the card) or 'proxy' (the supporting employee as 代理人).
  holder: text(10),
  authorityDocument: text(60),
  proxyDocuments: choices(20),
  // Started from a campaign's list (its id): the pages lead back there.
  campaign: text(20),
});
const ConfirmSchema = z.object({ _csrf: text(100), confirmedDifferences: text(10) });

/**
 * 「カードで取得」: the handler starts a card read for a person, watches its
 * state (the page refreshes itself while the appliance waits), reviews the
 * comparison and confirms. The card PIN is typed at the appliance only.
 */
export function cardIntakeRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const desk = () => deps.cards ?? raiseUnavailable();

  /** The campaign a card read is started from (a query or form field), checked to ask this person; undefined when none. */
  const campaignOf = (raw: unknown, d: ReturnType<typeof personDetail>) => {
    if (raw === undefined || raw === '') return undefined;
    const campaign = deps.records.campaign(intParam(raw));
    if (!campaign || !cardCampaignAsks(vault, campaign.id, d.person)) throw new AppError('not_found', MC.notInCampaign);
    return campaign;
  };

  r.get('/:id/card-intake', requirePermission('intake.write'), (req, res) => {
    desk();
    const d = personDetail(vault, intParam(req.params.id));
    const campaign = campaignOf(req.query.campaign, d);
    const purposes = purposesFor(d.person.kind);
    // From a campaign, the purposes it notifies this kind of person are ticked; otherwise all of the kind's.
    const chosen = campaign?.purposes[d.person.kind] ?? [];
    const form = {
      purposes: chosen.length > 0 ? chosen : purposes.map((p) => p.code),
      holder: 'self',
      authorityDocument: '',
      proxyDocuments: [...DEFAULT_PROXY_DOCUMENTS],
      campaign: campaign ? String(campaign.id) : '',
    };
    res.render('intake/card', { d, purposes, form, holderChoices: HOLDER_CHOICES, errors: {}, campaign: campaign ?? null });
  });

  r.post('/:id/card-intake', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const form = parseBody(req, StartSchema);
    const d = personDetail(vault, id);
    const campaign = campaignOf(form.campaign, d);
    const holder: CardHolder =
      d.person.kind === 'dependant' && form.holder === 'proxy'
        ? { route: 'proxy', proxyPersonId: d.person.supporterId ?? 0, authorityDocument: form.authorityDocument ?? '', proxyDocuments: form.proxyDocuments }
        : { route: 'direct' };
    withForm(
      res,
      () => {
        const started = desk().start(actorOf(res.locals.session!.user), id, {
          purposes: form.purposes,
          confirmLastTry: form.confirmLastTry === 'yes',
          holder,
          ...(campaign ? { campaignId: campaign.id } : {}),
        });
        res.redirect(303, `/persons/${id}/card-intake/${started.id}`);
      },
      (errors) => res.status(400).render('intake/card', { d, purposes: purposesFor(d.person.kind), form, holderChoices: HOLDER_CHOICES, errors, campaign: campaign ?? null }),
    );
  });

  r.get('/:id/card-intake/:cid', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const v = desk().view(String(req.params.cid));
    if (!v || v.personId !== id) throw new AppError('not_found', 'このカード読み取りはありません。最初からやり直してください。');
    const waiting = v.state === 'waiting_card' || v.state === 'waiting_pin';
    res.set('Cache-Control', 'no-store').render('intake/card-status', { d: personDetail(vault, id), v, errors: {}, refreshSeconds: waiting ? 2 : undefined, campaign: campaignLink(v.campaignId) });
  });

  r.post('/:id/card-intake/:cid/confirm', requirePermission('intake.write'), (req, res) => {
    const id = intParam(req.params.id);
    const cid = String(req.params.cid);
    const form = parseBody(req, ConfirmSchema);
    withForm(
      res,
      () => {
        const campaignId = desk().view(cid)?.campaignId ?? null;
        desk().confirm(actorOf(res.locals.session!.user), cid, form.confirmedDifferences === 'yes', clientOf(req));
        // Started from a campaign: back to its list, where the member now counts.
        if (campaignId !== null) return void res.redirect(303, `/campaigns/${campaignId}?notice=card`);
        flashDone(req, res, `/persons/${id}`, 'number');
        res.redirect(303, `/persons/${id}`);
      },
      (errors) => {
        const v = desk().view(cid);
        res.status(400).render('intake/card-status', { d: personDetail(vault, id), v, errors, campaign: campaignLink(v?.campaignId ?? null) });
      },
    );
  });
  return r;

  /** The campaign a card read was started from, for the link back (its name as it is now). */
  function campaignLink(campaignId: number | null) {
    const c = campaignId === null ? undefined : deps.records.campaign(campaignId);
    return c ? { id: c.id, name: c.name } : null;
  }
}

/** The documents a handler can pick for the 代理人 at the appliance (the view lists them). */
const HOLDER_CHOICES = {
  authority: Object.entries(AUTHORITY_DOCUMENTS).map(([code, label]) => ({ code, label })),
  proxyDocuments: [{ code: KNOWN_BY_EMPLOYER, label: KNOWN_BY_EMPLOYER_LABEL }, ...Object.entries(PHOTO_ID_DOCUMENTS).map(([code, label]) => ({ code, label }))],
};

function raiseUnavailable(): never {
  throw new AppError('device_unavailable', MC.unavailable);
}
