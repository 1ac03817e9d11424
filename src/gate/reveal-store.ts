import { MyNumber } from '../domain/my-number.js';
import { FilingDrafts } from './filing-drafts.js';
import { RequestMemory } from './request-memory.js';
import type { GateRequest } from './requests.js';

/** How long the slot's key derivation took (logged, and measured apart by the bench), and work that must commit with the approval. */
export interface ApprovalTiming {
  kdfMs?: number;
  inTransaction?: () => void;
}

/**
 * Numbers opened by an approval, held in memory only for the viewing window
 * and handed only to the handler who asked. Wiped when the window ends.
 */
export class RevealStore {
  /** until: the wall-clock end; monoUntil: the same end on the monotonic clock, which a clock step cannot move. */
  readonly #items = new Map<number, { bytes: Buffer; until: number; monoUntil: number }>();
  readonly #approved: ((r: GateRequest, timing: ApprovalTiming) => void)[] = [];
  readonly #waiters = new Map<number, Set<() => void>>();
  /** Filing files waiting for review and approval, and merged files' one-time passwords (memory only). */
  readonly filings = new FilingDrafts();
  /** Approval deadlines on the monotonic clock and the codes held by enrolments and card intakes. */
  readonly requests = new RequestMemory();

  /** Called after each approval has committed: the door strike and the dashboards listen. */
  onApproved(listener: (r: GateRequest, timing: ApprovalTiming) => void): void {
    this.#approved.push(listener);
  }

  /**
   * Resolves when the request is approved here, or after ms: the waiting page
   * long-polls with it, so the number shows as soon as the PIN is accepted.
   */
  waitForApproval(requestId: number, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.get(requestId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      let set = this.#waiters.get(requestId);
      if (!set) this.#waiters.set(requestId, (set = new Set()));
      set.add(done);
    });
  }

  /** Wakes the waiting page without an approval (a refusal at the appliance), so it shows at once. */
  notifyChanged(requestId: number): void {
    const waiting = this.#waiters.get(requestId);
    this.#waiters.delete(requestId);
    for (const w of waiting ?? []) w();
  }

  /** Ends every long poll (the server is stopping). */
  releaseWaiters(): void {
    const all = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const set of all) for (const w of set) w();
  }

  notifyApproved(r: GateRequest, timing: ApprovalTiming = {}): void {
    const waiting = this.#waiters.get(r.id);
    this.#waiters.delete(r.id);
    for (const w of waiting ?? []) w();
    for (const l of this.#approved) {
      try {
        l(r, timing);
      } catch {
        // A listener (the door) failing must not undo an approval that has committed.
      }
    }
  }

  /** Holds bytes until `until` (wall clock, ms), which is `now` + the window. */
  put(requestId: number, bytes: Buffer, until: number, now: number = Date.now()): void {
    this.#items.get(requestId)?.bytes.fill(0);
    this.#items.set(requestId, { bytes, until, monoUntil: performance.now() + Math.max(0, until - now) });
  }

  /** A revealed number, as often as asked while its window lasts. */
  number(requestId: number, now: number): MyNumber | undefined {
    this.sweep(now);
    const item = this.#items.get(requestId);
    return item && MyNumber.parse(item.bytes.toString('latin1'));
  }

  /** An export file, once: it is gone from memory after this call. */
  takeFile(requestId: number, now: number): Buffer | undefined {
    this.sweep(now);
    const item = this.#items.get(requestId);
    this.#items.delete(requestId);
    return item?.bytes;
  }

  has(requestId: number, now: number): boolean {
    this.sweep(now);
    return this.#items.has(requestId);
  }

  drop(requestId: number): void {
    this.#items.get(requestId)?.bytes.fill(0);
    this.#items.delete(requestId);
  }

  sweep(now: number): void {
    for (const [id, item] of this.#items) {
      if (item.until <= now || item.monoUntil <= performance.now()) {
        item.bytes.fill(0);
        this.#items.delete(id);
      }
    }
  }

  clear(): void {
    for (const item of this.#items.values()) item.bytes.fill(0);
    this.#items.clear();
    this.filings.clear();
  }
}
