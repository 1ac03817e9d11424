import { ErasureRepo, type ErasureRow } from '../storage/erasure-repo.js';
import type { DisposalPersonRow, DisposalRow, DisposalState, StoredRule } from '../storage/retention-repo.js';
import type { Vault } from './vault.js';

/**
 * The disposal, retention and erasure pages' read model: disposals and the
 * persons they name, the retention rules, erasure proposals, and whether
 * another admin could approve. Reads only; changes go through
 * services/disposal.ts, retention.ts and erasure.ts. Made once by the composition.
 */
export class DisposalReading {
  private readonly erasures: ErasureRepo;

  constructor(private readonly repos: Pick<Vault, 'db' | 'retention'>) {
    this.erasures = new ErasureRepo(repos.db);
  }

  disposal(id: number): DisposalRow | undefined {
    return this.repos.retention.disposal(id);
  }

  /** Disposals in a state, newest first (at most `limit`). */
  disposals(state: DisposalState, limit?: number): DisposalRow[] {
    return this.repos.retention.disposals(state, limit);
  }

  disposalPersons(id: number): DisposalPersonRow[] {
    return this.repos.retention.disposalPersons(id);
  }

  rules(): StoredRule[] {
    return this.repos.retention.rules();
  }

  /** Each rule's name by its code. */
  ruleNames(): Record<string, string> {
    return Object.fromEntries(this.rules().map((x) => [x.code, x.name]));
  }

  /** Enabled admins: with more than one, a proposal is approved by another admin than its proposer. */
  activeAdminCount(): number {
    return this.repos.retention.activeAdminCount();
  }

  erasure(id: number): ErasureRow | undefined {
    return this.erasures.byId(id);
  }
}
