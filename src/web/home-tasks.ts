import { stateAt, type GateRequest } from '../gate/requests.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { lastBackup } from '../services/backup.js';
import { backupSchedule } from '../services/backup-settings.js';
import type { Vault } from '../services/vault.js';
import { drillState } from '../services/restore-drills.js';
import { AuditBrowseRepo } from '../storage/audit-browse-repo.js';
import { HomeTasksRepo } from '../storage/home-tasks-repo.js';
import type { UserView } from '../domain/users.js';
import { monthPeriod } from '../reports/period.js';
import { MONTHLY_KINDS, REPORT_TITLES } from '../reports/model.js';
import { monthOf } from './entry-log.js';

/** Codes expiring within this many days are listed on the handler's home page. */
export const CODES_NEAR_EXPIRY_DAYS = 1;

/** Open filing handovers listed on the handler's and admin's home pages (the rest behind the link). */
export const OPEN_HANDOVERS_SHOWN = 10;
/** The admin's home page lists at most this many open campaigns (newest first); the campaigns page has them all. */
export const OPEN_CAMPAIGNS_SHOWN = 5;

/**
 * The home page as a list of tasks for the role (what needs doing first), each
 * with a link: admins see alarms and locks first, then what waits for them;
 * handlers their own requests and the persons waiting; auditors the reports
 * of the month to sign and the state of the trail. Counts come from indexes
 * and maintained counters (HomeTasksRepo, the register counts).
 */
export function adminTasks(vault: Vault) {
  const repo = new HomeTasksRepo(vault.db);
  const now = vault.clock.now();
  return {
    alarms: vault.doorAlarms.openCount(),
    pinLocked: repo.pinLocked(),
    openRequests: repo.openRequests(now.toISOString()),
    disposals: vault.retention.disposals('proposed', 20),
    backup: { last: lastBackup(vault), schedule: backupSchedule(vault) },
    filings: repo.openFilingHandovers(OPEN_HANDOVERS_SHOWN),
    drill: drillState(vault),
    campaigns: repo.openCampaigns(now.toISOString(), OPEN_CAMPAIGNS_SHOWN),
  };
}

export function handlerTasks(vault: Vault, memory: RequestMemory, user: UserView) {
  const repo = new HomeTasksRepo(vault.db);
  const now = vault.clock.now();
  const until = new Date(now.getTime() + CODES_NEAR_EXPIRY_DAYS * 86_400_000);
  const requests = vault.gate.recentOf(user.id, 10).map((g: GateRequest) => {
    const first = g.personIds[0];
    return { ...g, state: stateAt(g, now, memory), subject: g.kind === 'reveal' && first !== undefined ? (vault.persons.byId(first)?.name ?? '') : '' };
  });
  const counts = vault.persons.count();
  return {
    requests,
    missing: counts.missing,
    unchecked: counts.unchecked,
    codes: repo.codesNearExpiry(now.toISOString(), until.toISOString(), 10),
    filings: repo.openFilingHandovers(OPEN_HANDOVERS_SHOWN),
  };
}

export function auditorTasks(vault: Vault) {
  const now = vault.clock.now();
  // The month just ended (Japan time): its reports are the ones to print and sign now.
  const [y, m] = monthOf(now).split('-').map(Number) as [number, number];
  const month = monthPeriod(m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`);
  const verified = new AuditBrowseRepo(vault.db).latestOf('audit.verified');
  const head = vault.audit.head();
  return {
    month: month.key,
    reports: MONTHLY_KINDS.map((kind) => ({ kind, title: REPORT_TITLES[kind] })),
    chain: { events: head?.seq ?? 0, lastVerifiedAt: verified ? verified[1] : null, lastVerified: verified ? (JSON.parse(verified[9]) as Record<string, unknown>) : null },
  };
}
