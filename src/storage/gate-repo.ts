import { AppError } from '../domain/errors.js';
import { checkMove, type GateRequest, type GateState } from '../gate/requests.js';
import type { Db } from './database.js';

export type GateRefusal = 'wrong_pin' | 'locked';

interface Raw {
  id: number;
  code: string;
  kind: GateRequest['kind'];
  handler_id: string;
  person_ids: string;
  purpose: string;
  note: string | null;
  state: GateState;
  created_at: string;
  approve_by: string;
  approved_at: string | null;
  view_until: string | null;
  device: string | null;
  export_encoding: GateRequest['exportEncoding'];
}

const toRequest = (r: Raw): GateRequest => ({
  id: r.id,
  code: r.code,
  kind: r.kind,
  handlerId: r.handler_id,
  personIds: JSON.parse(r.person_ids) as number[],
  purpose: r.purpose,
  note: r.note,
  state: r.state,
  createdAt: r.created_at,
  approveBy: r.approve_by,
  approvedAt: r.approved_at,
  viewUntil: r.view_until,
  device: r.device,
  exportEncoding: r.export_encoding,
});

/** gate_requests. */
export class GateRepo {
  constructor(private readonly db: Db) {}

  insert(r: Omit<GateRequest, 'id' | 'approvedAt' | 'viewUntil' | 'device' | 'state'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO gate_requests (code, kind, handler_id, person_ids, purpose, note, state, created_at, approve_by, export_encoding)
           VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?)`,
        )
        .run(r.code, r.kind, r.handlerId, JSON.stringify(r.personIds), r.purpose, r.note, r.createdAt, r.approveBy, r.exportEncoding).lastInsertRowid,
    );
  }

  byId(id: number): GateRequest | undefined {
    const r = this.db.prepare('SELECT * FROM gate_requests WHERE id = ?').get(id) as Raw | undefined;
    return r && toRequest(r);
  }

  openByCode(code: string): GateRequest | undefined {
    const r = this.db.prepare("SELECT * FROM gate_requests WHERE code = ? AND state = 'requested'").get(code) as Raw | undefined;
    return r && toRequest(r);
  }

  /** The handler's oldest request still waiting within its approval window: what a key touch approves. */
  oldestOpenOf(handlerId: string, nowIso: string): GateRequest | undefined {
    const r = this.db
      .prepare("SELECT * FROM gate_requests WHERE handler_id = ? AND state = 'requested' AND approve_by > ? ORDER BY created_at, id LIMIT 1")
      .get(handlerId, nowIso) as Raw | undefined;
    return r && toRequest(r);
  }

  codeInUse(code: string): boolean {
    return this.db.prepare("SELECT 1 FROM gate_requests WHERE code = ? AND state = 'requested'").get(code) !== undefined;
  }

  /** A refusal at the appliance for this request; wrongPin: a PIN was typed and was wrong (the one that locks counts too). */
  noteRefusal(id: number, refusal: GateRefusal, wrongPin: boolean): void {
    this.db.prepare('UPDATE gate_requests SET wrong_pins = wrong_pins + ?, refusal = ? WHERE id = ?').run(wrongPin ? 1 : 0, refusal, id);
  }

  /** What the appliance said about a request: wrong PINs typed for it and the last refusal. */
  refusals(id: number): { wrongPins: number; refusal: GateRefusal | null } {
    const r = this.db.prepare('SELECT wrong_pins, refusal FROM gate_requests WHERE id = ?').get(id) as { wrong_pins: number; refusal: GateRefusal | null } | undefined;
    return { wrongPins: r?.wrong_pins ?? 0, refusal: r?.refusal ?? null };
  }

  /** A handler's own requests, newest first (index gate_requests_handler_recent). */
  recentOf(handlerId: string, limit: number): GateRequest[] {
    return (this.db.prepare('SELECT * FROM gate_requests WHERE handler_id = ? ORDER BY id DESC LIMIT ?').all(handlerId, limit) as Raw[]).map(toRequest);
  }

  /** Moves a request to `state`; the move must be one the gate allows from the stored state (checkMove). */
  setState(id: number, state: GateState, fields: { approvedAt?: string; viewUntil?: string; device?: string } = {}): void {
    const current = this.db.prepare('SELECT state FROM gate_requests WHERE id = ?').get(id) as { state: GateState } | undefined;
    if (!current) throw new AppError('not_found', '指定された申請はありません。');
    checkMove(current.state, state);
    this.db
      .prepare('UPDATE gate_requests SET state = ?, approved_at = coalesce(?, approved_at), view_until = coalesce(?, view_until), device = coalesce(?, device) WHERE id = ?')
      .run(state, fields.approvedAt ?? null, fields.viewUntil ?? null, fields.device ?? null, id);
  }
}
