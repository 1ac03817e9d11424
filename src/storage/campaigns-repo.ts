import type { CampaignFilter, CampaignPurposes } from '../domain/campaign.js';
import type { PersonId, PersonKind } from '../domain/persons.js';
import { japanDayStart } from '../domain/dates.js';
import { VISIBLE } from './register-query.js';
import type { Db } from './database.js';

export interface CampaignRow {
  id: number;
  name: string;
  filter: CampaignFilter;
  filterArg: string | null;
  purposes: CampaignPurposes;
  validDays: number;
  createdBy: string;
  createdAt: string;
}

export interface MemberRow {
  personId: PersonId;
  name: string;
  code: string | null;
  kind: PersonKind;
  state: 'pending' | 'issued' | 'submitted' | 'verified';
  issuedAt: string | null;
  expiresAt: string | null;
}

export interface IssueRow {
  id: PersonId;
  name: string;
  code: string | null;
  kind: PersonKind;
  status: string;
  corporateNumber: string | null;
  numberHeld: boolean;
}

/** Counts per stored state, and the issued members whose code has expired. */
export interface CampaignCounts {
  pending: number;
  issued: number;
  expired: number;
  submitted: number;
  verified: number;
  total: number;
}

type RawCampaign = { id: number; name: string; filter: string; filter_arg: string | null; purposes: string; valid_days: number; created_by: string; created_at: string };
const toCampaign = (r: RawCampaign): CampaignRow => ({
  id: r.id, name: r.name, filter: r.filter as CampaignFilter, filterArg: r.filter_arg, purposes: JSON.parse(r.purposes) as CampaignPurposes, validDays: r.valid_days, createdBy: r.created_by, createdAt: r.created_at,
});

/**
 * campaigns and campaign_members (migration 140). Every read here is a seek on
 * an index of the migration: the candidates of each filter, the counts per
 * state, the keyset-paged list of who has not submitted. Never a code.
 */
export class CampaignsRepo {
  constructor(private readonly db: Db) {}

  /** Code holders a filter picks, in id order; each is an index range (see the migration and the plan test). */
  candidates(filter: CampaignFilter, arg: string | null, kinds: readonly PersonKind[] = ['employee', 'payee']): PersonId[] {
    const ids = (sql: string, ...args: unknown[]) => this.db.prepare(sql).pluck().all(...args) as PersonId[];
    switch (filter) {
      case 'missing':
        // kinds is a closed set of literals (PersonKind), never user text.
        return ids(`SELECT id FROM persons WHERE ${VISIBLE('persons')} AND number_state IS NULL AND kind IN (${kinds.filter((k) => k === 'employee' || k === 'payee').map((k) => `'${k}'`).join(', ') || "''"}) AND status = 'active'`);
      case 'unchecked':
        return ids(`SELECT id FROM persons WHERE ${VISIBLE('persons')} AND number_state = 'held' AND identity_checked = 0 AND kind IN ('employee', 'payee') AND status = 'active'`);
      case 'dependants': {
        // Current dependants without a number, by their partial index; their employees, once each.
        const supporters = ids(`SELECT supporter_id FROM persons WHERE ${VISIBLE('persons')} AND number_state IS NULL AND kind = 'dependant' AND dependant_until IS NULL`);
        const active = this.db.prepare("SELECT 1 FROM persons WHERE id = ? AND kind = 'employee' AND status = 'active'").pluck();
        return [...new Set(supporters)].filter((id) => active.get(id) !== undefined).sort((a, b) => a - b);
      }
      case 'joined_since':
        return ids(`SELECT id FROM persons WHERE ${VISIBLE('persons')} AND kind = 'employee' AND created_at >= ? AND status = 'active'`, japanDayStart(arg ?? ''));
      case 'payees_of_year':
        // Registered by the end of the year, and not ended before it began.
        return ids(`SELECT id FROM persons WHERE ${VISIBLE('persons')} AND kind = 'payee' AND created_at < ? AND (status = 'active' OR retired_on >= ?)`, japanDayStart(`${Number(arg) + 1}-01-01`), `${arg}-01-01`);
    }
  }

