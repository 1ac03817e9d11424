import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { writeTransaction } from '../storage/database.js';
import { LedgerRepo, type LedgerFile } from '../storage/ledger-repo.js';
import { FormError, type FieldErrors } from './accounts.js';
import { cleanText } from './retention.js';
import type { Vault } from './vault.js';

/** The part of the vault `addLedgerFile` and `removeLedgerFile` use. */
export type LedgerStore = Pick<Vault, 'db' | 'audit' | 'clock'>;

/**
 * The 特定個人情報ファイル管理台帳's own settings and manual rows. The guideline's
 * ledger names, per file, its 責任者 and 取扱部署 (取扱状況を確認する手段, domain
 * guideline 事業者編 安全管理措置 C-c); files the appliance cannot see (paper
 * 申告書, the payroll software, a 委託先) are added by an admin so the ledger is
 * complete. Every change is audited; no field may hold a number.
 */
export const LEDGER_META = { manager: 'ledger_manager', department: 'ledger_department' } as const;

export interface LedgerSettings {
  /** 責任者 of the vault file (事務取扱責任者 by name). */
  manager: string | null;
  /** 取扱部署. */
  department: string | null;
}

export function ledgerSettings(vault: Pick<Vault, 'meta'>): LedgerSettings {
  return { manager: vault.meta.get(LEDGER_META.manager) ?? null, department: vault.meta.get(LEDGER_META.department) ?? null };
}

/** Sets 責任者 and 取扱部署 (empty clears); each changed one is audited as settings.updated. */
export function setLedgerSettings(
  vault: Pick<Vault, 'db' | 'meta' | 'audit'>,
  actor: Actor,
  form: { manager?: string | undefined; department?: string | undefined },
  client: string | null,
): LedgerSettings {
  const errors: FieldErrors = {};
  const take = (field: 'manager' | 'department', label: string): string | null => {
    try {
      return cleanText(form[field], field, label, 100, false);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      Object.assign(errors, err.fields);
      return null;
    }
  };
  const next: LedgerSettings = { manager: take('manager', '責任者'), department: take('department', '取扱部署') };
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const before = ledgerSettings(vault);
  writeTransaction(vault.db, () => {
    for (const k of ['manager', 'department'] as const) {
      if (before[k] === next[k]) continue;
      if (next[k] === null) vault.meta.delete(LEDGER_META[k]);
      else vault.meta.set(LEDGER_META[k], next[k]!);
      vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: LEDGER_META[k], before: before[k], after: next[k] } });
    }
  });
  return next;
}

export interface LedgerFileForm {
  name?: string | undefined;
  content?: string | undefined;
  location?: string | undefined;
  manager?: string | undefined;
  note?: string | undefined;
}

/** Adds a manual ledger row. Audited as ledger.file_added with its name. */
export function addLedgerFile(vault: LedgerStore, actor: Actor, form: LedgerFileForm, client: string | null): number {
  const errors: FieldErrors = {};
  const take = (field: keyof LedgerFileForm, label: string, max: number, required: boolean): string | null => {
    try {
      return cleanText(form[field], field, label, max, required);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      Object.assign(errors, err.fields);
      return null;
    }
  };
  const row = {
    name: take('name', 'ファイル・記録の名称', 100, true)!,
    content: take('content', '内容', 200, true)!,
    location: take('location', '保管場所・方法', 200, true)!,
    manager: take('manager', '責任者・取扱部署', 100, false),
    note: take('note', '備考', 200, false),
  };
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const repo = new LedgerRepo(vault.db);
  return writeTransaction(vault.db, () => {
    const id = repo.insert(row, actor.id, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'ledger.file_added', client, detail: { ledger_file_id: id, name: row.name, location: row.location } });
    return id;
  });
}

/** Removes a manual ledger row (kept, marked removed). Audited as ledger.file_removed. */
export function removeLedgerFile(vault: LedgerStore, actor: Actor, id: number, client: string | null): void {
  const repo = new LedgerRepo(vault.db);
  writeTransaction(vault.db, () => {
    const f = repo.byId(id);
    if (!f) throw new AppError('not_found', '指定された台帳の行はありません。');
    repo.remove(id, actor.id, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'ledger.file_removed', client, detail: { ledger_file_id: id, name: f.name } });
  });
}

export function ledgerFiles(vault: Pick<Vault, 'db'>): LedgerFile[] {
  return new LedgerRepo(vault.db).active();
}
