import type { AuditRow } from '../storage/audit-repo.js';

/**
 * One audit event as an RFC 5424 syslog message, for the remote witness.
 *
 * What is sent (and nothing else): the vault id, seq, time, action, the
 * actor's id, the subject persons' ids, the purpose code, the device, and the
 * event's hash and previous hash. Never names (actor or persons), never the
 * client address, never the detail (free text such as notes could be
 * personal). With seq and hash the receiver holds a copy of the chain's
 * links: a later rewrite of the trail disagrees with what it received.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME mnvault PROCID ACTION [mnvault@32473 vault="…" seq="…" …]
 *
 * Facility 13 (log audit); severity 4 (warning) for alarms, failed sign-ins,
 * refused connections and a broken chain, 6 (informational) otherwise. The
 * SD-ID uses 32473, the enterprise number reserved for documentation (RFC 5612).
 */
export const SD_ID = 'mnvault@32473';
const FACILITY_LOG_AUDIT = 13;
/** At most this many subject ids per message; an export naming more sends the count and the first ones. */
export const MAX_SUBJECT_IDS = 100;

const WARNING_ACTIONS = new Set(['door.held', 'door.forced', 'door.sensor_failed', 'door.relay_failed', 'auth.sign_in_failed', 'auth.locked', 'network.denied', 'gate.pin_locked', 'gate.key_refused', 'slot.unlock_failed', 'storage.fault', 'clock.behind', 'audit.head_accepted']);

/** PRINTUSASCII only (33-126), at most `max` characters; '-' (NILVALUE) when empty. */
function headerField(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/gu, '_').slice(0, max);
  return s || '-';
}

/** PARAM-VALUE escaping: '"', '\' and ']' get a backslash (RFC 5424 §6.3.3). */
export function escapeParam(v: string): string {
  return v.replace(/["\\\]]/gu, (c) => `\\${c}`);
}

export function severityOf(row: Pick<AuditRow, 'action' | 'detail'>): number {
  if (WARNING_ACTIONS.has(row.action)) return 4;
  if (row.action === 'audit.verified' && row.detail.includes('"result":"broken"')) return 4;
  return 6;
}

/** The message for one stored event, read by name (`namedAuditRow`). */
export function formatSyslog(row: AuditRow, ctx: { hostname: string; procId: string; vaultId: string }): string {
  const ids = (JSON.parse(row.subjects) as { id: number }[]).map((s) => s.id);
  const params: [string, string][] = [
    ['vault', ctx.vaultId],
    ['seq', String(row.seq)],
    ['at', row.at],
    ['action', row.action],
    ['actor', row.actorId],
  ];
  if (ids.length) {
    params.push(['subject_count', String(ids.length)], ['subjects', ids.slice(0, MAX_SUBJECT_IDS).join(',')]);
  }
  if (row.purpose) params.push(['purpose', row.purpose]);
  if (row.device) params.push(['device', row.device]);
  params.push(['hash', row.hash.toString('hex')], ['prev', row.prevHash.toString('hex')]);
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${escapeParam(v)}"`).join(' ')}]`;
  const pri = FACILITY_LOG_AUDIT * 8 + severityOf(row);
  return `<${pri}>1 ${row.at} ${headerField(ctx.hostname, 255)} mnvault ${headerField(ctx.procId, 128)} ${headerField(row.action, 32)} ${sd}`;
}

/** RFC 6587 octet-counting framing (also RFC 5425 over TLS): the byte length, a space, the message. */
export function frame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Splits a received stream into messages (for tests and tools); returns the rest not yet complete. */
export function unframe(buf: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const sp = buf.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number(buf.subarray(at, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new Error('bad syslog frame length');
    if (buf.length < sp + 1 + len) break;
    messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    at = sp + 1 + len;
  }
  return { messages, rest: buf.subarray(at) };
}
