/**
 * What this process remembers about gate requests besides the database: each request's approval
 * deadline on the monotonic clock (a wall clock stepped back cannot stretch it), and the codes the PIN
 * pad answers to besides open requests (security-key and PIN enrolments, card intakes, held in memory),
 * which a new request never takes, so a handler's code and PIN can never reach an admin's enrolment.
 *
 * One is built per open vault, inside the RevealStore that src/main.ts builds once, and handed to the
 * services that open requests, read their state or hold a code.
 */
export class RequestMemory {
  readonly #deadlines = new Map<number, number>();
  readonly #reserved = new Set<string>();

  /** Starts the approval window of a request just opened by this process. */
  startApprovalWindow(requestId: number, ms: number): void {
    this.#deadlines.set(requestId, performance.now() + ms);
    if (this.#deadlines.size > 10_000) {
      const now = performance.now();
      for (const [id, until] of this.#deadlines) if (until <= now) this.#deadlines.delete(id);
    }
  }

  /** True when the request was opened by this process and its window has ended on the monotonic clock. */
  approvalLapsed(requestId: number): boolean {
    return (this.#deadlines.get(requestId) ?? Infinity) <= performance.now();
  }

  reserveCode(code: string): void {
    this.#reserved.add(code);
  }

  releaseCode(code: string): void {
    this.#reserved.delete(code);
  }

  codeReserved(code: string): boolean {
    return this.#reserved.has(code);
  }
}
