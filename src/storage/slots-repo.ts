import type { SlotParams, SlotRecord } from '../vault/slots.js';
import type { Db } from './database.js';

interface Raw {
  id: string;
  kind: string;
  user_id: string | null;
  params: string;
  wrapped: Buffer;
}

export interface StoredSlot extends SlotRecord {
  userId: string | null;
}

/** key_slots: wrapped copies of the vault private key. */
export class SlotsRepo {
  constructor(
    private readonly db: Db,
    private readonly vaultId: string,
  ) {}

  insert(slot: SlotRecord, userId: string | null, at: Date): void {
    this.db
      .prepare('INSERT INTO key_slots (id, kind, user_id, params, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(slot.id, slot.params.kind, userId, JSON.stringify(slot.params), slot.wrapped, at.toISOString());
  }

  private toSlot(r: Raw): StoredSlot {
    return { id: r.id, vaultId: this.vaultId, userId: r.user_id, params: JSON.parse(r.params) as SlotParams, wrapped: r.wrapped };
  }

  pinSlotOf(userId: string): StoredSlot | undefined {
    const r = this.db
      .prepare("SELECT id, kind, user_id, params, wrapped FROM key_slots WHERE user_id = ? AND kind = 'pin' AND revoked_at IS NULL")
      .get(userId) as Raw | undefined;
    return r && this.toSlot(r);
  }

  byId(id: string): StoredSlot | undefined {
    const r = this.db.prepare('SELECT id, kind, user_id, params, wrapped FROM key_slots WHERE id = ? AND revoked_at IS NULL').get(id) as Raw | undefined;
    return r && this.toSlot(r);
  }

  /** Every PIN slot in use, oldest first (a restore tries the PIN against each). */
  activePinSlots(): StoredSlot[] {
    return (this.db.prepare("SELECT id, kind, user_id, params, wrapped FROM key_slots WHERE kind = 'pin' AND revoked_at IS NULL ORDER BY created_at").all() as Raw[]).map((r) => this.toSlot(r));
  }

  recoverySlot(): StoredSlot | undefined {
    const r = this.db
      .prepare("SELECT id, kind, user_id, params, wrapped FROM key_slots WHERE kind = 'recovery' AND revoked_at IS NULL")
      .get() as Raw | undefined;
    return r && this.toSlot(r);
  }

  /** Revoking a slot also erases its wrapped key, so the old PIN or code opens nothing even with a copy of the database. */
  revokePinOf(userId: string, at: Date): void {
    this.db.prepare("UPDATE key_slots SET revoked_at = ?, wrapped = x'' WHERE user_id = ? AND kind = 'pin' AND revoked_at IS NULL").run(at.toISOString(), userId);
  }

  /** Every slot that still opens something, oldest first. */
  active(): StoredSlot[] {
    const rows = this.db
      .prepare('SELECT id, kind, user_id, params, wrapped FROM key_slots WHERE revoked_at IS NULL ORDER BY created_at, id')
      .all() as Raw[];
    return rows.map((r) => this.toSlot(r));
  }

  revoke(id: string, at: Date): void {
    this.db.prepare("UPDATE key_slots SET revoked_at = ?, wrapped = x'' WHERE id = ? AND revoked_at IS NULL").run(at.toISOString(), id);
  }

  revokeRecovery(at: Date): void {
    this.db.prepare("UPDATE key_slots SET revoked_at = ?, wrapped = x'' WHERE kind = 'recovery' AND revoked_at IS NULL").run(at.toISOString());
  }
}
