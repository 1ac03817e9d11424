import { PinEnrolmentDesk } from '../services/pin-enrolment.js';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { storageFault } from '../domain/storage-faults.js';
import { quickCheck } from '../storage/integrity.js';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import type { Vault } from '../services/vault.js';
import type { PinCost } from '../vault/slots.js';
import { createApp } from '../web/app.js';
import { parseNetworks } from '../web/network.js';
import { RevealStore } from '../services/gate.js';
import type { GateWindows } from '../gate/requests.js';
import { keypadPort } from '../devices/keypad-port.js';
import { attachPinPad } from '../services/pinpad.js';
import { listenPinPadSocket } from '../devices/pinpad-socket.js';
import { HidPinPad, nodeHidTransport } from '../devices/hid-pinpad.js';
import { startDoor } from './door.js';
import { join } from 'node:path';
import type { HidBus } from '../devices/hid.js';
import { startSimulatedKey, type SimulatedKey } from '../devices/key-simulator.js';
import { DEFAULT_WINDOWS } from '../gate/requests.js';
import { EnrolmentDesk } from '../services/key-enrolment.js';
import { hidKeyOpener, SecurityKeyStation, type KeyStatus } from '../services/security-key-station.js';

/** Where the simulated PIN pad connects (development only). */
export const pinPadSocketPath = (dataDir: string) => join(dataDir, 'pinpad.sock');
import { certificateDnsNames, defaultHostnames, ensureTls, serverTlsOptions } from '../web/tls.js';
import { vaultCaKeyStore } from '../services/tls-ca-key.js';
import { applyServerLimits, serverLimitOptions } from '../web/server-limits.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';
import { startSyslog } from '../services/syslog-forwarder.js';
import { logEvent } from '../log.js';
import { stopGracefully } from './shutdown.js';
import { startCards } from './cards.js';
import { atTerminal } from './terminal.js';
import { backupRunnerFor, startBackupSchedule } from '../services/backup-runner.js';

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

/** How often the running server checks whether its certificate is due for renewal. */
const TLS_RENEWAL_CHECK_MS = 12 * 60 * 60 * 1000;

