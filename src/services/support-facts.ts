import { looksLikeNumber } from '../domain/digits.js';
import { SupportRepo } from '../storage/support-repo.js';
import type { Vault } from './vault.js';

/**
 * The vault's side of a support bundle: SQLite's integrity check, row counts, the audit head, the settings and the accounts,
 * with every name, path and secret left out. Kept by allow-list: a field not
 * named here is reported as present or absent, never by its value.
 */

/** vault_meta keys whose values are not personal and not secret (times, counts, ids, the schedule). */
const SAFE_META = new Set(['vault_id', 'created_at', 'setup_completed_at', 'setup_reviewed', 'backup_keep', 'backup_time', 'backup_scheduled_on']);
/** The last backup's outcome without its reason or file (they may name folders). */
function lastBackup(raw: string | undefined): unknown {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as { state?: unknown; at?: unknown; trigger?: unknown };
    return { state: v.state ?? null, at: v.at ?? null, trigger: v.trigger ?? null };
  } catch {
    return 'unreadable';
  }
}

export function vaultFacts(vault: Pick<Vault, 'db' | 'meta' | 'users' | 'slots' | 'audit' | 'credential'>, fullCheck: boolean): Record<string, unknown> {
  const repo = new SupportRepo(vault.db);
  const started = performance.now();
  const integrity = repo.integrity(fullCheck);
  const head = vault.audit.head();
  const meta: Record<string, string> = {};
  for (const key of repo.metaKeys()) {
    const value = vault.meta.get(key) ?? '';
    meta[key] = SAFE_META.has(key) && !looksLikeNumber(value) ? value : key === 'backup_last' ? 'see backupLast' : '[removed]';
  }
  const users = vault.users.all();
  const count = (f: (u: (typeof users)[number]) => boolean) => users.filter(f).length;
  return {
    sqlite: repo.sqliteVersion(),
    credential: vault.credential.development ? 'development key (DATA/credentials/db-key)' : 'systemd credential',
    integrity: { check: fullCheck ? 'integrity_check' : 'quick_check', result: integrity.length === 1 && integrity[0] === 'ok' ? 'ok' : integrity, seconds: Math.round(performance.now() - started) / 1000 },
    auditHead: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null,
    tables: repo.tableCounts(),
    settings: meta,
    backupLast: lastBackup(vault.meta.get('backup_last')),
    accounts: {
      total: users.length,
      byRole: Object.fromEntries(['admin', 'handler', 'auditor'].map((r) => [r, count((u) => u.role === r)])),
      disabled: count((u) => u.disabledAt !== null),
      locked: count((u) => u.lockedAt !== null),
      withPin: count((u) => vault.slots.pinSlotOf(u.id) !== undefined),
    },
  };
}
