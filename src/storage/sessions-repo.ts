import type { Db } from './database.js';

export interface SessionRow {
  idHash: Buffer;
  userId: string;
  csrfToken: string;
  client: string | null;
  createdAt: string;
  lastSeenAt: string;
}

/** Server-side sessions, keyed by the SHA-256 of the cookie's id. */
export class SessionsRepo {
  constructor(private readonly db: Db) {}

  insert(s: SessionRow): void {
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_id, csrf_token, client, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.idHash, s.userId, s.csrfToken, s.client, s.createdAt, s.lastSeenAt);
  }

  get(idHash: Buffer): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as
      | { id_hash: Buffer; user_id: string; csrf_token: string; client: string | null; created_at: string; last_seen_at: string }
      | undefined;
    return r && { idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, client: r.client, createdAt: r.created_at, lastSeenAt: r.last_seen_at };
  }

  touch(idHash: Buffer, at: string): void {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(at, idHash);
  }

  delete(idHash: Buffer): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  deleteForUser(userId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
  }

  /** Ends a user's sessions except the one named (after a password change on that one). */
  deleteOthersForUser(userId: string, keepIdHash: Buffer): void {
    this.db.prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?').run(userId, keepIdHash);
  }

  /** Keeps a user's `keep` most recent sessions and deletes the rest. */
  keepNewest(userId: string, keep: number): void {
    this.db
      .prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash NOT IN (SELECT id_hash FROM sessions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)')
      .run(userId, userId, keep);
  }

  countForUser(userId: string): number {
    return this.db.prepare('SELECT count(*) FROM sessions WHERE user_id = ?').pluck().get(userId) as number;
  }

  deleteOlderThan(lastSeenBefore: string, createdBefore: string): void {
    this.db.prepare('DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?').run(lastSeenBefore, createdBefore);
  }
}
