/**
 * One report model behind both outputs (the HTML print view and the PDF made
 * from it): builders turn data into this shape, one set of templates
 * (views/reports/) renders it. A model never holds a My Number.
 */
export type ReportKind = 'activity' | 'entries' | 'disposal' | 'register' | 'notice' | 'incident' | 'filings';

export const REPORT_TITLES: Record<ReportKind, string> = {
  activity: '特定個人情報等取扱状況記録',
  entries: '入退室記録（管理区域）',
  disposal: '削除・廃棄記録（廃棄証明書）',
  register: '特定個人情報ファイル管理台帳',
  notice: '利用目的通知書',
  incident: '漏えい等報告（速報）のための事実の整理（案）',
  filings: '提出記録（申告書ファイルの提供・提出）',
};

/** Reports printed for a calendar month (the others are of the current state or of one person). */
export const MONTHLY_KINDS = ['activity', 'entries', 'disposal'] as const;
export type MonthlyKind = (typeof MONTHLY_KINDS)[number];
export const isMonthlyKind = (k: string): k is MonthlyKind => (MONTHLY_KINDS as readonly string[]).includes(k);

export interface ReportTable {
  caption?: string;
  columns: string[];
  rows: string[][];
  /** Shown instead of an empty table (「該当なし」). */
  empty: string;
  /** A class for column widths in print.css. */
  variant?: string;
}

export interface ReportSection {
  heading: string;
  paragraphs: string[];
  /** Label and value pairs (counts, facts). */
  facts: [string, string][];
  tables: ReportTable[];
}

export interface ReportHead {
  seq: number;
  /** Lower-case hex of the event's HMAC, as `mnvault audit verify` prints it. */
  hash: string;
}

export interface ReportModel {
  kind: ReportKind;
  title: string;
  company: string;
  /** e.g. 2026年4月（2026/04/01〜2026/04/30）; null for state-of-now reports. */
  period: string | null;
  madeAt: string;
  madeBy: string;
  /** Repeated at the top of every printed page. */
  pageHeader: string;
  /** Opening text, e.g. the addressee of a notice. */
  addressee: string | null;
  sections: ReportSection[];
  /** The chain head the report was printed at: the report.printed event itself. */
  head: ReportHead;
  /** Signature and seal boxes (事務取扱責任者, 監査担当). */
  signatures: string[];
}

/** What every builder gets besides its data. */
export interface ReportContext {
  company: string;
  madeAt: string;
  madeBy: string;
  head: ReportHead;
}

export const SIGNATURES = ['事務取扱責任者', '監査担当'];

export function section(heading: string, parts: Partial<Omit<ReportSection, 'heading'>> = {}): ReportSection {
  return { heading, paragraphs: parts.paragraphs ?? [], facts: parts.facts ?? [], tables: parts.tables ?? [] };
}

export function model(kind: ReportKind, ctx: ReportContext, period: string | null, sections: ReportSection[], over: Partial<ReportModel> = {}): ReportModel {
  const title = REPORT_TITLES[kind];
  return {
    kind,
    title,
    company: ctx.company,
    period,
    madeAt: ctx.madeAt,
    madeBy: ctx.madeBy,
    pageHeader: [title, ctx.company, period ?? ''].filter(Boolean).join('　'),
    addressee: null,
    sections,
    head: ctx.head,
    signatures: SIGNATURES,
    ...over,
  };
}

export const NONE = '該当なし';

/** Counts of values, largest first, as table rows: [label, "n 件"]. */
export function tally(values: Iterable<string>, unit = '件'): string[][] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'ja')).map(([k, n]) => [k, `${n.toLocaleString('ja-JP')} ${unit}`]);
}
