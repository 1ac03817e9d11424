import { describe, expect, it } from 'vitest';
import { formatSyslog, MAX_SUBJECT_IDS, SD_ID, severityOf } from '../../src/audit/syslog-format.js';
import type { AuditRow } from '../../src/storage/audit-repo.js';

/** One event read by name, as the forwarder reads it (namedAuditRow). */
function row(over: Partial<AuditRow> = {}): AuditRow {
  return {
    seq: 42,
    at: '2026-04-01T00:00:00.000Z',
    actorId: 'u-1',
    actorName: '山田 花子',
    action: 'gate.reveal_approved',
    subjects: JSON.stringify([{ id: 7, name: '佐藤 一郎' }]),
    purpose: 'payroll',
    client: '192.0.2.10',
    device: 'pinpad-1',
    detail: JSON.stringify({ note: '個人的なメモ' }),
    prevHash: Buffer.alloc(32, 0x11),
    hash: Buffer.alloc(32, 0x22),
    ...over,
  };
}

const ctx = { hostname: 'vault', procId: '1', vaultId: 'v-1' };

describe('formatSyslog (an audit row by name)', () => {
  it('sends the ids, the action, the purpose, the device and the links, never names, client or detail', () => {
    const m = formatSyslog(row(), ctx);
    expect(m).toBe(
      `<110>1 2026-04-01T00:00:00.000Z vault mnvault 1 gate.reveal_approved [${SD_ID} vault="v-1" seq="42" at="2026-04-01T00:00:00.000Z" action="gate.reveal_approved" actor="u-1" subject_count="1" subjects="7" purpose="payroll" device="pinpad-1" hash="${'22'.repeat(32)}" prev="${'11'.repeat(32)}"]`,
    );
    for (const hidden of ['山田', '佐藤', '192.0.2.10', '個人的']) expect(m).not.toContain(hidden);
  });

  it('leaves out an empty purpose and device, and caps the subject ids', () => {
    const ids = Array.from({ length: MAX_SUBJECT_IDS + 5 }, (_, i) => ({ id: i + 1, name: 'x' }));
    const m = formatSyslog(row({ purpose: null, device: null, subjects: JSON.stringify(ids) }), ctx);
    expect(m).not.toContain('purpose=');
    expect(m).not.toContain('device=');
    expect(m).toContain(`subject_count="${MAX_SUBJECT_IDS + 5}"`);
    expect(m).toContain(
      `subjects="${ids
        .slice(0, MAX_SUBJECT_IDS)
        .map((s) => s.id)
        .join(',')}"`,
    );
  });

  it('is a warning for alarms and a broken verification, informational otherwise', () => {
    expect(severityOf(row({ action: 'door.forced' }))).toBe(4);
    expect(severityOf(row({ action: 'audit.verified', detail: '{"result":"broken"}' }))).toBe(4);
    expect(severityOf(row({ action: 'audit.verified', detail: '{"result":"ok"}' }))).toBe(6);
    expect(formatSyslog(row({ action: 'door.forced' }), ctx).startsWith('<108>1 ')).toBe(true);
  });
});
