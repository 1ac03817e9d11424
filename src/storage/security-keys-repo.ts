import type { Db } from './database.js';

export interface SecurityKeyRow {
  id: number;
  userId: string;
  slotId: string;
  credentialId: Buffer;
  /** SubjectPublicKeyInfo DER of the credential's P-256 key. */
  publicKey: Buffer;
  aaguid: Buffer;
  signCount: number;
  label: string;
  enrolledAt: string;
  enrolledBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Raw {
  id: number;
  user_id: string;
  slot_id: string;
  credential_id: Buffer;
  public_key: Buffer;
  aaguid: Buffer;
  sign_count: number;
  label: string;
  enrolled_at: string;
  enrolled_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const toRow = (r: Raw): SecurityKeyRow => ({
  id: r.id,
  userId: r.user_id,
  slotId: r.slot_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  aaguid: r.aaguid,
  signCount: r.sign_count,
  label: r.label,
  enrolledAt: r.enrolled_at,
  enrolledBy: r.enrolled_by,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** security_keys: enrolled FIDO2 credentials, their public keys and counters. */
export class SecurityKeysRepo {
  constructor(private readonly db: Db) {}

  insert(k: Omit<SecurityKeyRow, 'id' | 'lastUsedAt' | 'revokedAt'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO security_keys (user_id, slot_id, credential_id, public_key, aaguid, sign_count, label, enrolled_at, enrolled_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(k.userId, k.slotId, k.credentialId, k.publicKey, k.aaguid, k.signCount, k.label, k.enrolledAt, k.enrolledBy).lastInsertRowid,
    );
  }

  /** Every key in use, for the silent probe that finds which one is plugged in. */
  active(): SecurityKeyRow[] {
    return (this.db.prepare('SELECT * FROM security_keys WHERE revoked_at IS NULL ORDER BY id').all() as Raw[]).map(toRow);
  }

  /** Every key ever enrolled, the active ones first (the admin's list). */
  all(): SecurityKeyRow[] {
    return (this.db.prepare('SELECT * FROM security_keys ORDER BY revoked_at IS NOT NULL, id').all() as Raw[]).map(toRow);
  }

  ofUser(userId: string): SecurityKeyRow[] {
    return (this.db.prepare('SELECT * FROM security_keys WHERE user_id = ? ORDER BY id').all(userId) as Raw[]).map(toRow);
  }

  byId(id: number): SecurityKeyRow | undefined {
    const r = this.db.prepare('SELECT * FROM security_keys WHERE id = ?').get(id) as Raw | undefined;
    return r && toRow(r);
  }

  /**
   * Records a verified assertion: the counter moves from the value the check
   * used to the new one, and only if no other approval moved it meanwhile
   * (keys without a counter report 0 every time). False when it had moved.
   */
  used(id: number, signCount: number, checkedAgainst: number, at: string): boolean {
    return this.db.prepare('UPDATE security_keys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?').run(signCount, at, id, checkedAgainst).changes === 1;
  }

  revoke(id: number, at: string): void {
    this.db.prepare('UPDATE security_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    // The wrapped key goes too: a revoked slot must not open the vault key even with its secret.
    this.db.prepare("UPDATE key_slots SET revoked_at = ?, wrapped = x'' WHERE id = (SELECT slot_id FROM security_keys WHERE id = ?) AND revoked_at IS NULL").run(at, id);
  }
}
