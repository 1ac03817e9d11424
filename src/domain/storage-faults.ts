import { AppError, type ErrorCode } from './errors.js';

/**
 * Storage faults, each named for what it is and what to do. A fault met while
 * writing never leaves anything half-stored: the transaction rolled back.
 */
export type StorageFault = 'full' | 'damaged' | 'readonly' | 'busy' | 'missing';

export const STORAGE_FAULT_CODE: Record<StorageFault, ErrorCode> = {
  full: 'storage_full',
  damaged: 'storage_damaged',
  readonly: 'storage_readonly',
  busy: 'storage_busy',
  missing: 'storage_readonly',
};

export const STORAGE_FAULT_MESSAGE: Record<StorageFault, string> = {
  full: 'ディスクがいっぱいのため保存できませんでした。何も変更していません。データフォルダのあるディスクの空きを作ってください（不要なファイル・古いログの削除。バックアップはデータフォルダの外のディスクへ）。空きができれば再起動せずに続けられます。',
  damaged:
    'データベースのファイルが壊れています。何も変更していません。サービスを止め、最新のバックアップから mnvault restore で復元してください（復元の訓練の手順で1件開けることを確かめます）。壊れたファイルは調査のため消さずに別の場所へ保管してください。',
  readonly:
    'データフォルダに書き込めません（読み取り専用のディスク・マウント、所有者や権限の誤り）。何も変更していません。ディスクとマウントの状態、データフォルダの所有者（サービスの利用者 mnvault）を確認してください。',
  busy: 'ほかの処理（大きな取り込みやバックアップ）がデータベースを使用中です。何も変更していません。しばらく待って再実行してください。',
  missing:
    'データフォルダ（vault.db）が稼働中に消えました。これ以降の変更は保存されないため受け付けません。サービスを止め、データフォルダを元に戻すか、バックアップから復元してください。',
};

/** The one AppError for a storage fault; `detail` (a path, a check's first line) goes after the message. */
export function storageFault(kind: StorageFault, options?: { cause?: unknown; detail?: string }): AppError {
  const msg = STORAGE_FAULT_MESSAGE[kind] + (options?.detail ? `（${options.detail}）` : '');
  return new AppError(STORAGE_FAULT_CODE[kind], msg, { cause: options?.cause });
}
