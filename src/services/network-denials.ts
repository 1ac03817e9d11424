import type { AuditTrail } from '../audit/chain.js';
import type { Clock } from '../domain/ports.js';
import { writeTransaction, type Db } from '../storage/database.js';

/**
 * Requests from outside the allowed networks, put on the trail as
 * 'network.denied': one event per address per minute, so a scan cannot flood
 * the trail. The composition makes one per running app.
 */
export class NetworkDenials {
  readonly #last = new Map<string, number>();

  constructor(private readonly deps: { db: Db; audit: AuditTrail; clock: Clock }) {}

  note(address: string | undefined): void {
    const key = address ?? 'unknown';
    const now = this.deps.clock.now().getTime();
    if (now - (this.#last.get(key) ?? 0) < 60_000) return;
    this.#last.set(key, now);
    writeTransaction(this.deps.db, () => this.deps.audit.append({ actor: { id: 'anonymous', name: '不明' }, action: 'network.denied', client: key, detail: {} }));
  }
}
