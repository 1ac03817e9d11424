import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { randomBytes } from 'node:crypto';
import type { BlockList } from 'node:net';
import { AppError, httpStatusFor } from '../domain/errors.js';
import { debugMessages, logFailure, pathForLog } from '../failure-log.js';
import { packagePath } from '../paths.js';
import { FormError } from '../services/accounts.js';
import type { StorageHealth } from '../services/storage-health.js';
import type { Vault } from '../services/vault.js';
import type { PinCost } from '../vault/slots.js';
import { M } from './messages.js';
import { formatDate, formatTime } from './view-models.js';
import { statusLabel } from '../domain/persons.js';
import { findPurpose } from '../domain/purposes.js';
import { isAllowed } from './network.js';
import { can, type Permission } from './policy.js';
import { authRoutes } from './routes/auth.js';
import { homeRoutes } from './routes/home.js';
import { importRoutes } from './routes/imports.js';
import { campaignRoutes } from './routes/campaigns.js';
import { intakeRoutes } from './routes/intake.js';
import { cardIntakeRoutes } from './routes/card-intake.js';
import { MC } from './messages-card.js';
import type { CardIntakeDesk } from '../services/card-intake-desk.js';
import { personRoutes } from './routes/persons.js';
import { identityPolicyRoutes, purposeRoutes } from './routes/purposes.js';
import { selfIntakeRoutes } from './routes/self-intake.js';
import { userRoutes } from './routes/users.js';
import { accountRoutes, recoveryCodeRoutes } from './routes/account.js';
import { securityKeyRoutes } from './routes/security-keys.js';
import type { SecurityKeyStation } from '../services/security-key-station.js';
import type { EnrolmentDesk } from '../services/key-enrolment.js';
import { gateRoutes } from './routes/gate.js';
import { doorRoutes } from './routes/door.js';
import { entryRoutes } from './routes/entries.js';
import { disposalRoutes, holdRoutes, retentionRoutes } from './routes/disposal.js';
import { erasureRoutes } from './routes/erasure.js';
import { exportRecordRoutes } from './routes/export-records.js';
import { filingRecordRoutes } from './routes/filing-records.js';
import { ledgerRoutes } from './routes/ledger.js';
import { reportRoutes } from './routes/reports.js';
import { auditRoutes } from './routes/audit.js';
import type { SyslogStatus } from '../services/syslog-forwarder.js';
import type { DoorStatus } from '../services/door.js';
import type { RevealStore } from '../services/gate.js';
import { filingRoutes } from './routes/filings.js';
import type { GateWindows } from '../gate/requests.js';
import { checkCsrf, loadSession } from './sessions.js';
import { setupRoutes } from './routes/setup.js';
import { statusRoutes } from './routes/status.js';
import { caRoutes } from './routes/ca.js';
import { backupRoutes } from './routes/backups.js';
import { secondFactorRoutes } from './routes/second-factor.js';
import { secondFactorAccountRoutes, secondFactorAdminRoutes } from './routes/second-factor-account.js';
import { recoveryCodesMissing } from '../services/second-factor-policy.js';
import type { PinEnrolmentDesk } from '../services/pin-enrolment.js';
import type { AuditVerifier } from '../services/audit-verifier.js';
import type { BackupRunner } from '../services/backup-runner.js';
import type { AuditReading } from '../services/audit-reading.js';
import type { NetworkDenials } from '../services/network-denials.js';
import type { GatePages } from '../services/gate-pages.js';
import type { UserDirectory } from '../services/user-directory.js';
import type { EntryRecords } from '../services/entry-records.js';
import type { SignInSessions } from '../services/sign-in-sessions.js';
import type { HomeReading } from '../services/home-reading.js';
import type { SetupReading } from '../services/setup-reading.js';
import type { DisposalReading } from '../services/disposal-reading.js';
import type { RecordsReading } from '../services/records-reading.js';