  insert(c: Omit<CampaignRow, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO campaigns (name, filter, filter_arg, purposes, valid_days, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(c.name, c.filter, c.filterArg, JSON.stringify(c.purposes), c.validDays, c.createdBy, c.createdAt).lastInsertRowid,
    );
  }

  addMembers(campaignId: number, personIds: readonly PersonId[], state: 'pending' | 'submitted'): void {
    const st = this.db.prepare('INSERT INTO campaign_members (campaign_id, person_id, state) VALUES (?, ?, ?)');
    for (const id of personIds) st.run(campaignId, id, state);
  }

  byId(id: number): CampaignRow | undefined {
    const r = this.db.prepare('SELECT * FROM campaigns WHERE id = ?').get(id) as RawCampaign | undefined;
    return r && toCampaign(r);
  }

  /** The newest campaigns first (the primary key walked backwards). */
  recent(limit: number): CampaignRow[] {
    return (this.db.prepare('SELECT * FROM campaigns ORDER BY id DESC LIMIT ?').all(limit) as RawCampaign[]).map(toCampaign);
  }

  /** Counts per state: one range of campaign_members_state each, no scan of other campaigns. */
  counts(campaignId: number, now: string): CampaignCounts {
    const count = this.db.prepare('SELECT count(*) FROM campaign_members WHERE campaign_id = ? AND state = ?').pluck();
    const c = (s: string) => count.get(campaignId, s) as number;
    const expired = this.db.prepare("SELECT count(*) FROM campaign_members WHERE campaign_id = ? AND state = 'issued' AND expires_at <= ?").pluck().get(campaignId, now) as number;
    const issued = c('issued');
    const r = { pending: c('pending'), issued: issued - expired, expired, submitted: c('submitted'), verified: c('verified') };
    return { ...r, total: r.pending + issued + r.submitted + r.verified };
  }

  /** Members in a stored state (ids only), in person order, for a bulk action. */
  memberIds(campaignId: number, state: 'pending' | 'issued'): PersonId[] {
    return this.db.prepare('SELECT person_id FROM campaign_members WHERE campaign_id = ? AND state = ? ORDER BY expires_at, person_id').pluck().all(campaignId, state) as PersonId[];
  }

  /** Who has not submitted (未発行・発行済・期限切れ), a keyset page after a person id. */
  openPage(campaignId: number, after: PersonId, limit: number): MemberRow[] {
    return this.rows(
      `SELECT m.person_id, m.state, m.issued_at, m.expires_at, p.name, p.code, p.kind FROM campaign_members m JOIN persons p ON p.id = m.person_id
        WHERE m.campaign_id = ? AND m.state IN ('pending', 'issued') AND m.person_id > ? ORDER BY m.person_id LIMIT ?`,
      campaignId, after, limit,
    );
  }

  /** Members still to be checked in person (提出済, 本人確認はまだ), a keyset page. */
  submittedPage(campaignId: number, after: PersonId, limit: number): MemberRow[] {
    return this.rows(
      `SELECT m.person_id, m.state, m.issued_at, m.expires_at, p.name, p.code, p.kind FROM campaign_members m JOIN persons p ON p.id = m.person_id
        WHERE m.campaign_id = ? AND m.state = 'submitted' AND m.person_id > ? ORDER BY m.person_id LIMIT ?`,
      campaignId, after, limit,
    );
  }

