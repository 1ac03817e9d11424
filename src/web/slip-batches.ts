import { randomBytes } from 'node:crypto';
import type { IssuedSlip } from '../services/campaigns.js';

/** How long a batch of freshly issued codes can be printed (and its CSV downloaded). */
export const SLIP_BATCH_TTL_MS = 2 * 3600_000;
const MAX_BATCHES = 20;

export interface SlipBatch {
  id: string;
  campaignId: number;
  /** Only the user who issued the codes may print them. */
  userId: string;
  reissue: boolean;
  slips: IssuedSlip[];
  skipped: number;
  createdAt: number;
}

/**
 * The plaintext codes of one bulk issue, held in this process's memory only
 * (never on disk, in a log or in the database, which keeps their hashes), so
 * the slip page, its PDF and the CSV can be opened and reloaded as often as
 * the printing needs without voiding a printed code. A batch ends when the
 * user says printing is done, after SLIP_BATCH_TTL_MS, or when the service
 * restarts; after that a slip can only be had by an explicit, audited reissue.
 */
export class SlipBatches {
  readonly #batches = new Map<string, SlipBatch>();

  constructor(private readonly now: () => number) {}

  add(b: Omit<SlipBatch, 'id' | 'createdAt'>): SlipBatch {
    this.sweep();
    while (this.#batches.size >= MAX_BATCHES) this.#batches.delete(this.#batches.keys().next().value!);
    const batch = { ...b, id: randomBytes(16).toString('base64url'), createdAt: this.now() };
    this.#batches.set(batch.id, batch);
    return batch;
  }

  get(id: string, campaignId: number, userId: string): SlipBatch | undefined {
    this.sweep();
    const b = this.#batches.get(id);
    return b && b.campaignId === campaignId && b.userId === userId ? b : undefined;
  }

  discard(id: string, userId: string): void {
    const b = this.#batches.get(id);
    if (b && b.userId === userId) {
      for (const s of b.slips) s.code = '';
      this.#batches.delete(id);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, b] of this.#batches) if (now - b.createdAt > SLIP_BATCH_TTL_MS) this.#batches.delete(id);
  }
}
