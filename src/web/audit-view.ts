import { actionsOfGroup, AUDIT_ACTION_LABEL, AUDIT_GROUP_LABEL, auditActionLabel, isAuditAction, isAuditGroup, type AuditActionGroup } from '../domain/audit-labels.js';
import { looksLikeNumber } from '../domain/digits.js';
import { ENTRY_PURPOSES, findEntryPurpose } from '../domain/entry-purposes.js';
import { AppError } from '../domain/errors.js';
import { findPurpose, PURPOSES } from '../domain/purposes.js';
import type { AuditCursor, AuditFilter, AuditReading, AuditRow } from '../services/audit-reading.js';
import { AUDIT_MESSAGES as A } from './messages-audit.js';
import { formatTime } from './view-models.js';
import { japanDayStart } from '../domain/dates.js';

export const AUDIT_PAGE_SIZE = 50;
const PERSON_MATCHES = 50;

/** The filter form as typed, normalised for links and for re-rendering (never holding a number). */
export interface AuditQuery {
  from: string;
  to: string;
  actor: string;
  person: string;
  action: string;
  purpose: string;
  device: string;
}

const EMPTY: AuditQuery = { from: '', to: '', actor: '', person: '', action: '', purpose: '', device: '' };

/** A bad filter: shown above the form, the form kept (minus anything that looked like a number). */
export class AuditQueryError extends AppError {
  constructor(message: string, readonly query: AuditQuery) {
    super('invalid', message);
  }
}

function str(v: unknown, field: string, q: AuditQuery): string {
  if (v === undefined) return '';
  if (typeof v !== 'string' || v.length > 100 || /[\u0000-\u001f]/u.test(v)) throw new AuditQueryError(A.errors.text.replace('{field}', field), q);
  return v.trim();
}

/** A Japan-time calendar day as the UTC instant it starts. */
function dayStart(v: string, field: string, q: AuditQuery): string {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/u.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v || Number(m[1]) < 2000) throw new AuditQueryError(A.errors.date.replace('{field}', field), q);
  return japanDayStart(v);
}

function cursorParam(v: unknown, q: AuditQuery): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,14}$/u.test(v)) throw new AuditQueryError(A.errors.cursor, q);
  return Number(v);
}

export interface ParsedAuditQuery {
  query: AuditQuery;
  filter: AuditFilter;
  cursor: AuditCursor;
  /** What a person search matched, for the note above the list. */
  personNote: string | null;
  /** A person search that matched nobody: the list is empty. */
  nobody: boolean;
}

/** Parses /audit's query string into a filter; every problem is an AuditQueryError in Japanese. */
export function parseAuditQuery(reading: AuditReading, raw: Record<string, unknown>): ParsedAuditQuery {
  const q: AuditQuery = { ...EMPTY };
  // A number typed anywhere is refused and never echoed back.
  for (const k of Object.keys(EMPTY) as (keyof AuditQuery)[]) {
    const v = raw[k];
    if (typeof v === 'string' && looksLikeNumber(v)) throw new AuditQueryError(A.errors.number, { ...EMPTY });
  }
  q.from = str(raw.from, A.from, q);
  q.to = str(raw.to, A.to, q);
  q.actor = str(raw.actor, A.actor, q);
  q.person = str(raw.person, A.person, q);
  q.action = str(raw.action, A.action, q);
  q.purpose = str(raw.purpose, A.purpose, q);
  q.device = str(raw.device, A.device, q);
  const filter: AuditFilter = {};
  if (q.from) filter.from = dayStart(q.from, A.from, q);
  if (q.to) filter.to = new Date(Date.parse(dayStart(q.to, A.to, q)) + 24 * 3600_000).toISOString();
  if (filter.from && filter.to && filter.from >= filter.to) throw new AuditQueryError(A.errors.range, q);
  if (q.actor) filter.actorId = q.actor;
  if (q.action) {
    if (q.action.startsWith('group:') && isAuditGroup(q.action.slice(6))) filter.actions = actionsOfGroup(q.action.slice(6) as AuditActionGroup);
    else if (isAuditAction(q.action)) filter.actions = [q.action];
    else throw new AuditQueryError(A.errors.action, q);
  }
  if (q.purpose) {
    if (!findPurpose(q.purpose) && !findEntryPurpose(q.purpose)) throw new AuditQueryError(A.errors.purpose, q);
    filter.purpose = q.purpose;
  }
  if (q.device) filter.device = q.device;
  let personNote: string | null = null;
  let nobody = false;
  if (q.person) {
    const id = /^#?([1-9][0-9]{0,8})$/u.exec(q.person);
    if (id) filter.personIds = [Number(id[1])];
    else {
      const found = reading.searchPersons(q.person, PERSON_MATCHES);
      filter.personIds = found.ids;
      nobody = found.ids.length === 0;
      personNote = nobody
        ? A.noPerson.replace('{q}', q.person)
        : A.personsMatched.replace('{q}', q.person).replace('{n}', String(found.ids.length)) + (found.total > PERSON_MATCHES ? A.personsTruncated.replace('{n}', String(PERSON_MATCHES)) : '');
    }
  }
  const before = cursorParam(raw.before, q);
  const after = cursorParam(raw.after, q);
  if (before !== undefined && after !== undefined) throw new AuditQueryError(A.errors.cursor, q);
  return { query: q, filter, cursor: { before, after }, personNote, nobody };
}