  /**
   * The members in a stored state with what issuing needs, in one query along
   * campaign_members_state (the reminder reaches the longest-expired first).
   */
  issueRows(campaignId: number, state: 'pending' | 'issued'): IssueRow[] {
    const raw = this.db
      .prepare(
        `SELECT p.id, p.name, p.code, p.kind, p.status, p.corporate_number, p.number_state FROM campaign_members m JOIN persons p ON p.id = m.person_id
          WHERE m.campaign_id = ? AND m.state = ? ORDER BY m.expires_at, m.person_id`,
      )
      .all(campaignId, state) as { id: number; name: string; code: string | null; kind: PersonKind; status: string; corporate_number: string | null; number_state: string | null }[];
    return raw.map((r) => ({ id: r.id, name: r.name, code: r.code, kind: r.kind, status: r.status, corporateNumber: r.corporate_number, numberHeld: r.number_state === 'held' }));
  }

  /** A prepared lookup of a person's current dependants without a held number (codeTargets' dependants), for a batch. */
  dependantsToAsk(): (supporterId: PersonId) => { id: PersonId; name: string }[] {
    const st = this.db.prepare(`SELECT id, name FROM persons WHERE ${VISIBLE('persons')} AND supporter_id = ? AND kind = 'dependant' AND dependant_until IS NULL AND number_state IS NOT 'held' ORDER BY id`);
    return (id) => st.all(id) as { id: PersonId; name: string }[];
  }

  /** A prepared member update for a batch: the member now points at its new code. */
  issuer(campaignId: number): (personId: PersonId, codeHash: Buffer, issuedAt: string, expiresAt: string) => void {
    const st = this.db.prepare("UPDATE campaign_members SET state = 'issued', code_hash = ?, issued_at = ?, expires_at = ? WHERE campaign_id = ? AND person_id = ? AND state IN ('pending', 'issued')");
    return (personId, codeHash, issuedAt, expiresAt) => void st.run(codeHash, issuedAt, expiresAt, campaignId, personId);
  }

  /** True when the person is a member of the campaign, whatever its state (a seek on the primary key). */
  isMember(campaignId: number, personId: PersonId): boolean {
    return this.db.prepare('SELECT 1 FROM campaign_members WHERE campaign_id = ? AND person_id = ?').pluck().get(campaignId, personId) !== undefined;
  }

  /**
   * The person's members still waiting (未発行・発行済・期限切れ), in every
   * campaign, become 提出済: their number came in by a route other than the
   * member's code (「カードで取得」). Along campaign_members_person; the
   * campaign_counts triggers follow.
   */
  markSubmitted(personId: PersonId, at: string): void {
    this.db.prepare("UPDATE campaign_members SET state = 'submitted', submitted_at = ? WHERE person_id = ? AND state IN ('pending', 'issued')").run(at, personId);
  }

  /**
   * As markSubmitted, only in the campaigns that ask no dependant's number
   * (their purposes name none for dependants): a member's own card read while
   * a dependant's number is still owed closes only those.
   */
  markSubmittedWhereNoDependantsAsked(personId: PersonId, at: string): void {
    const waiting = this.db
      .prepare("SELECT c.id AS id, c.purposes AS purposes FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id WHERE m.person_id = ? AND m.state IN ('pending', 'issued')")
      .all(personId) as { id: number; purposes: string }[];
    const update = this.db.prepare("UPDATE campaign_members SET state = 'submitted', submitted_at = ? WHERE campaign_id = ? AND person_id = ? AND state IN ('pending', 'issued')");
    for (const c of waiting) if (((JSON.parse(c.purposes) as CampaignPurposes).dependant ?? []).length === 0) update.run(at, c.id, personId);
  }

  private rows(sql: string, ...args: unknown[]): MemberRow[] {
    const raw = this.db.prepare(sql).all(...args) as { person_id: number; state: MemberRow['state']; issued_at: string | null; expires_at: string | null; name: string; code: string | null; kind: PersonKind }[];
    return raw.map((r) => ({ personId: r.person_id, name: r.name, code: r.code, kind: r.kind, state: r.state, issuedAt: r.issued_at, expiresAt: r.expires_at }));
  }
}
