import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { PersonId } from '../domain/persons.js';
import { backupsPredating, lastBackup, listBackups } from '../services/backup.js';
import { backupErasureOf } from '../services/backup-erasure.js';
import { backupSchedule } from '../services/backup-settings.js';
import { ledgerFiles, ledgerSettings } from '../services/ledger.js';
import { retentionOverview } from '../services/retention.js';
import { companyName } from '../services/settings.js';
import { META } from '../services/setup.js';
import { databasePath, type Vault } from '../services/vault.js';
import { writeTransaction } from '../storage/database.js';
import { ProvisionRepo } from '../storage/provision-repo.js';
import { FilingRecordsRepo } from '../storage/filing-records-repo.js';
import { FilingCorrectionsRepo } from '../storage/filing-corrections-repo.js';
import { ReportRepo } from '../storage/report-repo.js';
import { entryLogLines } from '../web/entry-log.js';
import { formatTime } from '../web/view-models.js';
import { ACTIVITY_ACTIONS, buildActivityReport } from './activity.js';
import { buildDisposalReport, DISPOSAL_ACTION } from './disposal.js';
import { buildEntriesReport } from './entries.js';
import { buildFilingsReport } from './filings.js';
import { incidentSources } from './incident-sources.js';
import { buildIncidentReport, incidentFacts, LEFT_VAULT_ACTIONS, type IncidentFilter } from './incident.js';
import type { ReportContext, ReportKind, ReportModel } from './model.js';
import { buildNoticeReport, type NoticeContent } from './notice.js';
import type { Period } from './period.js';
import { buildRegisterReport, type RegisterData } from './register.js';
import { japanDate } from '../domain/dates.js';

/** What the reports read: the registers they print, the files they describe and the clock. */
export type ReportSource = Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'persons' | 'purposeNotices' | 'roles' | 'doorAlarms' | 'entryLog' | 'retention' | 'clock'>;

export type ReportRequest =
  | { kind: 'activity' | 'entries' | 'disposal'; period: Period }
  | { kind: 'register' }
  | { kind: 'notice'; personId: PersonId; noticeId?: number }
  | { kind: 'incident'; period: Period; filter: IncidentFilter; filterLabel: string }
  | { kind: 'filings'; year: number };

export type ReportFormat = 'html' | 'pdf';

const todayJst = (now: Date) => japanDate(now);

/**
 * Prints a report: appends `report.printed` first, then builds the model with
 * that event as the printed chain head.
 *
 * Why the print event is the head on the paper: the head must be one that
 * `mnvault audit verify --anchor SEQ:HASH` can check later, so it has to be a
 * real (seq, hash) of the trail at render time. Appending first and printing
 * the print event's own seq and hash makes the paper witness every event it
 * lists and the fact that it was printed; every query stops at that seq, so
 * events appended meanwhile (by another request or process) never appear
 * on a page whose head does not cover them. If the event cannot be written,
 * nothing is printed (fail closed); a render that fails afterwards leaves the
 * attempt on the trail.
 */
export function printReport(vault: ReportSource & Pick<Vault, 'audit'>, actor: Actor & { role?: string }, req: ReportRequest, format: ReportFormat, client: string | null, views?: SessionViews): ReportModel {
  const subjects = req.kind === 'notice' ? [noticePerson(vault, req.personId)] : [];
  const period = 'period' in req ? req.period.key : req.kind === 'filings' ? String(req.year) : null;
  const viewKey = views && format === 'html' ? reportViewKey(req) : null;
  const seen = viewKey === null ? undefined : views!.get(viewKey);
  // The same report and period viewed again in the session, with nothing but other views appended since:
  // the page is the same snapshot, so it shows the recorded view's head instead of appending another.
  const head = seen && !new ReportRepo(vault.db).otherEventSince(seen.seq, 'report.printed') ? seen : writeTransaction(vault.db, () => {
    const before = vault.audit.head()?.seq ?? 0;
    return vault.audit.append({
      actor: { id: actor.id, name: actor.name },
      action: 'report.printed',
      subjects: subjects.map((p) => ({ id: p.id, name: p.name })),
      client,
      detail: { kind: req.kind, period, format, covers_through_seq: before },
    });
  });
  if (viewKey !== null && head !== seen) views!.set(viewKey, { seq: head.seq, hash: head.hash });
  const now = vault.clock.now();
  const ctx: ReportContext = {
    company: companyName(vault),
    madeAt: formatTime(now.toISOString()),
    madeBy: actor.role ? `${actor.name}（${actor.role}）` : actor.name,
    head: { seq: head.seq, hash: head.hash.toString('hex') },
  };
  return buildReport(vault, ctx, req, now);
}

/** The report views recorded in one session: report and period → the `report.printed` event that recorded it. */
export type SessionViews = Map<string, { seq: number; hash: Buffer }>;

function reportViewKey(req: ReportRequest): string {
  switch (req.kind) {
    case 'register':
      return 'register';
    case 'notice':
      return `notice|${req.personId}`;
    case 'incident':
      return `incident|${req.period.key}|${JSON.stringify(req.filter)}`;
    case 'filings':
      return `filings|${req.year}`;
    default:
      return `${req.kind}|${req.period.key}`;
  }
}

