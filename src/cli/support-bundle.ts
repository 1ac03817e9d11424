import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError, errorCode } from '../domain/errors.js';
import { traceOf } from '../failure-log.js';
import { vaultFacts } from '../services/support-facts.js';
import type { Vault } from '../services/vault.js';
import { parseNetworks } from '../web/network.js';
import { setupChecks, systemChecks, type Check } from '../web/setup-checks.js';
import { composeCore } from '../main.js';
import type { WebDeps } from '../web/app.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';
import { dataFolderSizes, journalFacts, logFileErrors, NOT_AVAILABLE, runtimeFacts, unitState, versionFacts } from './support-system.js';

/** The installed unit (systemd/mnvault.service). */
const UNIT = 'mnvault.service';

/** Checks whose detail line holds no name or path (company shows the name, backup the folder). */
const SAFE_DETAIL = new Set(['networks', 'handlers', 'security-key', 'credential', 'simulated', 'tls', 'disk']);
/** Device checks: the service holds the devices, so a command cannot see their state. */
const SERVICE_ONLY = new Set(['pinpad', 'door']);

export interface BundleCheck {
  key: string;
  title: string;
  state: string;
  detail?: string;
  todo?: string;
}

function bundleCheck(c: Check): BundleCheck {
  if (SERVICE_ONLY.has(c.key)) return { key: c.key, title: c.title, state: 'not available', detail: 'the service holds the device; see its status page' };
  const out: BundleCheck = { key: c.key, title: c.title, state: c.state };
  if (SAFE_DETAIL.has(c.key) && !looksLikeNumber(c.detail)) out.detail = c.detail;
  if (c.todo && c.key !== 'company' && c.key !== 'backup' && !looksLikeNumber(c.todo)) out.todo = c.todo;
  return out;
}

/** The settings from the environment: values that name no person, host or path; the others only as set or not. */
function configFacts(config: Config): Record<string, unknown> {
  const set = (v: unknown) => (v === undefined || v === null || v === '' ? 'not set' : 'set (value removed)');
  return {
    mode: config.mode,
    debug: config.debug,
    port: config.port,
    host: config.host,
    allowedNetworks: config.allowedNetworks,
    publicUrl: set(config.publicUrl),
    credentialsDirectory: set(config.credentialsDirectory),
    chromiumPath: set(config.chromiumPath),
    pinPad: config.pinPad ? `${config.pinPad.vendorId.toString(16).padStart(4, '0')}:${config.pinPad.productId.toString(16).padStart(4, '0')}` : 'not set',
    door: { relay: set(config.door.relayPath), sensor: set(config.door.sensorPath), relaySettings: config.door.relay, sensorSettings: config.door.sensor, heldMs: config.door.heldMs, entryMs: config.door.entryMs },
    gateWindows: config.gateWindows,
    syslog: config.syslog ? { protocol: config.syslog.protocol, host: 'set (value removed)', port: config.syslog.port, ca: set(config.syslog.caPath) } : 'not set',
  };
}

/** Why a section could not be read: the error's code and class, never its message (it may name a path). */
function unavailable(err: unknown): string {
  return `${NOT_AVAILABLE} (${err instanceof AppError ? err.code : `${traceOf(err).class}${traceOf(err).code ? ` ${traceOf(err).code}` : ''}`})`;
}

/**
 * `mnvault support-bundle --data DIR --out FILE [--log FILE] [--full-check]`:
 * one JSON file (mode 0600) with what support needs to look into a problem and
 * nothing personal: version and build, Node and OS, the status page's checks,
 * the unit's state and restarts, recent error lines (journal, or --log), the
 * database's integrity check, table row counts and file sizes, and the
 * settings with names, paths and secrets removed. Each part that cannot be
 * read says so; the bundle is written all the same.
 */
export async function supportBundleCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, out: { type: 'string' }, log: { type: 'string' }, 'full-check': { type: 'boolean' } });
  if (!values.out) throw usageError('--out に書き出すファイル（例: mnvault-support.json）を指定してください。');
  const dataDir = dataDirFrom(values.data, config);
  const bundle: Record<string, unknown> = {
    about: 'mnvault support bundle: no My Number, no names, no secrets, no host or folder names. Read it before sending.',
    createdAt: new Date().toISOString(),
    version: versionFacts(),
    runtime: runtimeFacts(),
    settings: configFacts(config),
  };
  let vault: Vault | undefined;
  try {
    vault = openForCommand(dataDir, config, err);
  } catch (e) {
    bundle.vault = unavailable(e);
  }
  try {
    if (vault) {
      try {
        bundle.vault = vaultFacts(vault, values['full-check'] ?? false);
      } catch (e) {
        bundle.vault = unavailable(e);
      }
      try {
        const deps: WebDeps = { ...composeCore(vault), mode: config.mode, simulateDevices: false, secure: true, allowedNetworks: parseNetworks(config.allowedNetworks) };
        bundle.checks = [...setupChecks(deps), ...systemChecks(deps)].map(bundleCheck);
      } catch (e) {
        bundle.checks = unavailable(e);
      }
    } else {
      bundle.checks = `${NOT_AVAILABLE} (the vault did not open)`;
    }
  } finally {
    vault?.close();
  }
  bundle.unit = unitState(UNIT);
  const journal = journalFacts(UNIT);
  bundle.restarts = journal.restarts;
  bundle.recentErrors = values.log ? { source: 'log file (--log)', lines: logFileErrors(values.log) } : { source: 'journal', lines: journal.errors };
  bundle.dataFolder = dataFolderSizes(dataDir);

  // Written whole or not at all, readable by the operator only.
  const temp = `${values.out}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(temp, 0o600);
    renameSync(temp, values.out);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new AppError('invalid', `サポート用の情報を ${values.out} に書き出せませんでした（${(e as NodeJS.ErrnoException).code ?? errorCode(e)}）。書き込めるフォルダを指定してください。`, { cause: e });
  }
  const missing = Object.entries(bundle).filter(([, v]) => typeof v === 'string' && v.startsWith(NOT_AVAILABLE)).map(([k]) => k);
  out.write(
    `サポート用の情報を ${values.out} に書き出しました（個人番号・氏名・秘密・ホスト名・フォルダ名は含みません。送る前に中身を確認できます）。\n` +
      (missing.length ? `取得できなかった項目: ${missing.join(', ')}（理由はファイルの中にあります）\n` : ''),
  );
  return 0;
}
