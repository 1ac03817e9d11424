import type { Vault } from '../../src/services/vault.js';

export interface AuditEventView {
  seq: number;
  at: string;
  actorId: string;
  action: string;
  subjects: { id: number; name: string }[];
  purpose: string | null;
  client: string | null;
  device: string | null;
  detail: Record<string, unknown>;
}

/** The trail's rows from a seq on, decoded for assertions (names as shown: version-2 rows keep them beside the chain). */
export function auditEvents(vault: Vault, fromSeq = 1): AuditEventView[] {
  return [...vault.auditRepo.iterateShown(fromSeq)].map((r) => ({
    seq: r[0],
    at: r[1],
    actorId: r[2],
    action: r[4],
    subjects: JSON.parse(r[5]) as { id: number; name: string }[],
    purpose: r[6],
    client: r[7],
    device: r[8],
    detail: JSON.parse(r[9]) as Record<string, unknown>,
  }));
}
