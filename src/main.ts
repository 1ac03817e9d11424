/**
 * The one wiring point. Every long-lived object of a running appliance is
 * built here, once, and handed to whoever uses it: the open vault (storage,
 * audit trail, keys: services/vault.ts), the gate's in-memory side, the
 * services that keep state between requests, the devices and the web app.
 * Nothing else looks an object up by vault or keeps it in a module variable.
 */
import type { Config } from './config.js';
import type { GateWindows } from './gate/requests.js';
import { DEFAULT_WINDOWS } from './gate/requests.js';
import { logEvent } from './log.js';
import { startCards } from './cli/cards.js';
import { startDoor } from './cli/door.js';
import type { HidBus } from './devices/hid.js';
import { HidPinPad, nodeHidTransport } from './devices/hid-pinpad.js';
import { startSimulatedKey, type SimulatedKey } from './devices/key-simulator.js';
import { listenPinPadSocket } from './devices/pinpad-socket.js';
import { AuditReading } from './services/audit-reading.js';
import { AuditVerifier } from './services/audit-verifier.js';
import { BackupRunner, startBackupSchedule } from './services/backup-runner.js';
import { RevealStore } from './services/gate.js';
import { GatePages } from './services/gate-pages.js';
import { UserDirectory } from './services/user-directory.js';
import { EntryRecords } from './services/entry-records.js';
import { SignInSessions } from './services/sign-in-sessions.js';
import { HomeReading } from './services/home-reading.js';
import { SetupReading } from './services/setup-reading.js';
import { DisposalReading } from './services/disposal-reading.js';
import { RecordsReading } from './services/records-reading.js';
import { EnrolmentDesk } from './services/key-enrolment.js';
import { NetworkDenials } from './services/network-denials.js';
import { PinEnrolmentDesk } from './services/pin-enrolment.js';
import { keypadPort } from './devices/keypad-port.js';
import { attachPinPad } from './services/pinpad.js';
import { hidKeyOpener, SecurityKeyStation, type KeyStatus } from './services/security-key-station.js';
import { StorageHealth } from './services/storage-health.js';
import { startSyslog } from './services/syslog-forwarder.js';
import type { Vault } from './services/vault.js';
import { AuditBrowseRepo } from './storage/audit-browse-repo.js';
import type { PinCost } from './vault/slots.js';
import { createApp, type WebDeps } from './web/app.js';
import { parseNetworks } from './web/network.js';
import { certificateDnsNames } from './web/tls.js';
import { join } from 'node:path';

/** The objects that live as long as the open vault and keep state between requests. */
export interface Core {
  vault: Vault;
  /** The gate's in-memory side: opened numbers, approval listeners, approval deadlines and held codes. */
  reveals: RevealStore;
  storage: StorageHealth;
  pinEnrolments: PinEnrolmentDesk;
  auditVerifier: AuditVerifier;
  backupRunner: BackupRunner;
  auditReading: AuditReading;
  networkDenials: NetworkDenials;
  gatePages: GatePages;
  users: UserDirectory;
  entryRecords: EntryRecords;
  signIns: SignInSessions;
  home: HomeReading;
  setupReading: SetupReading;
  disposals: DisposalReading;
  records: RecordsReading;
}

/** Builds the core around an open vault. Tests that drive the web app without devices use it directly. */
export function composeCore(vault: Vault, opts: { pinCost?: PinCost | undefined } = {}): Core {
  const reveals = new RevealStore();
  return {
    vault,
    reveals,
    storage: new StorageHealth(vault),
    pinEnrolments: new PinEnrolmentDesk(vault, reveals.requests, opts.pinCost),
    auditVerifier: new AuditVerifier(vault),
    backupRunner: new BackupRunner(vault),
    auditReading: new AuditReading({ browse: new AuditBrowseRepo(vault.db), trail: vault.auditRepo, users: vault.users, persons: vault.persons, auditKey: vault.keys.audit }),
    networkDenials: new NetworkDenials(vault),
    gatePages: new GatePages(vault, reveals.requests),
    users: new UserDirectory(vault),
    entryRecords: new EntryRecords(vault),
    signIns: new SignInSessions(vault),
    home: new HomeReading(vault, reveals.requests),
    setupReading: new SetupReading(vault),
    disposals: new DisposalReading(vault),
    records: new RecordsReading(vault),
  };
}

