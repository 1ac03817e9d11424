import { stateAt, type GateRequest, type GateState } from '../gate/requests.js';
import type { RequestMemory } from '../gate/request-memory.js';
import type { Vault } from './vault.js';

/** A request as its owner's list shows it: the state as time has made it, and whose number it names. */
export type GateListRow = GateRequest & { state: GateState; firstPersonName: string | null };

/**
 * The gate pages' read model: a user's own requests and what a waiting page
 * says beside one request. Reads only; every change goes through services/gate.ts.
 */
export class GatePages {
  constructor(
    private readonly repos: Pick<Vault, 'gate' | 'persons' | 'securityKeys' | 'purposeNotices' | 'identityChecks' | 'clock'>,
    private readonly requests: Pick<RequestMemory, 'approvalLapsed'>,
  ) {}

  /** The user's requests, newest first (at most `limit`). */
  recentOf(userId: string, limit: number): GateListRow[] {
    const { gate, persons, clock } = this.repos;
    const now = clock.now();
    return gate.recentOf(userId, limit).map((g) => {
      const first = g.personIds[0];
      return { ...g, state: stateAt(g, now, this.requests), firstPersonName: first === undefined ? null : (persons.byId(first)?.name ?? '') };
    });
  }

  /**
   * Beside one request: its first person; whether the handler holds a key, and
   * then which open request a touch approves first (the oldest); the persons an
   * export left out; the persons without an identity check on record (番号法16条).
   */
  waiting(request: GateRequest, state: GateState) {
    const { gate, persons, securityKeys, purposeNotices, identityChecks, clock } = this.repos;
    const first = request.personIds[0];
    const person = first === undefined ? undefined : persons.byId(first);
    const hasKey = securityKeys.ofUser(request.handlerId).some((k) => !k.revokedAt);
    const next = hasKey && state === 'requested' ? gate.oldestOpenOf(request.handlerId, clock.now().toISOString()) : undefined;
    const leftOut = request.kind === 'export' ? purposeNotices.leftOut(request.id) : [];
    const checked = identityChecks.checkedPersonIds();
    const unchecked = request.personIds.filter((id) => !checked.has(id)).map((id) => persons.byId(id)!.name);
    return { person, hasKey, next, leftOut, unchecked };
  }
}
