import { AppError } from '../domain/errors.js';
import type { RequestMemory } from './request-memory.js';

/**
 * Gate requests: a handler asks in the browser, and a person at
 * the appliance approves with the handler's PIN or security key.
 *
 *   requested ──approve──▶ approved ──view window ends──▶ consumed
 *       │ └─cancel──▶ cancelled
 *       └─approval window ends──▶ expired
 */
/** filing: numbers merged into a payroll package's filing file (services/filings.ts). */
export type GateKind = 'reveal' | 'export' | 'entry' | 'filing';
export type GateState = 'requested' | 'approved' | 'consumed' | 'expired' | 'cancelled';

export interface GateRequest {
  id: number;
  code: string;
  kind: GateKind;
  handlerId: string;
  personIds: number[];
  purpose: string;
  note: string | null;
  state: GateState;
  createdAt: string;
  approveBy: string;
  approvedAt: string | null;
  viewUntil: string | null;
  device: string | null;
  /** For exports: the CSV encoding the handler chose. */
  exportEncoding: ExportEncoding | null;
}

export type ExportEncoding = 'utf8_bom' | 'shift_jis';

export interface GateWindows {
  /** How long a request waits for approval at the appliance. */
  approvalMs: number;
  /** How long an approved number stays visible. */
  viewMs: number;
}

export const DEFAULT_WINDOWS: GateWindows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

/** Wrong PINs in a row at the appliance before the handler is locked. */
export const PIN_LOCK_AFTER = 5;

const NEXT: Record<GateState, readonly GateState[]> = {
  requested: ['approved', 'expired', 'cancelled'],
  approved: ['consumed'],
  consumed: [],
  expired: [],
  cancelled: [],
};

export function canMove(from: GateState, to: GateState): boolean {
  return NEXT[from].includes(to);
}

const STATE_WORDS: Record<GateState, string> = {
  requested: '承認待ち',
  approved: '承認済み',
  consumed: '使用済み',
  expired: '期限切れ',
  cancelled: '取り消し済み',
};

/**
 * The one check every state change of a stored request goes through
 * (GateRepo.setState calls it inside the write): a move the diagram above does
 * not draw — consumed→approved, expired→approved, cancelled→approved, a second
 * approval — is refused as 'conflict' and nothing is written.
 */
export function checkMove(from: GateState, to: GateState): void {
  if (!canMove(from, to)) {
    throw new AppError('conflict', `この申請は${STATE_WORDS[from]}のため、${STATE_WORDS[to]}にはできません。申請の画面を開き直して、今の状態を確かめてください。`);
  }
}

/**
 * The state as time has made it: an unapproved request past its window is
 * expired, a view past its window consumed. A stored time in the future (the
 * clock was stepped back since) ends the window too, and so does the
 * monotonic deadline of a request opened by this process (RequestMemory).
 */
export function stateAt(
  r: Pick<GateRequest, 'state' | 'approveBy' | 'viewUntil'> & Partial<Pick<GateRequest, 'id' | 'createdAt' | 'approvedAt'>>,
  now: Date,
  deadlines: Pick<RequestMemory, 'approvalLapsed'>,
): GateState {
  const t = now.toISOString();
  if (r.state === 'requested') {
    const lapsed = r.id !== undefined && deadlines.approvalLapsed(r.id);
    if (r.approveBy <= t || (r.createdAt !== undefined && r.createdAt > t) || lapsed) return 'expired';
  }
  if (r.state === 'approved' && ((r.viewUntil !== null && r.viewUntil <= t) || (r.approvedAt != null && r.approvedAt > t))) return 'consumed';
  return r.state;
}

/** Request codes are 6 digits, typed on the PIN pad; only open requests must be unique. */
export function isRequestCode(s: string): boolean {
  return /^[0-9]{6}$/u.test(s);
}
