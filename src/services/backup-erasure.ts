import type { Actor } from '../domain/audit-events.js';
import type { BackupErasure } from '../storage/retention-repo.js';
import { AppError } from '../domain/errors.js';
import { writeTransaction } from '../storage/database.js';
import { backupsPredating } from './backup.js';
import type { Vault } from './vault.js';

export type { BackupErasure } from '../storage/retention-repo.js';

export function backupErasureOf(vault: Pick<Vault, 'retention'>, disposalId: number): BackupErasure | undefined {
  return vault.retention.backupErasure(disposalId);
}

/**
 * バックアップ消去確認: records that the encrypted copies a disposal left in
 * older backups are gone. Refused while the configured folder still holds a
 * backup made before the disposal (naming them), and for a disposal not
 * executed. The admin's statement covers copies kept elsewhere. Audited as
 * disposal.backups_erased.
 */
export function confirmBackupsErased(
  vault: Pick<Vault, 'db' | 'vaultId' | 'meta' | 'retention' | 'audit' | 'clock'>,
  actor: Actor,
  disposalId: number,
  confirmedOffsite: boolean,
  client: string | null,
): void {
  const d = vault.retention.disposal(disposalId);
  if (!d) throw new AppError('not_found', '指定された廃棄の記録はありません。');
  if (d.state !== 'executed') throw new AppError('conflict', 'まだ実行されていない廃棄です。');
  if (backupErasureOf(vault, disposalId)) throw new AppError('conflict', 'この廃棄のバックアップ消去確認は既に記録されています。');
  const left = backupsPredating(vault, disposalId);
  if (left.length > 0) {
    throw new AppError('conflict', `廃棄より前のバックアップが残っています（${left.map((b) => b.name).join('、')}）。期限切れを待つか削除してから、もう一度確認してください。`);
  }
  if (!confirmedOffsite) throw new AppError('invalid', '装置の外（別の媒体・保管場所）に写したバックアップも消去したことを確認して、確認の欄に印を付けてください。');
  writeTransaction(vault.db, () => {
    vault.retention.recordBackupErasure(disposalId, actor, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'disposal.backups_erased', client, detail: { disposal_id: disposalId, folder: vault.meta.get('backup_dir') ?? '', offsite_confirmed: true } });
  });
}
