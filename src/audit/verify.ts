import type { AuditRepo } from '../storage/audit-repo.js';
import type { Secret } from '../domain/secret.js';
import { GENESIS, verifyRows, type VerifyResult } from './chain.js';

/** Walks the whole chain from seq 1 and names the first broken entry. */
export function verifyChain(repo: AuditRepo, auditKey: Secret<Buffer>): VerifyResult {
  return verifyRows(repo.iterateRaw(1), auditKey.expose(), 1, GENESIS);
}
