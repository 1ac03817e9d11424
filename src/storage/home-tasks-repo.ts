import type { Db } from './database.js';

/**
 * The reads behind the home pages' task lists. Each answers from an index
 * (see test/integration/home-tasks.test.ts for the plans) or from a table
 * that stays small (users).
 */
export class HomeTasksRepo {
  constructor(private readonly db: Db) {}

  /** Requests waiting for approval at the appliance (partial index gate_requests_open_code). */
  openRequests(nowIso: string): number {
    return this.db.prepare("SELECT count(*) FROM gate_requests WHERE state = 'requested' AND approve_by > ?").pluck().get(nowIso) as number;
  }

  /** Users whose PIN is locked at the appliance (the users table: a handful of rows). */
  pinLocked(): { id: string; displayName: string }[] {
    return (this.db.prepare('SELECT id, display_name FROM users WHERE pin_locked_at IS NOT NULL AND disabled_at IS NULL ORDER BY login').all() as { id: string; display_name: string }[]).map((r) => ({
      id: r.id,
      displayName: r.display_name,
    }));
  }

  /** Unused self-intake codes expiring in (from, until], soonest first (index intake_codes_unused_expiry). */
  codesNearExpiry(fromIso: string, untilIso: string, limit: number): { personId: number; name: string; expiresAt: string }[] {
    return (
      this.db
        .prepare(
          `SELECT c.person_id, p.name, c.expires_at FROM intake_codes c JOIN persons p ON p.id = c.person_id
           WHERE c.used_at IS NULL AND c.expires_at > ? AND c.expires_at <= ? ORDER BY c.expires_at LIMIT ?`,
        )
        .all(fromIso, untilIso, limit) as { person_id: number; name: string; expires_at: string }[]
    ).map((r) => ({ personId: r.person_id, name: r.name, expiresAt: r.expires_at }));
  }

  /**
   * Filing handovers not yet closed (提出 or the deletion of the local file not
   * recorded), oldest first, and how many: the partial index filing_handovers_open.
   */
  openFilingHandovers(limit: number): { total: number; rows: { id: number; kind: string; year: number | null; mergedAt: string; submitted: boolean; deleted: boolean }[] } {
    const open = 'submitted_on IS NULL OR file_deleted_at IS NULL';
    const total = this.db.prepare(`SELECT count(*) FROM filing_handovers INDEXED BY filing_handovers_open WHERE ${open}`).pluck().get() as number;
    const rows = this.db
      .prepare(
        `SELECT id, kind, year, merged_at, submitted_on IS NOT NULL AS submitted, file_deleted_at IS NOT NULL AS deleted FROM filing_handovers INDEXED BY filing_handovers_open WHERE ${open} ORDER BY merged_at LIMIT ?`,
      )
      .all(limit) as { id: number; kind: string; year: number | null; merged_at: string; submitted: number; deleted: number }[];
    return { total, rows: rows.map((r) => ({ id: r.id, kind: r.kind, year: r.year, mergedAt: r.merged_at, submitted: r.submitted === 1, deleted: r.deleted === 1 })) };
  }

  /**
   * Open campaigns (someone has not submitted), newest first, with their members per
   * state from the maintained counters (campaign_counts, migration 210, along the
   * partial index campaign_counts_open); 期限切れ is the range of campaign_members_state
   * (campaign_id, 'issued', expires_at <= now), split off 発行済.
   */
  openCampaigns(nowIso: string, limit: number): OpenCampaign[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.name, k.pending, k.issued, k.submitted, k.verified FROM campaign_counts k JOIN campaigns c ON c.id = k.campaign_id
          WHERE k.pending + k.issued > 0 ORDER BY k.campaign_id DESC LIMIT ?`,
      )
      .all(limit) as { id: number; name: string; pending: number; issued: number; submitted: number; verified: number }[];
    const expired = this.db.prepare("SELECT count(*) FROM campaign_members WHERE campaign_id = ? AND state = 'issued' AND expires_at <= ?").pluck();
    return rows.map((r) => {
      const x = expired.get(r.id, nowIso) as number;
      return { id: r.id, name: r.name, pending: r.pending, issued: r.issued - x, expired: x, submitted: r.submitted, verified: r.verified };
    });
  }
}

export interface OpenCampaign {
  id: number;
  name: string;
  pending: number;
  issued: number;
  expired: number;
  submitted: number;
  verified: number;
}
