import { X509Certificate } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockList } from 'node:net';
import { companyName } from '../services/settings.js';
import { checkBackupDir, reviewedSteps, SETUP_STEPS, setupCompletedAt, type BackupDirCheck, type SetupStep } from '../services/setup.js';
import type { WebDeps } from './app.js';
import { STORAGE_FAULT_MESSAGE } from '../domain/storage-faults.js';
import { SETUP_MESSAGES as S, STATUS_MESSAGES as T } from './messages-setup.js';
import { isAllowed, parseNetworks } from './network.js';

export type CheckState = 'ok' | 'attention' | 'unused';

/** One line of the setup progress and of the status table. */
export interface Check {
  key: string;
  title: string;
  state: CheckState;
  detail: string;
  /** What to do, when not ok. */
  todo: string | null;
  href: string | null;
}

/** The private ranges the app and the installer allow by default; any of them left means "not narrowed". */
const BROAD = new Set(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10']);

/** The configured networks, in the order given, as CIDR strings. */
export function networkList(allow: BlockList): string[] {
  return allow.rules
    .map((r) => /^Subnet: IPv[46] (\S+)$/u.exec(r)?.[1])
    .filter((x): x is string => x !== undefined)
    .reverse();
}

export function networksAreBroad(list: readonly string[]): boolean {
  return list.some((n) => BROAD.has(n));
}

/** A peer address as people write it (IPv4-mapped IPv6 shown as IPv4). */
export function plainAddress(address: string | undefined | null): string {
  if (!address) return '不明';
  return address.startsWith('::ffff:') && /^[0-9.]+$/u.test(address.slice(7)) ? address.slice(7) : address;
}

/** The first configured network that holds the address, if any. */
export function networkOf(list: readonly string[], address: string): string | undefined {
  return list.find((n) => {
    try {
      return isAllowed(parseNetworks([n]), address);
    } catch {
      return false;
    }
  });
}

export type TryResult = { ok: true; line: string; address: string } | { ok: false; locked: boolean; message: string };

/** Checks a proposed MNVAULT_ALLOWED_NETWORKS value against the admin's own address (nothing is saved). */
export function tryNetworks(value: string, address: string): TryResult {
  const entries = value.split(',').map((x) => x.trim()).filter(Boolean);
  if (entries.length === 0 || entries.length > 32) return { ok: false, locked: false, message: S.networks.tryBad.replace('{bad}', value.slice(0, 60) || '（空）') };
  let allow: BlockList;
  try {
    allow = parseNetworks(entries);
  } catch {
    const bad = entries.filter((e) => {
      try {
        parseNetworks([e]);
        return false;
      } catch {
        return true;
      }
    });
    return { ok: false, locked: false, message: S.networks.tryBad.replace('{bad}', bad.join(', ').slice(0, 120)) };
  }
  if (!isAllowed(allow, address)) return { ok: false, locked: true, message: S.networks.tryLocked.replace('{addr}', address) };
  return { ok: true, line: `MNVAULT_ALLOWED_NETWORKS=${entries.join(',')}`, address };
}

export function handlersWithPins(deps: WebDeps): { id: string; login: string; displayName: string; hasPin: boolean }[] {
  return deps.setupReading.handlersWithPins();
}

export function backupCheck(deps: WebDeps): BackupDirCheck | null {
  const path = deps.setupReading.backupDirSetting();
  return path ? checkBackupDir(path, deps.vault.dataDir) : null;
}

const href = (step: SetupStep) => `/admin/setup/${step}`;

/** Each setup step's state, derived from the vault and the devices as they are now. */
export function setupChecks(deps: WebDeps): Check[] {
  const { vault } = deps;
  const out: Check[] = [];
  const name = deps.setupReading.companyNameSetting();
  out.push({ key: 'company', title: S.steps.company!, state: name ? 'ok' : 'attention', detail: name ? companyName(vault) : S.company.unset, todo: name ? null : S.company.help, href: href('company') });

  const nets = networkList(deps.allowedNetworks);
  const broad = networksAreBroad(nets);
  out.push({ key: 'networks', title: S.steps.networks!, state: broad ? 'attention' : 'ok', detail: nets.join(', '), todo: broad ? S.networks.isDefault : null, href: href('networks') });

  const pad = deps.deviceStatus?.().pinPad ?? 'none';
  const padText = { connected: '接続中', simulator: '模擬PINパッド（開発用）', searching: '未接続', none: '設定なし' }[pad];
  out.push({
    key: 'pinpad',
    title: S.steps.pinpad!,
    state: pad === 'connected' || pad === 'simulator' ? 'ok' : 'attention',
    detail: padText,
    todo: pad === 'none' ? S.pinpad.none : pad === 'searching' ? S.pinpad.searching : null,
    href: href('pinpad'),
  });

  const enrolled = deps.setupReading.activeKeyCount();
  out.push({
    key: 'security-key',
    title: S.steps['security-key']!,
    state: enrolled > 0 ? 'ok' : 'unused',
    detail: deps.securityKeys ? S.keys.enrolled.replace('{n}', String(enrolled)) : S.keys.unavailable,
    todo: null,
    href: href('security-key'),
  });

  const door = deps.door?.status() ?? { relay: 'none', sensor: 'none', simulated: false, recordFailed: false };
  const alarms = deps.entryRecords.openAlarmCount();
  const doorUnused = door.relay === 'none' && door.sensor === 'none';
  const doorBad = door.relay === 'failed' || door.sensor === 'failed' || door.recordFailed || alarms > 0;
  const relayText = { ready: '設定済み', failed: '失敗', none: 'なし' }[door.relay];
  const sensorText = { open: '開', closed: '閉', unknown: '読み取り待ち', failed: '失敗', none: 'なし' }[door.sensor];
  out.push({
    key: 'door',
    title: S.steps.door!,
    state: doorUnused && alarms === 0 ? 'unused' : doorBad ? 'attention' : 'ok',
    detail: `${S.door.relay}: ${relayText}、${S.door.sensor}: ${sensorText}${door.simulated ? '（模擬）' : ''}`,
    todo: doorBad ? (alarms > 0 ? S.door.alarms.replace('{n}', String(alarms)) : 'リレー・センサーの配線と接続を確かめてください（device/README.md）。') : null,
    href: href('door'),
  });

  const handlers = handlersWithPins(deps);
  const ready = handlers.filter((h) => h.hasPin).length;
  out.push({
    key: 'handlers',
    title: S.steps.handlers!,
    state: ready > 0 ? 'ok' : 'attention',
    detail: `事務取扱担当者 ${handlers.length} 人（PIN設定済 ${ready} 人）`,
    todo: ready > 0 ? null : S.handlers.help,
    href: href('handlers'),
  });

  const backup = backupCheck(deps);
  out.push({
    key: 'backup',
    title: S.steps.backup!,
    state: backup?.ok ? 'ok' : 'attention',
    detail: backup ? backup.path : S.backup.unset,
    todo: backup ? backup.problem : S.backup.help,
    href: href('backup'),
  });
  return out;
}

/** What completing setup needs (names of the steps still missing), and what is left to look at. */
export function completionFacts(checks: Check[]): { blocking: string[]; attention: string[] } {
  const blocking = checks.filter((c) => (c.key === 'company' || c.key === 'handlers') && c.state !== 'ok').map((c) => c.title);
  const attention = checks.filter((c) => c.state === 'attention').map((c) => c.key);
  return { blocking, attention };
}

/** The step an admin should see next: the first not gone through, else the finish page. */
export function nextStep(deps: WebDeps): SetupStep | 'finish' {
  const done = reviewedSteps(deps.vault);
  return SETUP_STEPS.find((s) => !done.has(s)) ?? 'finish';
}

/** The home page's banner for an admin while setup is open; null once it is complete. */
export function setupBanner(deps: WebDeps): { href: string; label: string } | null {
  if (setupCompletedAt(deps.vault)) return null;
  const next = nextStep(deps);
  const label = next === 'finish' ? S.finish : S.steps[next]!;
  return { href: next === 'finish' ? '/admin/setup/finish' : href(next), label: S.bannerNext.replace('{step}', label) };
}

export interface TlsInfo {
  /** 'none' when served over plain HTTP and no certificate exists. */
  kind: 'local-ca' | 'operator' | 'none';
  notAfter: Date | null;
  daysLeft: number | null;
  fingerprint: string | null;
}

/** The server certificate in DATA/tls, as the status page shows it. */
export function tlsInfo(dataDir: string, now: Date): TlsInfo {
  let pem: string;
  try {
    pem = readFileSync(join(dataDir, 'tls', 'server.pem'), 'utf8');
  } catch {
    return { kind: 'none', notAfter: null, daysLeft: null, fingerprint: null };
  }
  let hasCa = true;
  try {
    readFileSync(join(dataDir, 'tls', 'ca.pem'));
  } catch {
    hasCa = false;
  }
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  return { kind: hasCa ? 'local-ca' : 'operator', notAfter, daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000), fingerprint: cert.fingerprint256 };
}

