import { AUDIT_ACTION_LABEL } from '../domain/audit-labels.js';
import { findEntryPurpose } from '../domain/entry-purposes.js';
import { IDENTITY_METHOD_LABEL } from '../domain/identity-documents.js';
import { findPurpose } from '../domain/purposes.js';
import type { ReportEventRow } from '../storage/report-repo.js';
import { M } from '../web/messages.js';

export type Detail = Record<string, string | number | boolean | null | undefined>;

export const detailOf = (r: Pick<ReportEventRow, 'detail'>): Detail => JSON.parse(r.detail) as Detail;
export const subjectsOf = (r: Pick<ReportEventRow, 'subjects'>): { id: number; name: string }[] => JSON.parse(r.subjects) as { id: number; name: string }[];

export function actionLabel(action: string): string {
  return (AUDIT_ACTION_LABEL as Record<string, { label: string } | undefined>)[action]?.label ?? M.actions[action] ?? action;
}

/** A legal purpose or an entry purpose by its name; a comma-separated list of codes as names. */
export function purposeLabel(code: string | null | undefined): string {
  if (!code) return '';
  return code
    .split(',')
    .filter(Boolean)
    .map((c) => findPurpose(c)?.name ?? findEntryPurpose(c)?.label ?? c)
    .join('、');
}

/** Names of the persons an event names: the first few, then how many more. */
export function personsCell(subjects: readonly { name: string }[], shown = 5): string {
  if (subjects.length === 0) return '—';
  const names = subjects.slice(0, shown).map((s) => s.name).join('、');
  return subjects.length > shown ? `${names} ほか ${subjects.length - shown} 名（計 ${subjects.length} 名）` : names;
}

export function identityMethodLabel(method: unknown): string {
  return (IDENTITY_METHOD_LABEL as Record<string, string>)[String(method)] ?? String(method ?? '');
}

export const num = (n: number) => n.toLocaleString('ja-JP');