/** Builds a report's model from the vault, reading nothing past ctx.head.seq. */
export function buildReport(vault: ReportSource, ctx: ReportContext, req: ReportRequest, now: Date): ReportModel {
  const repo = new ReportRepo(vault.db);
  const maxSeq = ctx.head.seq;
  switch (req.kind) {
    case 'activity':
      return buildActivityReport(ctx, req.period, repo.events(ACTIVITY_ACTIONS, req.period.from, req.period.to, maxSeq), new ProvisionRepo(vault.db).openCarryOuts(maxSeq), new FilingRecordsRepo(vault.db).open(1000, maxSeq));
    case 'entries': {
      const total = vault.entryLog.count(req.period.from, req.period.to);
      const rows = vault.entryLog.page(req.period.from, req.period.to, Math.max(total, 1), 0).filter((r) => r.seq <= maxSeq).reverse();
      return buildEntriesReport(ctx, req.period, entryLogLines((ids) => vault.doorAlarms.byIds(ids), rows));
    }
    case 'disposal': {
      const names = new Map(vault.users.all().map((u) => [u.id, u.displayName]));
      return buildDisposalReport(ctx, req.period, repo.events([DISPOSAL_ACTION], req.period.from, req.period.to, maxSeq), names, (id) => {
        const erased = backupErasureOf(vault, id);
        return {
          agedOutOn: vault.retention.disposal(id)?.backupsAgedOutOn ?? null,
          copies: backupsPredating(vault, id).map((b) => ({ name: b.name, createdAt: b.manifest.createdAt })),
          erased: erased ? { at: erased.confirmedAt, by: erased.confirmedByName } : null,
        };
      });
    }
    case 'register':
      return buildRegisterReport(ctx, registerData(vault, repo, maxSeq, now));
    case 'notice': {
      const p = noticePerson(vault, req.personId);
      return buildNoticeReport(ctx, p, noticeContent(vault, p.id, req.noticeId));
    }
    case 'incident': {
      const facts = incidentFacts(repo.events(LEFT_VAULT_ACTIONS, req.period.from, req.period.to, maxSeq), req.filter, incidentSources(vault.db));
      return buildIncidentReport(ctx, req.period, req.filter, facts, req.filterLabel);
    }
    case 'filings':
      return buildFilingsReport(ctx, req.year, new FilingRecordsRepo(vault.db).ofYear(req.year, maxSeq), new FilingCorrectionsRepo(vault.db).correctedOfYear(req.year, maxSeq));
  }
}

/**
 * The notice to print: the one asked for, else the latest recorded; a number
 * taken before notices were recorded prints its purposes and intake date;
 * nothing recorded prints a blank to hand over.
 */
function noticeContent(vault: Pick<Vault, 'persons' | 'purposeNotices'>, personId: PersonId, noticeId: number | undefined): NoticeContent {
  const notices = vault.purposeNotices.forPerson(personId);
  const i = noticeId === undefined ? notices.length - 1 : notices.findIndex((n) => n.id === noticeId);
  if (noticeId !== undefined && i < 0) throw new AppError('not_found', '指定された利用目的の通知はありません。');
  if (i >= 0) {
    const n = notices[i]!;
    const earlier = [...new Set(notices.slice(0, i).flatMap((x) => x.purposes))].filter((c) => !n.purposes.includes(c));
    return { purposes: n.purposes, notifiedOn: n.notifiedOn, earlier };
  }
  const number = vault.persons.numberOf(personId);
  if (number && number.purposes.length > 0) return { purposes: number.purposes, notifiedOn: todayJst(new Date(number.acquiredAt)), earlier: [] };
  return { purposes: [], notifiedOn: null, earlier: [] };
}

function noticePerson(vault: Pick<Vault, 'persons'>, id: PersonId) {
  const p = vault.persons.byId(id);
  if (!p) throw new AppError('not_found', '指定された人物は登録されていません。');
  return p;
}

function registerData(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'persons' | 'roles' | 'retention' | 'clock'>, repo: ReportRepo, maxSeq: number, now: Date): RegisterData {
  const rules = repo.retentionRules();
  const last = repo.lastOf(DISPOSAL_ACTION, maxSeq);
  return {
    counts: repo.registerCounts(),
    identityChecks: repo.identityCheckCount(),
    auditEvents: repo.auditCount(maxSeq),
    vaultFile: databasePath(vault.dataDir),
    backup: backupData(vault),
    owner: ledgerSettings(vault),
    manualFiles: ledgerFiles(vault),
    users: vault.users.all().map((u) => ({
      name: u.displayName,
      login: u.login,
      role: u.role,
      active: !u.disabledAt,
      pin: vault.slots.pinSlotOf(u.id) !== undefined,
      keys: vault.securityKeys.ofUser(u.id).filter((k) => !k.revokedAt).length,
    })),
    rules,
    retention: rules ? retentionCounts(vault) : { running: 0, due: 0, held: 0 },
    disposals: { count: repo.countOf(DISPOSAL_ACTION, maxSeq), lastAt: last?.at ?? null },
    today: todayJst(now),
  };
}

/** The backup folder's state now: the setting, the schedule, the copies of this vault there and the last run. */
function backupData(vault: Pick<Vault, 'vaultId' | 'meta' | 'retention'>): RegisterData['backup'] {
  const folder = vault.meta.get(META.backupDir) ?? null;
  const schedule = backupSchedule(vault);
  const last = lastBackup(vault);
  let copies: number | null = null;
  if (folder) {
    try {
      copies = listBackups(vault, folder).filter((b) => !b.otherVault).length;
    } catch {
      copies = null; // the ledger says the folder could not be read
    }
  }
  return { folder, schedule: schedule.time, keep: schedule.keep, last: last ? { state: last.state, at: last.at } : null, copies };
}

/** Counted by the disposal list's own rules (one function: retentionOverview), so the ledger and the list never disagree. */
function retentionCounts(vault: Pick<Vault, 'persons' | 'roles' | 'retention' | 'clock'>): RegisterData['retention'] {
  const o = retentionOverview(vault);
  return { running: o.ended, due: o.due, held: o.held };
}

export type { ReportKind };
