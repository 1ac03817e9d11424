import { stateAt } from '../gate/requests.js';
import type { RequestMemory } from '../gate/request-memory.js';
import type { UserView } from '../domain/users.js';
import { AuditBrowseRepo } from '../storage/audit-browse-repo.js';
import { namedAuditRow } from '../storage/audit-repo.js';
import { HomeTasksRepo } from '../storage/home-tasks-repo.js';
import { lastBackup } from './backup.js';
import { backupSchedule } from './backup-settings.js';
import { drillState } from './restore-drills.js';
import type { Vault } from './vault.js';

/**
 * The home page's read model: what waits for each role, counted from indexes
 * and maintained counters (HomeTasksRepo, the register counts), and the set-up
 * facts an admin sees there. Reads only. Made once by the composition.
 */
export class HomeReading {
  private readonly tasks: HomeTasksRepo;
  private readonly browse: AuditBrowseRepo;

  constructor(
    private readonly vault: Pick<Vault, 'db' | 'meta' | 'securityKeys' | 'persons' | 'gate' | 'doorAlarms' | 'retention' | 'audit' | 'clock' | 'credential'>,
    private readonly requests: RequestMemory,
  ) {
    this.tasks = new HomeTasksRepo(vault.db);
    this.browse = new AuditBrowseRepo(vault.db);
  }

  now(): Date {
    return this.vault.clock.now();
  }

  /** An admin's tasks: alarms and locks first, then what waits for them. */
  admin(now: Date, limits: { handovers: number; campaigns: number }) {
    const { vault, tasks } = this;
    return {
      alarms: vault.doorAlarms.openCount(),
      pinLocked: tasks.pinLocked(),
      openRequests: tasks.openRequests(now.toISOString()),
      disposals: vault.retention.disposals('proposed', 20),
      backup: { last: lastBackup(vault), schedule: backupSchedule(vault) },
      filings: tasks.openFilingHandovers(limits.handovers),
      drill: drillState(vault),
      campaigns: tasks.openCampaigns(now.toISOString(), limits.campaigns),
    };
  }

  /** A handler's own recent requests (with the person a reveal names) and the persons and codes waiting. */
  handler(user: UserView, now: Date, codesUntil: Date, handovers: number) {
    const { vault, tasks } = this;
    const requests = vault.gate.recentOf(user.id, 10).map((g) => {
      const first = g.personIds[0];
      return { ...g, state: stateAt(g, now, this.requests), subject: g.kind === 'reveal' && first !== undefined ? (vault.persons.byId(first)?.name ?? '') : '' };
    });
    const counts = vault.persons.count();
    return {
      requests,
      missing: counts.missing,
      unchecked: counts.unchecked,
      codes: tasks.codesNearExpiry(now.toISOString(), codesUntil.toISOString(), 10),
      filings: tasks.openFilingHandovers(handovers),
    };
  }

  /** The trail for the auditor: how many events, and the newest verification with its detail. */
  chain(): { events: number; lastVerifiedAt: string | null; lastVerified: Record<string, unknown> | null } {
    const raw = this.browse.latestOf('audit.verified');
    const verified = raw && namedAuditRow(raw);
    return {
      events: this.vault.audit.head()?.seq ?? 0,
      lastVerifiedAt: verified ? verified.at : null,
      lastVerified: verified ? (JSON.parse(verified.detail) as Record<string, unknown>) : null,
    };
  }

  personCounts(): ReturnType<Vault['persons']['count']> {
    return this.vault.persons.count();
  }

  /** Whether the vault opened with the development credential (DATA/credentials/db-key). */
  developmentKey(): boolean {
    return this.vault.credential.development;
  }

  activeKeyCount(): number {
    return this.vault.securityKeys.active().length;
  }

  /** Door alarms not yet acknowledged. */
  openAlarms(): ReturnType<Vault['doorAlarms']['open']> {
    return this.vault.doorAlarms.open();
  }

  /** The last backup, when it failed (a later success clears it). */
  failedBackup(): ReturnType<typeof lastBackup> | null {
    const last = lastBackup(this.vault);
    return last?.state === 'failed' ? last : null;
  }
}