export interface WebDeps {
  /** Chromium for PDF reports (default /usr/bin/chromium). */
  chromiumPath?: string | undefined;
  vault: Vault;
  mode: 'production' | 'development';
  simulateDevices: boolean;
  /** Served over HTTPS: cookies are Secure and HSTS is sent. */
  secure: boolean;
  allowedNetworks: BlockList;
  /** The LAN address printed on intake slips, e.g. https://mnvault.local:8443 */
  publicUrl?: string | undefined;
  /** Tests lower the scrypt cost of new PIN slots. */
  pinCost?: PinCost | undefined;
  /** Numbers opened by approvals, held for their viewing window. */
  reveals: RevealStore;
  gateWindows?: GateWindows;
  /** Security keys at the appliance: the station that watches them and pending enrolments. */
  securityKeys?: { station: SecurityKeyStation; desk: EnrolmentDesk } | undefined;
  /** PINの登録 at the appliance (without a PIN pad attached, no pad completes it). */
  pinEnrolments: PinEnrolmentDesk;
  /** The devices' state for the admin's home page. */
  deviceStatus?: () => { pinPad: 'connected' | 'searching' | 'simulator' | 'none'; /** ms of the last key press on the pad (never the key) */ lastKeyAt?: number | null };
  /** The door of the 管理区域, when one is wired (or simulated); admins may pulse its relay once as a test. */
  door?: { status(): DoorStatus; testPulse?(): Promise<void>; relayDevice?(): string | undefined } | undefined;
  /** 「カードで取得」: the 個人番号カード read at the appliance (a reader through pcscd). */
  cards?: CardIntakeDesk | undefined;
  /** The remote syslog copy of the trail (MNVAULT_SYSLOG), when configured. */
  syslog?: { status(): SyslogStatus } | undefined;
  /** MNVAULT_DEBUG=1 (development only): a 500 page also shows the error's message, number-like runs masked. */
  debug?: boolean | undefined;
  /** Storage faults met at run time. */
  storage: StorageHealth;
  /** The audit page's full verification, one run at a time. */
  auditVerifier: AuditVerifier;
  /** Backups from the admin's button and the daily schedule, one at a time. */
  backupRunner: BackupRunner;
  /** The audit pages' read model. */
  auditReading: AuditReading;
  /** Requests from outside the allowed networks, on the trail. */
  networkDenials: NetworkDenials;
  /** The home page's retention counts, kept until the trail moves. */
  /** The gate pages' read model. */
  gatePages: GatePages;
  /** Staff accounts and their keys as pages show them (never the password hash). */
  users: UserDirectory;
  /** The entry log and door alarms as pages read them. */
  entryRecords: EntryRecords;
  /** Sessions and pending sign-ins as stored. */
  signIns: SignInSessions;
  /** The home page's tasks and set-up facts. */
  home: HomeReading;
  /** The set-up and status pages' settings and facts. */
  setupReading: SetupReading;
  /** Disposals, retention rules and erasures as the pages read them. */
  disposals: DisposalReading;
  /** The person list, campaigns and filing records as the pages read them. */
  records: RecordsReading;
}

/** Permission check, the one place routes ask: a signed-in user whose role grants it (any one of several). */
export function requirePermission(...permissions: [Permission, ...Permission[]]) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const user = res.locals.session?.user;
    if (!user) return res.redirect(303, `/login${res.locals.sessionExpired ? '?expired=1' : ''}`);
    if (!permissions.some((p) => can(user.role, p))) return next(new AppError('forbidden', M.forbidden));
    next();
  };
}

/**
 * The office LAN app: helmet with a strict CSP (no inline script or style),
 * the LAN allow-list, body limits, server-side sessions, CSRF on every
 * state-changing request, role checks, and an error handler registered last.
 */