export interface Serving {
  server: Server;
  vault: Vault;
  url: string;
  fingerprint: string | null;
  /** The gate's in-memory side: opened numbers and approval listeners. */
  reveals: RevealStore;
  /** The security keys' station and pending enrolments, when keys can be used here. */
  securityKeys: { station: SecurityKeyStation; desk: EnrolmentDesk } | undefined;
  /** Re-issues the server certificate if it is due and serves the new one; true when it did (the timer calls it twice a day). */
  renewTls(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  simulateDevices: boolean;
  /** Plain HTTP: only on loopback (the demo and tests). */
  http: boolean;
  pinCost?: PinCost;
  /** The approval and viewing windows (tests shorten them). */
  gateWindows?: GateWindows;
  /** How long requests in flight may take to finish when stopping (default 10 s). */
  stopDeadlineMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Simulated devices are for development and tests only. */
export function assertDevicesAllowed(config: Config, simulateDevices: boolean): void {
  if (simulateDevices && config.mode === 'production') {
    throw new AppError('forbidden', '本番モードでは模擬デバイス（--simulate-devices）を使えません。実機を接続し、設定を確認してください。');
  }
}

/**
 * Starts the LAN app on an open vault: HTTPS (TLS 1.2+, the local CA's
 * certificate from DATA/tls, made on first start) or, on loopback only, HTTP.
 */
export async function startServer(vault: Vault, config: Config, options: ServeOptions): Promise<Serving> {
  // The windows come from the configuration unless the caller (a test) sets them.
  const opts = { ...options, gateWindows: options.gateWindows ?? config.gateWindows };
  assertDevicesAllowed(config, opts.simulateDevices);
  if (opts.http && !LOOPBACK.has(opts.host)) {
    throw new AppError('invalid', '暗号化しない HTTP はループバック（127.0.0.1）でだけ使えます。社内LANには HTTPS で公開してください（--http を外す）。');
  }
  const reveals = new RevealStore();
  const log = (device: string) => (s: { state: string }) => logEvent('info', 'device_state', { device, state: s.state });
  // Security keys first: the PIN pad also completes their enrolments (code and the admin's PIN).
  const keys = await startSecurityKeys(vault, reveals, opts, log('fido2'));
  // 「カードで取得」: the card reader through pcscd (or a private pcscd with a virtual reader when simulating).
  const cards = await startCards(vault, opts.simulateDevices);
  const cardDesk = cards.desk;
  // PINの登録: an admin starts it in the browser; the handler types the code and the new PIN twice on the pad.
  const pinEnrolments = new PinEnrolmentDesk(vault, opts.pinCost);
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
    attachPinPad(vault, reveals, keypadPort(pad), id, opts.gateWindows, log(id), keys?.desk, keyPressed, cardDesk, pinEnrolments);
    await pad.start();
    pinPad = pad;
    pinPadState = () => (pad.state === 'connected' ? 'connected' : 'searching');
  }
  if (opts.simulateDevices) {
    // The terminal PIN pad (`mnvault pinpad`) sends its reports over this socket.
    const socket = await listenPinPadSocket(pinPadSocketPath(vault.dataDir));
    attachPinPad(vault, reveals, keypadPort(socket), 'pinpad:simulator', opts.gateWindows, log('pinpad:simulator'), keys?.desk, keyPressed, cardDesk, pinEnrolments);
    pinPad = socket;
    pinPadState = () => 'simulator';
  }
  // The door of the 管理区域: pulsed on each approval, its sensor polled (MNVAULT_DOOR_*, or simulated).
  const door = await startDoor(vault, reveals, config, opts.simulateDevices, (message) => logEvent('warn', 'notice', { message }));
  // Each committed audit event is copied to the remote syslog witness (MNVAULT_SYSLOG), when configured.
  const syslog = config.syslog ? startSyslog(vault, config.syslog) : undefined;
  // The daily backup (meta backup_time, set on the backup page), kept to the newest N in backup_dir.
  const backupSchedule = startBackupSchedule(vault);
  const app = createApp({
    vault,
    chromiumPath: config.chromiumPath,
    mode: config.mode,
    simulateDevices: opts.simulateDevices,
    secure: !opts.http,
    allowedNetworks: parseNetworks(config.allowedNetworks),
    publicUrl: config.publicUrl ?? certificateUrl(vault.dataDir, !opts.http, opts.port),
    pinCost: opts.pinCost,
    reveals,
    gateWindows: opts.gateWindows,
    deviceStatus: () => ({ pinPad: pinPadState(), lastKeyAt }),
    securityKeys: keys && { station: keys.station, desk: keys.desk },
    pinEnrolments,
    cards: cards.desk,
    door: door?.service,
    syslog,
    debug: config.debug,
  });
  let fingerprint: string | null = null;
  let server: Server;
  let renewal: NodeJS.Timeout | undefined;
  let renewTls = async (): Promise<boolean> => false;
  if (opts.http) {
    server = createHttpServer(serverLimitOptions(), app);
  } else {
    const tlsOptions = () => ({ ...defaultHostnames(), now: vault.clock.now(), caKey: vaultCaKeyStore(vault) });
    const tls = await ensureTls(vault.dataDir, tlsOptions());
    fingerprint = tls.fingerprint;
    const https = createHttpsServer({ ...serverTlsOptions(tls), ...serverLimitOptions() }, app);
    server = https as unknown as Server;
    // Renew the server certificate while running (30 days before it expires), without a restart.
    renewTls = async () => {
      try {
        const next = await ensureTls(vault.dataDir, tlsOptions());
        if (!next.created) return false;
        https.setSecureContext(serverTlsOptions(next));
        logEvent('info', 'tls_renewed', { fingerprint: next.fingerprint });
        return true;
      } catch (e) {
        logEvent('warn', 'tls_renewal_failed', { error: (e as Error)?.name ?? 'Error' });
        return false;
      }
    };
    renewal = setInterval(() => void renewTls(), TLS_RENEWAL_CHECK_MS);
    renewal.unref();
  }
  applyServerLimits(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? defaultHostnames().hostnames[0] ?? 'localhost' : opts.host;
  let stopped: Promise<void> | undefined;
  return {
    server,
    vault,
    fingerprint,
    reveals,
    securityKeys: keys && { station: keys.station, desk: keys.desk },
    renewTls: () => renewTls(),
    url: `${opts.http ? 'http' : 'https'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`,
    stop() {
      stopped ??= stopGracefully({
        server,
        reveals,
        devices: [
          ...(pinPad ? [{ name: 'pinpad', close: () => pinPad!.close() }] : []),
          ...(keys ? [{ name: 'fido2', close: () => keys.close() }] : []),
          ...(door ? [{ name: 'door', close: () => door.close() }] : []),
          { name: 'card-reader', close: () => cards.close() },
          { name: 'pin-enrolments', close: async () => pinEnrolments.close() },
          ...(syslog ? [{ name: 'syslog', close: () => syslog.stop() }] : []),
          { name: 'backup-schedule', close: async () => backupSchedule.stop() },
          { name: 'tls-renewal', close: async () => clearInterval(renewal) },
          // A backup still copying is stopped and recorded as interrupted before the vault closes.
          { name: 'backup', close: () => backupRunnerFor(vault).cancel() },
        ],
        vault,
        deadlineMs: opts.stopDeadlineMs ?? 10_000,
        log: logEvent,
      });
      return stopped;
    },
  };
}

/**
 * The security-key station: real keys found through node-hid (hidraw) by
 * usage page, or with --simulate-devices the software key whose touches come
 * from `mnvault pinpad` (key t). A machine without hidraw access simply finds
 * no key; the PIN pad still works.
 */
async function startSecurityKeys(vault: Vault, reveals: RevealStore, opts: ServeOptions, onStatus: (s: KeyStatus) => void): Promise<{ station: SecurityKeyStation; desk: EnrolmentDesk; close(): Promise<void> } | undefined> {
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
    desk: new EnrolmentDesk(vault, station),
    close: async () => {
      await station.close();
      await simulated?.close();
    },
  };
}

export async function serveCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    http: { type: 'boolean' },
    'simulate-devices': { type: 'boolean' },
  });
  const http = values.http ?? false;
  const port = values.port === undefined ? (http ? 8080 : config.port) : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port は 1〜65535 の整数にしてください（指定: ${values.port}）。`);
  const simulateDevices = values['simulate-devices'] ?? false;
  // Refuse before opening the vault, so the first error is the one about devices.
  assertDevicesAllowed(config, simulateDevices);
  const host = values.host ?? (http ? '127.0.0.1' : config.host);
  const vault = openForCommand(dataDirFrom(values.data, config), config, err);
  let serving: Serving;
  try {
    const integrity = quickCheck(vault.db);
    if (!integrity.ok) throw storageFault('damaged', { detail: `quick_check: ${integrity.problem}` });
    serving = await startServer(vault, config, { port, host, simulateDevices, http });
  } catch (e) {
    vault.close();
    throw e;
  }
  out.write(`マイナンバー金庫を起動しました: ${serving.url}\n`);
  if (serving.fingerprint) out.write(`サーバー証明書の指紋 (SHA-256): ${serving.fingerprint}\nローカルCAの証明書: ${vault.dataDir}/tls/ca.pem（各PCに信頼させてください）\n`);
  if (atTerminal(out)) out.write('停止するには Ctrl+C を押してください。\n');
  logEvent('info', 'listening', { url: serving.url, tls: !http, fingerprint: serving.fingerprint });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logEvent('info', 'signal_received', { signal });
      void serving.stop().then(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  out.write('停止しました。\n');
  // A handle a device library leaves open must not keep the process, and systemd's stop, waiting.
  setTimeout(() => {
    logEvent('warn', 'exit_forced');
    process.exit(0);
  }, 3000).unref();
  return 0;
}
