import { Router } from 'express';
import { PURPOSES } from '../../domain/purposes.js';
import { requirePermission, type WebDeps } from '../app.js';
import { can } from '../policy.js';
import { setupBanner } from '../setup-checks.js';
import { retentionOverviewFromColumn } from '../../services/retention-due.js';
import { adminTasks, auditorTasks, CODES_NEAR_EXPIRY_DAYS, handlerTasks } from '../home-tasks.js';

export function homeRoutes(deps: WebDeps): Router {
  const r = Router();
  r.get('/', requirePermission('persons.read'), (req, res) => {
    const admin = can(res.locals.session?.user.role, 'door.acknowledge');
    const user = res.locals.session!.user;
    res.render('home', {
      tasks: {
        admin: user.role === 'admin' ? adminTasks(deps.home) : null,
        handler: user.role === 'handler' ? handlerTasks(deps.home, user) : null,
        auditor: user.role === 'auditor' ? auditorTasks(deps.home) : null,
        codeDays: CODES_NEAR_EXPIRY_DAYS,
      },
      counts: deps.home.personCounts(),
      // Set-up facts for the admin; an HR person reading the home page gets tasks, not machine words.
      developmentKey: admin && deps.home.developmentKey(),
      simulateDevices: admin && deps.simulateDevices,
      purposes: PURPOSES,
      devices: deps.deviceStatus?.() ?? { pinPad: 'none' },
      keys: deps.securityKeys ? { plugged: deps.securityKeys.station.statuses(), enrolled: deps.home.activeKeyCount() } : null,
      cardReaders: deps.cards?.readerState() ?? null,
      door: deps.door?.status() ?? { relay: 'none', sensor: 'none', simulated: false, recordFailed: false },
      alarms: admin ? deps.home.openAlarms() : [],
      acknowledged: req.query.acknowledged === '1',
      syslog: admin ? (deps.syslog?.status() ?? null) : null,
      setup: can(res.locals.session?.user.role, 'users.manage') ? setupBanner(deps) : null,
      backupFailed: can(res.locals.session?.user.role, 'backups.manage') ? deps.home.failedBackup() : null,
      // Past retention, from the maintained retention_end (computed by the disposal list's own rule, services/retention-due).
      retention: can(res.locals.session?.user.role, 'disposal.read') ? retentionOverviewFromColumn(deps.vault) : null,
    });
  });
  return r;
}