export function createApp(deps: WebDeps): express.Express {
  const { storage } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', packagePath('views'));
  app.set('trust proxy', false);
  // Templates ship with the build: compile each once.
  app.set('view cache', true);
  app.locals.m = M;
  app.locals.mc = MC;
  app.locals.formatDate = formatDate;
  app.locals.statusLabel = statusLabel;
  app.locals.purposeName = (code: string | null) => (code ? (findPurpose(code)?.name ?? code) : '');
  app.locals.formatTime = formatTime;

  app.use((req, res, next) => {
    res.locals.requestId = randomBytes(4).toString('hex');
    if (isAllowed(deps.allowedNetworks, req.socket.remoteAddress)) return next();
    deps.networkDenials.note(req.socket.remoteAddress);
    res.status(403).type('text/plain; charset=utf-8').send(M.forbiddenNetwork);
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          // helmet's default allows fonts from any https: origin; the appliance serves its own or none.
          'font-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'upgrade-insecure-requests': deps.secure ? [] : null,
        },
      },
      strictTransportSecurity: deps.secure ? { maxAge: 31_536_000, includeSubDomains: false } : false,
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/static', express.static(packagePath('public'), { fallthrough: false, index: false }));
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  app.use(loadSession(deps.signIns, deps.secure));
  app.use((_req, res, next) => {
    const role = res.locals.session?.user.role;
    res.locals.user = res.locals.session?.user;
    res.locals.can = (p: Permission) => can(role, p);
    // Open door alarms, counted in the navigation of those who acknowledge them.
    res.locals.doorAlarmCount = can(role, 'door.acknowledge') ? deps.entryRecords.openAlarmCount() : 0;
    // A second factor without unused recovery codes: every page says so until codes are issued.
    res.locals.recoveryCodesMissing = res.locals.session ? recoveryCodesMissing(deps.vault, res.locals.session.user.id) : false;
    next();
  });
  // A password an admin reset is temporary: until it is changed only the password page and sign-out open.
  app.use((req, res, next) => {
    if (!res.locals.session?.user.mustChangePassword || req.path === '/account/password' || req.path === '/logout') return next();
    res.redirect(303, '/account/password');
  });

  app.get('/health', (_req, res) => {
    const st = storage.state();
    res.status(st.ok ? 200 : 503).json({ status: st.ok ? 'ok' : 'storage_fault', storage: st.fault, auditSeq: st.fault === 'missing' ? null : deps.auditReading.headSeq() });
  });
  // The CSV upload carries its token in a header; its body is not a form.
  app.use('/imports', importRoutes(deps));
  app.use(checkCsrf);
  app.use(authRoutes(deps));
  app.use(secondFactorRoutes(deps));
  app.use(selfIntakeRoutes(deps));
  app.use(homeRoutes(deps));
  app.use('/persons', personRoutes(deps));
  app.use('/persons', intakeRoutes(deps));
  app.use('/campaigns', campaignRoutes(deps));
  app.use('/persons', purposeRoutes(deps));
  app.use(identityPolicyRoutes(deps));
  app.use('/persons', cardIntakeRoutes(deps));
  app.use('/admin/users', userRoutes(deps));
  app.use('/account/second-factor', secondFactorAccountRoutes(deps));
  app.use('/account', accountRoutes(deps));
  app.use('/admin/second-factor', secondFactorAdminRoutes(deps));
  app.use('/admin/recovery-code', recoveryCodeRoutes(deps));
  app.use('/admin/security-keys', securityKeyRoutes(deps));
  app.use('/gate', gateRoutes(deps));
  app.use('/filings', filingRoutes(deps));
  app.use('/entries', entryRoutes(deps));
  app.use('/audit', auditRoutes(deps));
  app.use('/door', doorRoutes(deps));
  app.use('/disposal', disposalRoutes(deps));
  app.use('/admin/retention', retentionRoutes(deps));
  app.use('/admin/ledger', ledgerRoutes(deps));
  app.use('/exports', exportRecordRoutes(deps));
  app.use('/filing-records', filingRecordRoutes(deps));
  app.use('/persons', holdRoutes(deps));
  app.use(erasureRoutes(deps));
  app.use('/admin/setup', setupRoutes(deps));
  app.use('/admin/status', statusRoutes(deps));
  app.use('/admin/backups', backupRoutes(deps));
  // Open before sign-in: a PC fetches the CA certificate before it trusts the connection.
  app.use('/ca', caRoutes(deps));
  app.use(reportRoutes(deps));

  app.use((_req, res) => {
    res.status(404).render('error', { message: M.notFound });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    // SQLite's FULL, CORRUPT, READONLY and BUSY (also under 'audit_unavailable') become their named storage errors.
    const stored = storage.note(err);
    if (stored) return void res.status(httpStatusFor[stored.code]).render('error', { message: stored.publicMessage });
    const status = (err as { status?: unknown })?.status;
    if ((err as { csrf?: boolean }).csrf) return void res.status(403).render('error', { message: M.csrf });
    if (err instanceof FormError) return void res.status(400).render('error', { message: err.publicMessage });
    if (err instanceof AppError) return void res.status(httpStatusFor[err.code]).render('error', { message: err.publicMessage });
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = status === 404 ? M.notFound : status === 413 ? M.tooLarge : M.badRequest;
      return void res.status(status).render('error', { message });
    }
    // Unknown: the log gets the request id, classes, codes and frames, never the message or field values.
    const ref = logFailure('request_failed', err, { ref: res.locals.requestId, fields: { method: req.method, path: pathForLog(req.path) }, debug: deps.debug });
    res.status(500).render('error', { message: M.internalError, ref, details: deps.debug ? debugMessages(err) : null });
  };
  app.use(onError);
  return app;
}
