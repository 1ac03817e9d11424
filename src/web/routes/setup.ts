import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { actorOf, FormError } from '../../services/accounts.js';
import { setCompanyName } from '../../services/settings.js';
import { completeSetup, isSetupStep, markReviewed, recordTestPulse, SETUP_STEPS, setBackupDir, setupCompletedAt, type SetupStep } from '../../services/setup.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, parseBody, scrub, text } from '../forms.js';
import { SETUP_MESSAGES as S } from '../messages-setup.js';
import {
  backupCheck,
  completionFacts,
  formatBytes,
  handlersWithPins,
  networkList,
  networkOf,
  networksAreBroad,
  nextStep,
  plainAddress,
  setupChecks,
  tryNetworks,
  type TryResult,
} from '../setup-checks.js';

const CompanySchema = z.object({ _csrf: text(100), companyName: text(300) });
const BackupSchema = z.object({ _csrf: text(100), backupDir: text(1000) });
const NetworksSchema = z.object({ _csrf: text(100), networks: text(1000) });
const Empty = z.object({ _csrf: text(100) });

/**
 * First-run setup (admins only): one page per step with the progress shown,
 * each step's state read from the vault and the devices. Steps can be
 * revisited at any time; completing is audited once.
 */
export function setupRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  r.use(requirePermission('users.manage'));

  const following = (step: SetupStep): string => {
    const i = SETUP_STEPS.indexOf(step);
    return i + 1 < SETUP_STEPS.length ? `/admin/setup/${SETUP_STEPS[i + 1]}` : '/admin/setup/finish';
  };

  /** Everything every step page shows: progress, this step's check, neighbours. */
  const page = (res: Response, step: SetupStep | 'finish', extra: Record<string, unknown> = {}, status = 200) => {
    const checks = setupChecks(deps);
    const index = step === 'finish' ? SETUP_STEPS.length : SETUP_STEPS.indexOf(step);
    res.status(status).render(`setup/${step}`, {
      s: S,
      step,
      checks,
      check: checks.find((c) => c.key === step) ?? null,
      position: S.stepOf.replace('{n}', String(index + 1)).replace('{total}', String(SETUP_STEPS.length + 1)),
      previous: index > 0 ? `/admin/setup/${SETUP_STEPS[index - 1]}` : null,
      completedAt: setupCompletedAt(vault),
      notice: null,
      errors: {},
      ...extra,
    });
  };

  const networksPage = (req: Request, res: Response, tried: { value: string; result: TryResult } | null, status = 200) => {
    const list = networkList(deps.allowedNetworks);
    const address = plainAddress(clientOf(req));
    page(res, 'networks', { list, broad: networksAreBroad(list), address, matched: networkOf(list, address) ?? null, loopback: address === '127.0.0.1' || address === '::1', tried }, status);
  };

  r.get('/', (_req, res) => {
    const next = nextStep(deps);
    res.redirect(303, next === 'finish' ? '/admin/setup/finish' : `/admin/setup/${next}`);
  });

  r.get('/company', (req, res) => page(res, 'company', { form: { companyName: deps.setupReading.companyNameSetting() ?? '' }, notice: req.query.saved ? S.saved : null }));
  r.post('/company', (req, res) => {
    const form = parseBody(req, CompanySchema);
    try {
      setCompanyName(vault, actorOf(res.locals.session!.user), form.companyName ?? '', clientOf(req));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid') throw err;
      const message = err instanceof FormError ? Object.values(err.fields).join(' ') : err.publicMessage;
      return page(res, 'company', { form: scrub({ companyName: form.companyName ?? '' }), errors: { companyName: message } }, 400);
    }
    markReviewed(vault, 'company');
    res.redirect(303, following('company'));
  });

  r.get('/networks', (req, res) => networksPage(req, res, null));
  r.post('/networks', (req, res) => {
    const form = parseBody(req, NetworksSchema);
    const value = (form.networks ?? '').trim();
    const result = tryNetworks(value, plainAddress(clientOf(req)));
    networksPage(req, res, { value: result.ok ? value : '', result }, result.ok ? 200 : 400);
  });

  r.get('/pinpad', (_req, res) => {
    const status = deps.deviceStatus?.() ?? { pinPad: 'none' as const };
    page(res, 'pinpad', { pad: status.pinPad, lastKeyAt: status.lastKeyAt ?? null, since: vault.clock.now().getTime() });
  });
  /** The pad's state and when a key was last pressed; never which key. */
  r.get('/pinpad/activity', (_req, res) => {
    const status = deps.deviceStatus?.() ?? { pinPad: 'none' as const };
    res.json({ pinPad: status.pinPad, lastKeyAt: status.lastKeyAt ?? null });
  });

  r.get('/security-key', (_req, res) =>
    page(res, 'security-key', { available: deps.securityKeys !== undefined, plugged: deps.securityKeys?.station.statuses() ?? [], enrolled: deps.setupReading.activeKeyCount() }),
  );

  r.get('/door', (req, res) => {
    const door = deps.door?.status() ?? { relay: 'none', sensor: 'none', simulated: false, recordFailed: false };
    page(res, 'door', { door, canPulse: door.relay !== 'none' && typeof deps.door?.testPulse === 'function', notice: req.query.pulsed ? S.door.pulsed : null });
  });
  r.post('/door/test-pulse', (req, res) => {
    parseBody(req, Empty);
    const door = deps.door;
    if (!door?.testPulse || door.status().relay === 'none') throw new AppError('conflict', S.door.testNoRelay);
    recordTestPulse(vault, actorOf(res.locals.session!.user), door.relayDevice?.() ?? 'door-relay', clientOf(req));
    // The pulse runs on; a failing relay is raised by the door service as an alarm.
    void door.testPulse();
    res.redirect(303, '/admin/setup/door?pulsed=1');
  });

  r.get('/handlers', (_req, res) => page(res, 'handlers', { handlers: handlersWithPins(deps) }));

  const backupPage = (res: Response, extra: Record<string, unknown>, status = 200) => {
    const check = backupCheck(deps);
    page(res, 'backup', { current: check, free: check?.freeBytes != null ? formatBytes(check.freeBytes) : null, form: { backupDir: deps.setupReading.backupDirSetting() ?? '' }, ...extra }, status);
  };
  r.get('/backup', (req, res) => backupPage(res, { notice: req.query.saved ? S.saved : null }));
  r.post('/backup', (req, res) => {
    const form = parseBody(req, BackupSchema);
    try {
      setBackupDir(vault, actorOf(res.locals.session!.user), form.backupDir, clientOf(req));
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return backupPage(res, { form: scrub({ backupDir: form.backupDir ?? '' }), errors: err.fields }, 400);
    }
    markReviewed(vault, 'backup');
    res.redirect(303, '/admin/setup/backup?saved=1');
  });

  /** 「確認して次へ」 on a step without a form of its own. */
  r.post('/:step/next', (req, res) => {
    parseBody(req, Empty);
    const step = String(req.params.step);
    if (!isSetupStep(step)) throw new AppError('not_found', 'その手順はありません。');
    markReviewed(vault, step);
    res.redirect(303, following(step));
  });

  r.get('/finish', (_req, res) => {
    const facts = completionFacts(setupChecks(deps));
    page(res, 'finish', { blocking: facts.blocking });
  });
  r.post('/finish', (req, res) => {
    parseBody(req, Empty);
    completeSetup(vault, actorOf(res.locals.session!.user), completionFacts(setupChecks(deps)), clientOf(req));
    res.redirect(303, '/admin/status?completed=1');
  });
  return r;
}
