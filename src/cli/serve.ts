import { storageFault } from '../domain/storage-faults.js';
import { quickCheck } from '../storage/integrity.js';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import type { Vault } from '../services/vault.js';
import type { PinCost } from '../vault/slots.js';
import type { RevealStore } from '../services/gate.js';
import type { GateWindows } from '../gate/requests.js';
import type { EnrolmentDesk } from '../services/key-enrolment.js';
import type { SecurityKeyStation } from '../services/security-key-station.js';
import { compose, type Composition, type Releasable } from '../main.js';
import { vaultCaKeyStore } from '../services/tls-ca-key.js';
import { listen, type Server } from '../web/server.js';
import { defaultHostnames } from '../web/tls.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';
import { logEvent } from '../log.js';
import { stopGracefully } from './shutdown.js';
import { atTerminal } from './terminal.js';

export { pinPadSocketPath } from '../main.js';

export interface Serving {
  server: Server;
  vault: Vault;
  url: string;
  fingerprint: string | null;
  /** Everything built around the vault (main.ts compose), for tests that reach past HTTP. */
  composition: Composition;
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
 * Starts the LAN app on an open vault: everything built once by compose()
 * (main.ts), served over HTTPS (TLS 1.2+, the local CA's certificate from
 * DATA/tls, made on first start) or, on loopback only, HTTP.
 */
export async function startServer(vault: Vault, config: Config, options: ServeOptions): Promise<Serving> {
  // The windows come from the configuration unless the caller (a test) sets them.
  const opts = { ...options, gateWindows: options.gateWindows ?? config.gateWindows };
  assertDevicesAllowed(config, opts.simulateDevices);
  if (opts.http && !LOOPBACK.has(opts.host)) {
    throw new AppError('invalid', '暗号化しない HTTP はループバック（127.0.0.1）でだけ使えます。社内LANには HTTPS で公開してください（--http を外す）。');
  }
  const composition = await compose(vault, config, opts);
  const { reveals, backupRunner } = composition;
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(composition.app, { port: opts.port, host: opts.host, http: opts.http, dataDir: vault.dataDir, now: () => vault.clock.now(), caKey: vaultCaKeyStore(vault) });
  } catch (e) {
    // A refused start (a clock behind the CA, a port in use) must end the process with its error:
    // the devices and schedules compose() started would otherwise keep it running, serving nothing.
    await releaseAll(composition.releasables);
    throw e;
  }
  const { server, port, fingerprint } = listening;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? defaultHostnames().hostnames[0] ?? 'localhost' : opts.host;
  let stopped: Promise<void> | undefined;
  return {
    server,
    vault,
    fingerprint,
    composition,
    reveals,
    securityKeys: composition.securityKeys,
    renewTls: () => listening.renewTls(),
    url: `${opts.http ? 'http' : 'https'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`,
    stop() {
      stopped ??= stopGracefully({
        server,
        reveals,
        devices: [
          ...composition.releasables,
          { name: 'tls-renewal', close: () => Promise.resolve(listening.stopRenewal()) },
          // A backup still copying is stopped and recorded as interrupted before the vault closes.
          { name: 'backup', close: () => backupRunner.cancel() },
        ],
        vault,
        deadlineMs: opts.stopDeadlineMs ?? 10_000,
        log: logEvent,
      });
      return stopped;
    },
  };
}

/** Releases what compose() started, each on its own: one that fails must not keep the others open. */
async function releaseAll(releasables: Releasable[]): Promise<void> {
  for (const r of releasables) {
    try {
      await r.close();
    } catch (err) {
      logEvent('error', 'device_release_failed', { device: r.name, error: (err as Error)?.name ?? 'Error' });
    }
  }
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
