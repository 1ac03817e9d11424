import type { Person, PersonId } from '../domain/persons.js';
import type { CampaignCounts, CampaignRow } from '../storage/campaigns-repo.js';
import { FilingRecordsRepo, type HandoverRow } from '../storage/filing-records-repo.js';
import type { PersonSearch, PersonSearchResult, RegisterCursor } from '../storage/persons-repo.js';
import type { Vault } from './vault.js';

export type { RegisterCursor };

/**
 * The person list, campaign and filing-record pages' read model: the register
 * searched, campaigns with their counts, the newest filing handovers. Reads
 * only; changes go through services/persons.ts, campaigns.ts and
 * filing-records.ts. Made once by the composition.
 */
export class RecordsReading {
  private readonly filings: FilingRecordsRepo;

  constructor(private readonly repos: Pick<Vault, 'db' | 'persons' | 'campaigns'>) {
    this.filings = new FilingRecordsRepo(repos.db);
  }

  searchPersons(s: PersonSearch): PersonSearchResult {
    return this.repos.persons.search(s);
  }

  person(id: PersonId): Person | undefined {
    return this.repos.persons.byId(id);
  }

  /** The newest campaigns (at most `limit`), each with its counts as of `now`. */
  recentCampaigns(limit: number, now: Date): { c: CampaignRow; counts: CampaignCounts }[] {
    const { campaigns } = this.repos;
    return campaigns.recent(limit).map((c) => ({ c, counts: campaigns.counts(c.id, now.toISOString()) }));
  }

  campaign(id: number): CampaignRow | undefined {
    return this.repos.campaigns.byId(id);
  }

  /** The newest filing handovers (at most `limit`). */
  recentFilingRecords(limit: number): HandoverRow[] {
    return this.filings.recent(limit);
  }
}
