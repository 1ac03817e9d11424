/**
 * Why someone enters the 管理区域 without touching a number (入室申請): work on
 * paper documents, maintenance, disposal work, inspection. The entry log
 * (入退室記録) records each entry with one of these. Codes carry an `entry_`
 * prefix so they never read as a legal purpose (purposes.ts) in the trail.
 */
export interface EntryPurpose {
  code: EntryPurposeCode;
  label: string;
  /** The note must say what the visit is for. */
  noteRequired: boolean;
}

export const ENTRY_PURPOSES = [
  { code: 'entry_paper_documents', label: '紙の書類の取扱い（保管・取り出し・確認）', noteRequired: false },
  { code: 'entry_maintenance', label: '機器の保守・点検作業', noteRequired: false },
  { code: 'entry_disposal', label: '廃棄作業（書類の溶解・媒体の破壊など）', noteRequired: false },
  { code: 'entry_inspection', label: '監査・安全管理措置の点検', noteRequired: false },
  { code: 'entry_other', label: 'その他（内容をメモに記入）', noteRequired: true },
] as const satisfies readonly { code: string; label: string; noteRequired: boolean }[];

export type EntryPurposeCode = (typeof ENTRY_PURPOSES)[number]['code'];

const BY_CODE = new Map<string, EntryPurpose>(ENTRY_PURPOSES.map((p) => [p.code, p]));

export function findEntryPurpose(code: string): EntryPurpose | undefined {
  return BY_CODE.get(code);
}
