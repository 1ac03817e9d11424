import { Router } from 'express';
import { z } from 'zod';
import { publicMessage } from '../../domain/errors.js';
import { actorOf, FormError } from '../../services/accounts.js';
import { lastBackup, listBackups, type ListedBackup } from '../../services/backup.js';
import { backupFolderSetting, backupSchedule, setBackupSchedule } from '../../services/backup-settings.js';
import { checkBackupDir } from '../../services/setup.js';
import { drillState, recentDrills, recordDrill } from '../../services/restore-drills.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, parseBody, scrub, text } from '../forms.js';

const EmptySchema = z.object({ _csrf: text(100) }).strict();
const ScheduleSchema = z.object({ _csrf: text(100), time: text(10), keep: text(10) }).strict();
const DrillSchema = z.object({ _csrf: text(100), drilledOn: text(30), result: text(10), note: text(400) }).strict();

/**
 * The backup page (/admin/backups), for admins: the folder and its backups
 * (flagged when they predate a disposal), 「今すぐバックアップ」 with its progress,
 * and the daily schedule.
 */
export function backupRoutes(deps: WebDeps): Router {
  const r = Router();
  const { vault } = deps;
  const manage = requirePermission('backups.manage');

  const page = (extra: Record<string, unknown>) => {
    const folder = backupFolderSetting(vault);
    const check = folder ? checkBackupDir(folder, vault.dataDir) : null;
    let list: ListedBackup[] = [];
    let listError: string | null = null;
    if (folder && check?.ok) {
      try {
        list = listBackups(vault, folder);
      } catch (err) {
        listError = publicMessage(err);
      }
    }
    return {
      folder,
      check,
      list,
      listError,
      run: deps.backupRunner.status(),
      schedule: backupSchedule(vault),
      last: lastBackup(vault),
      saved: false,
      drillSaved: false,
      drill: drillState(vault),
      drills: recentDrills(vault),
      errors: {},
      form: null,
      drillErrors: {},
      drillForm: null,
      ...extra,
    };
  };
  r.get('/', manage, (req, res) => res.render('backups/index', page({ saved: req.query.saved === '1', drillSaved: req.query.saved === 'drill' })));

  r.post('/run', manage, (req, res) => {
    parseBody(req, EmptySchema);
    deps.backupRunner.start(actorOf(res.locals.session!.user), clientOf(req), 'web');
    res.redirect(303, '/admin/backups#run');
  });

  r.get('/status', manage, (_req, res) => {
    res.json(deps.backupRunner.status());
  });

  r.post('/schedule', manage, (req, res) => {
    const form = parseBody(req, ScheduleSchema);
    try {
      setBackupSchedule(vault, actorOf(res.locals.session!.user), { time: form.time, keep: form.keep }, clientOf(req));
    } catch (err) {
      // Back to the same page, the typed values kept and each problem beside its field.
      if (!(err instanceof FormError)) throw err;
      return res.status(400).render('backups/index', page({ errors: err.fields, form: scrub({ time: form.time ?? '', keep: form.keep ?? '' }) }));
    }
    res.redirect(303, '/admin/backups?saved=1#schedule');
  });

  // The admin records a restore drill done on a second machine (docs/operations.md); the home page shows the next one due.
  r.post('/drills', manage, (req, res) => {
    const form = parseBody(req, DrillSchema);
    try {
      recordDrill(vault, actorOf(res.locals.session!.user), form, clientOf(req));
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return res.status(400).render('backups/index', page({ drillErrors: err.fields, drillForm: scrub({ drilledOn: form.drilledOn ?? '', result: form.result ?? '', note: form.note ?? '' }) }));
    }
    res.redirect(303, '/admin/backups?saved=drill#drill');
  });
  return r;
}
