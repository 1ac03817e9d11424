import type { Config } from '../config.js';
import { formatDate, formatTime } from '../web/view-models.js';
import { backupFolder, createBackup, listBackups, parseKeep, type ListedBackup } from '../services/backup.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

const ACTOR = { id: 'cli', name: 'mnvault backup' };

/**
 * `mnvault backup --data DIR [--to FOLDER] [--keep N]`: an online copy while
 * the service runs; `--list` shows the folder's backups, flagged when they
 * predate a disposal. Exit 0 done, 2 bad usage or an unusable folder, 3 internal.
 */
export async function backupCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, to: { type: 'string' }, keep: { type: 'string' }, list: { type: 'boolean' } }, true);
  if (positionals.length > 0) throw usageError(`不明な指定「${positionals[0]}」があります。`);
  if (values.list && values.keep !== undefined) throw usageError('--list と --keep は同時に指定できません。');
  const keep = values.keep === undefined ? undefined : parseKeep(values.keep);
  const dataDir = dataDirFrom(values.data, config);
  const vault = openForCommand(dataDir, config, err);
  try {
    const folder = backupFolder(vault, values.to);
    if (values.list) {
      const list = listBackups(vault, folder);
      out.write(list.length ? list.map(describe).join('') : `${folder} にバックアップはありません。\n`);
      const flagged = list.filter((b) => b.flagged && !b.otherVault).length;
      if (flagged > 0) out.write(`注意: ${flagged} 件のバックアップは廃棄より前に作られ、廃棄した個人番号を暗号化されたまま含んでいます。期限（廃棄の記録の日付）を過ぎたら削除してください。\n`);
      return 0;
    }
    const r = await createBackup(vault, { folder, keep, actor: ACTOR, client: null, trigger: 'cli', offThread: false });
    out.write(
      `バックアップを作成しました: ${r.path}\n` +
        `  大きさ ${mb(r.manifest.size)}、${r.seconds} 秒、監査記録の先頭 seq ${r.manifest.auditSeq}\n` +
        `  SHA-256 ${r.manifest.sha256}\n` +
        (r.removed.length ? `  古いバックアップを ${r.removed.length} 件削除しました（残す数 ${keep ?? '設定値'}）。\n` : ''),
    );
    return 0;
  } finally {
    vault.close();
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function describe(b: ListedBackup): string {
  const m = b.manifest;
  const flags = [
    b.otherVault ? '別の金庫のバックアップ' : '',
    b.problem ? `問題: ${b.problem}` : '',
    b.flagged && b.disposal
      ? `廃棄前のバックアップ: 廃棄 #${b.disposal.id} で削除した番号を含みます${b.disposal.backupsAgedOutOn ? `（${formatDate(b.disposal.backupsAgedOutOn)}までに期限切れ）` : ''}`
      : '',
  ].filter(Boolean);
  return `${b.name}  ${formatTime(m.createdAt)}  seq ${m.auditSeq}  ${mb(m.size)}  v${m.appVersion}/schema ${m.schemaVersion}${flags.length ? `\n  ${flags.join('\n  ')}` : ''}\n`;
}