export interface ComposeOptions {
  port: number;
  simulateDevices: boolean;
  /** Plain HTTP (loopback only): no certificate, no Secure cookies. */
  http: boolean;
  pinCost?: PinCost | undefined;
  gateWindows: GateWindows;
}

/** Something `stop` lets go of, in the order given. */
export interface Releasable {
  name: string;
  close(): Promise<void>;
}

export interface Composition extends Core {
  app: ReturnType<typeof createApp>;
  /** The security keys' station and pending enrolments, when keys can be used here. */
  securityKeys: { station: SecurityKeyStation; desk: EnrolmentDesk } | undefined;
  /** The devices and timers, in the order they are let go (the vault is closed by its opener). */
  releasables: Releasable[];
}

/** Where the simulated PIN pad connects (development only). */
export const pinPadSocketPath = (dataDir: string) => join(dataDir, 'pinpad.sock');

/**
 * The appliance's own address when MNVAULT_PUBLIC_URL is unset: the first name
 * in its certificate (a LAN name before localhost) and the port it listens on.
 * The office PCs trust that name through the local CA, so WebAuthn can use it as
 * its relying party and the intake slip can print it. Undefined over plain HTTP
 * or on a port chosen by the system.
 */
function certificateUrl(dataDir: string, secure: boolean, port: number): string | undefined {
  const name = secure && port > 0 ? certificateDnsNames(dataDir)[0] : undefined;
  return name ? `https://${name}${port === 443 ? '' : `:${port}`}` : undefined;
}

/**
 * Builds everything `serve` runs around an open vault: the core, the devices
 * (security keys, card reader, PIN pad, door), the syslog copy, the backup
 * schedule and the web app. The caller listens with the app and, when
 * stopping, releases `releasables` before closing the vault.
 */