export function queryString(q: AuditQuery, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function purposeLabel(code: string | null): string {
  if (!code) return '';
  return findPurpose(code)?.name ?? findEntryPurpose(code)?.label ?? code;
}

export interface AuditLine {
  seq: number;
  at: string;
  actor: string;
  action: string;
  alarm: boolean;
  persons: string;
  purpose: string;
  device: string;
  client: string;
}

function personsText(subjects: string): string {
  const s = JSON.parse(subjects) as { id: number; name: string }[];
  if (s.length === 0) return '';
  if (s.length === 1) return s[0]!.name;
  return A.others.replace('{name}', s[0]!.name).replace('{n}', String(s.length - 1));
}

export function toLine(e: AuditRow): AuditLine {
  return {
    seq: e.seq,
    at: formatTime(e.at),
    actor: e.actorName,
    action: auditActionLabel(e.action),
    alarm: /（警報）$/u.test(auditActionLabel(e.action)) || e.action === 'auth.sign_in_failed' || e.action === 'network.denied',
    persons: personsText(e.subjects),
    purpose: purposeLabel(e.purpose),
    device: e.device ?? '',
    client: e.client ?? '',
  };
}

/** The filter's choices: grouped actions, purposes, actors and devices seen in the trail. */
export function filterChoices(reading: AuditReading) {
  const groups = (Object.keys(AUDIT_GROUP_LABEL) as AuditActionGroup[]).map((g) => ({
    value: `group:${g}`,
    label: AUDIT_GROUP_LABEL[g],
    actions: actionsOfGroup(g).map((a) => ({ value: a, label: AUDIT_ACTION_LABEL[a].label })),
  }));
  const actors = reading
    .actors()
    .map((a) => ({ value: a.id, label: a.name }))
    .sort((a, b) => a.label.localeCompare(b.label, 'ja'));
  return {
    groups,
    purposes: [...PURPOSES.map((p) => ({ value: p.code as string, label: p.name as string })), ...ENTRY_PURPOSES.map((p) => ({ value: p.code as string, label: p.label as string }))],
    actors,
    devices: reading.devices(),
  };
}

type Detail = Record<string, unknown>;

export interface ChainState {
  head: { seq: number; hash: string } | null;
  verified: { seq: number; at: string; by: string; count: number; eventSeq: number } | null;
  broken: { reason: string; at: string; by: string; eventSeq: number } | null;
}

/**
 * The chain's state from the trail itself: the head, the newest intact
 * verification ('audit.verified'), and a newer failed one if there is.
 */
export function chainState(reading: AuditReading): ChainState {
  const head = reading.head();
  let verified: ChainState['verified'] = null;
  let broken: ChainState['broken'] = null;
  let cursor: AuditCursor = {};
  for (let i = 0; i < 5 && !verified; i++) {
    const page = reading.page({ actions: ['audit.verified'] }, cursor, 20);
    for (const e of page.rows) {
      const d = JSON.parse(e.detail) as Detail;
      if (d.result === 'broken') {
        broken ??= { reason: String(d.reason ?? ''), at: formatTime(e.at), by: e.actorName, eventSeq: e.seq };
        continue;
      }
      verified = { seq: Number(d.head_seq ?? 0), at: formatTime(e.at), by: e.actorName, count: Number(d.count ?? 0), eventSeq: e.seq };
      break;
    }
    if (!page.older) break;
    cursor = { before: page.rows.at(-1)!.seq };
  }
  return { head: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null, verified, broken: broken && (!verified || broken.eventSeq > verified.eventSeq) ? broken : null };
}

/** The detail as label/value pairs, values as text. */
export function detailPairs(detail: string): { key: string; value: string }[] {
  const d = JSON.parse(detail) as Detail;
  return Object.entries(d).map(([key, v]) => ({ key, value: v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v) }));
}

export function personLabel(code: string | null): string {
  return purposeLabel(code);
}