/** Free space of the file system holding the data folder. */
export function diskInfo(dataDir: string): { free: number; total: number } | null {
  try {
    const s = statfsSync(dataDir);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${d > 0 ? `${d}日 ` : ''}${h}時間 ${m}分`;
}

/** The service's own checks for the status page: credential, devices mode, TLS, disk. */
export function systemChecks(deps: WebDeps): Check[] {
  const { vault } = deps;
  const out: Check[] = [];
  const dev = deps.setupReading.developmentKey();
  out.push({ key: 'credential', title: T.credential, state: dev ? 'attention' : 'ok', detail: dev ? T.credentialDev : T.credentialProduction, todo: dev ? T.credentialDevTodo : null, href: null });
  if (deps.simulateDevices) out.push({ key: 'simulated', title: T.simulated, state: 'attention', detail: '--simulate-devices', todo: T.simulatedTodo, href: null });
  const tls = tlsInfo(vault.dataDir, vault.clock.now());
  if (tls.kind === 'none') {
    out.push({ key: 'tls', title: T.tls, state: deps.secure ? 'attention' : 'unused', detail: T.tlsNone, todo: null, href: null });
  } else {
    const days = tls.daysLeft!;
    const state: CheckState = days < 30 ? 'attention' : 'ok';
    const todo = days < 0 ? T.tlsExpired : days < 30 ? (tls.kind === 'operator' ? T.tlsOperator : T.tlsSoon) : null;
    out.push({ key: 'tls', title: T.tls, state, detail: T.tlsExpires.replace('{date}', tls.notAfter!.toISOString().slice(0, 10)).replace('{days}', String(days)), todo, href: tls.kind === 'local-ca' ? '/ca' : null });
  }
  out.push(clockCheck(vault.dataDir, vault.clock.now(), deps.setupReading.newestEventAt()));
  const unconstrained = localCaUnconstrained(vault.dataDir);
  if (unconstrained) out.push({ key: 'ca', title: T.caConstraints, state: 'attention', detail: T.caUnconstrained, todo: T.caUnconstrainedTodo, href: '/ca' });
  const integrity = deps.setupReading.integrity();
  // Damage the check found is the service's state too (/health, the trail), not only this page's row.
  if (!integrity.ok && !integrity.problem?.startsWith('SQLITE_BUSY')) deps.storage?.noteDamaged(integrity.problem ?? '');
  const storage = deps.storage?.state();
  if (storage) {
    out.push({ key: 'storage', title: T.storage, state: storage.ok ? 'ok' : 'attention', detail: storage.ok ? T.storageOk : `${storage.since ?? ''}`, todo: storage.message, href: null });
  }
  out.push({
    key: 'integrity',
    title: T.integrity,
    state: integrity.ok ? 'ok' : 'attention',
    detail: integrity.ok ? T.integrityOk.replace('{ms}', String(Math.round(integrity.ms))) : T.integrityBad.replace('{problem}', integrity.problem ?? ''),
    todo: integrity.ok ? null : STORAGE_FAULT_MESSAGE.damaged,
    href: null,
  });
  const disk = diskInfo(vault.dataDir);
  if (disk) {
    const low = disk.free < 1024 ** 3 || disk.free < disk.total * 0.05;
    out.push({ key: 'disk', title: T.disk, state: low ? 'attention' : 'ok', detail: T.diskFree.replace('{free}', formatBytes(disk.free)).replace('{total}', formatBytes(disk.total)), todo: low ? T.diskLow : null, href: null });
  }
  return out;
}

/**
 * The clock as the appliance can judge it without a network: behind when it
 * reads earlier than the newest audit event or than the local CA's notBefore
 * (the TLS start-up refuses in that case); otherwise shown with the time read.
 */
export function clockCheck(dataDir: string, now: Date, newestEventAt: string | null): Check {
  const shown = T.clockNow.replace('{now}', now.toISOString());
  let caNotBefore: Date | null = null;
  try {
    caNotBefore = new Date(new X509Certificate(readFileSync(join(dataDir, 'tls', 'ca.pem'))).validFrom);
  } catch {
    // No local CA (HTTP or an operator's certificate): only the audit trail to compare with.
  }
  const behindAudit = newestEventAt !== null && now.getTime() < Date.parse(newestEventAt);
  const behindCa = caNotBefore !== null && now.getTime() < caNotBefore.getTime();
  if (behindAudit || behindCa) {
    const ref = behindAudit ? T.clockBehindAudit.replace('{at}', newestEventAt!) : T.clockBehindCa.replace('{at}', caNotBefore!.toISOString());
    return { key: 'clock', title: T.clock, state: 'attention', detail: `${shown} ${ref}`, todo: T.clockTodo, href: null };
  }
  return { key: 'clock', title: T.clock, state: 'ok', detail: shown, todo: null, href: null };
}

/** True when DATA/tls/ca.pem is a CA made before name constraints (it can vouch for any site). */
function localCaUnconstrained(dataDir: string): boolean {
  try {
    const ca = new X509Certificate(readFileSync(join(dataDir, 'tls', 'ca.pem')));
    return !hasNameConstraints(ca.raw);
  } catch {
    return false;
  }
}

/** The NameConstraints OID 2.5.29.30 (06 03 55 1d 1e) appears in the certificate's DER. */
function hasNameConstraints(der: Buffer): boolean {
  return der.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x1e]));
}