export async function compose(vault: Vault, config: Config, opts: ComposeOptions): Promise<Composition> {
  const core = composeCore(vault, { pinCost: opts.pinCost });
  const { reveals, pinEnrolments } = core;
  const log = (device: string) => (s: { state: string }) => logEvent('info', 'device_state', { device, state: s.state });
  // Security keys first: the PIN pad also completes their enrolments (code and the admin's PIN).
  const keys = await startSecurityKeys(vault, reveals, opts, log('fido2'));
  // 「カードで取得」: the card reader through pcscd (or a private pcscd with a virtual reader when simulating).
  const cards = await startCards(vault, reveals.requests, opts.simulateDevices);
  let pinPad: { close(): Promise<void> } | undefined;
  let pinPadState: () => 'connected' | 'searching' | 'simulator' | 'none' = () => 'none';
  // When a key was last pressed on the pad (never which): the setup page's keypress test.
  let lastKeyAt: number | null = null;
  const keyPressed = (at: number) => {
    lastKeyAt = at;
  };
  if (config.pinPad && !opts.simulateDevices) {
    const id = `pinpad:${config.pinPad.vendorId.toString(16).padStart(4, '0')}:${config.pinPad.productId.toString(16).padStart(4, '0')}`;
    const pad = new HidPinPad(await nodeHidTransport(), config.pinPad);
    attachPinPad(vault, reveals, keypadPort(pad), id, opts.gateWindows, log(id), keys?.desk, keyPressed, cards.desk, pinEnrolments);
    await pad.start();
    pinPad = pad;
    pinPadState = () => (pad.state === 'connected' ? 'connected' : 'searching');
  }
  if (opts.simulateDevices) {
    // The terminal PIN pad (`mnvault pinpad`) sends its reports over this socket.
    const socket = await listenPinPadSocket(pinPadSocketPath(vault.dataDir));
    attachPinPad(vault, reveals, keypadPort(socket), 'pinpad:simulator', opts.gateWindows, log('pinpad:simulator'), keys?.desk, keyPressed, cards.desk, pinEnrolments);
    pinPad = socket;
    pinPadState = () => 'simulator';
  }
  // The door of the 管理区域: pulsed on each approval, its sensor polled (MNVAULT_DOOR_*, or simulated).
  const door = await startDoor(vault, reveals, config, opts.simulateDevices, (message) => logEvent('warn', 'notice', { message }));
  // Each committed audit event is copied to the remote syslog witness (MNVAULT_SYSLOG), when configured.
  const syslog = config.syslog ? startSyslog(vault, config.syslog) : undefined;
  // The daily backup (meta backup_time, set on the backup page), kept to the newest N in backup_dir.
  const backupSchedule = startBackupSchedule(vault, core.backupRunner);
  const securityKeys = keys && { station: keys.station, desk: keys.desk };
  const deps: WebDeps = {
    ...core,
    chromiumPath: config.chromiumPath,
    mode: config.mode,
    simulateDevices: opts.simulateDevices,
    secure: !opts.http,
    allowedNetworks: parseNetworks(config.allowedNetworks),
    publicUrl: config.publicUrl ?? certificateUrl(vault.dataDir, !opts.http, opts.port),
    pinCost: opts.pinCost,
    gateWindows: opts.gateWindows,
    deviceStatus: () => ({ pinPad: pinPadState(), lastKeyAt }),
    securityKeys,
    cards: cards.desk,
    door: door?.service,
    syslog,
    debug: config.debug,
  };
  const releasables: Releasable[] = [
    ...(pinPad ? [{ name: 'pinpad', close: () => pinPad.close() }] : []),
    ...(keys ? [{ name: 'fido2', close: () => keys.close() }] : []),
    ...(door ? [{ name: 'door', close: () => door.close() }] : []),
    { name: 'card-reader', close: () => cards.close() },
    { name: 'pin-enrolments', close: () => Promise.resolve(pinEnrolments.close()) },
    ...(syslog ? [{ name: 'syslog', close: () => syslog.stop() }] : []),
    { name: 'backup-schedule', close: () => Promise.resolve(backupSchedule.stop()) },
  ];
  return { ...core, app: createApp(deps), securityKeys, releasables };
}

/**
 * The security-key station: real keys found through node-hid (hidraw) by
 * usage page, or with --simulate-devices the software key whose touches come
 * from `mnvault pinpad` (key t). A machine without hidraw access simply finds
 * no key; the PIN pad still works.
 */
async function startSecurityKeys(
  vault: Vault,
  reveals: RevealStore,
  opts: ComposeOptions,
  onStatus: (s: KeyStatus) => void,
): Promise<{ station: SecurityKeyStation; desk: EnrolmentDesk; close(): Promise<void> } | undefined> {
  let simulated: SimulatedKey | undefined;
  let bus: HidBus;
  try {
    if (opts.simulateDevices) {
      simulated = await startSimulatedKey(vault.dataDir);
      bus = simulated.authenticator.transport;
    } else {
      bus = await nodeHidTransport();
    }
  } catch (err) {
    logEvent('warn', 'device_state', { device: 'fido2', state: 'unavailable', error: (err as Error)?.name ?? 'Error' });
    return undefined;
  }
  const station = new SecurityKeyStation(vault, reveals, hidKeyOpener(bus), { windows: opts.gateWindows ?? DEFAULT_WINDOWS, onStatus });
  await station.start();
  return {
    station,
    desk: new EnrolmentDesk(vault, reveals.requests, station),
    close: async () => {
      await station.close();
      await simulated?.close();
    },
  };
}
