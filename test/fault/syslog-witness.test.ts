import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSyslog } from '../../src/audit/syslog-format.js';
import { fixedClock } from '../../src/domain/ports.js';
import { openVault } from '../../src/services/vault.js';
import { namedAuditRow } from '../../src/storage/audit-repo.js';
import { writeTransaction } from '../../src/storage/database.js';
import { mnvault } from '../helpers/cli.js';
import { requireDist } from '../helpers/crash.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

/**
 * The syslog witness (MNVAULT_SYSLOG_WITNESS): a data folder put back from an
 * older copy carries its own, older head file, so only the syslog copy of the
 * chain shows what was lost. The start refuses, naming the range, until the
 * operator's audited override.
 */
const clock = fixedClock('2035-04-01T00:00:00Z');

async function olderCopyWithSyslog(lost: number): Promise<{ dataDir: string; syslog: string; before: number; sent: number }> {
  requireDist();
  const { vault, dataDir } = await newTestVault(clock);
  const before = vault.auditRepo.head()!.seq;
  vault.close();
  const older = tempDir('mnvault-older-');
  cpSync(dataDir, older, { recursive: true });
  const v = openVault({ dataDir, clock });
  for (let i = 0; i < lost; i++) writeTransaction(v.db, () => v.audit.append({ actor: { id: 'cli', name: 'test' }, action: 'audit.verified', detail: { result: 'ok' } }));
  // What the forwarder sent, as the syslog daemon wrote it (a traditional prefix before the RFC 5424 message).
  const lines = v.auditRepo.latest(1000).reverse().map((row) => `Apr  1 09:00:00 ${hostname()} ${formatSyslog(namedAuditRow(row), { hostname: 'vault', procId: '1', vaultId: v.vaultId })}`);
  const sent = v.auditRepo.head()!.seq;
  v.close();
  const syslog = join(tempDir('mnvault-syslog-'), 'mnvault.log');
  writeFileSync(syslog, `${lines.join('\n')}\nApr  1 09:00:01 other sshd[12]: unrelated line\n`);
  rmSync(dataDir, { recursive: true });
  cpSync(older, dataDir, { recursive: true });
  return { dataDir, syslog, before, sent };
}

describe('the syslog witness at start', () => {
  it('refuses to start when the chain is shorter than what syslog received, naming the range', async () => {
    const { dataDir, syslog, before, sent } = await olderCopyWithSyslog(7);
    // Without the setting the older copy passes (its own head file agrees with it): the gap the witness closes.
    openVault({ dataDir, clock }).close();
    const env = { MNVAULT_SYSLOG_WITNESS: syslog };
    const serve = mnvault(['serve', '--data', dataDir, '--http', '--port', '0'], env);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain(`seq ${before + 1}〜${sent} の 7 件が失われています`);
    expect(serve.stderr).toContain('syslog');
    expect(serve.stderr).toContain('mnvault accept-head');
    expect(() => openVault({ dataDir, clock, syslogWitness: syslog })).toThrow(/syslog の控え/u);
  });

  it('starts after the audited override, which records the syslog head it accepted', async () => {
    const { dataDir, syslog, before, sent } = await olderCopyWithSyslog(3);
    const env = { MNVAULT_SYSLOG_WITNESS: syslog };
    const accept = mnvault(['accept-head', '--data', dataDir], env);
    expect(accept.status, accept.stderr).toBe(0);
    const vault = openVault({ dataDir, clock, syslogWitness: syslog });
    try {
      const head = namedAuditRow(vault.auditRepo.latest(1)[0]!);
      expect(head.action).toBe('audit.head_accepted');
      expect(JSON.parse(head.detail)).toMatchObject({ chain_seq: before, syslog_seq: sent });
    } finally {
      vault.close();
    }
    expect(mnvault(['audit', 'verify', '--data', dataDir], env).status).toBe(0);
  });

  it('refuses a chain that differs from the syslog copy at the same seq', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    const row = vault.auditRepo.latest(1)[0]!;
    vault.close();
    const forged = formatSyslog(namedAuditRow(row), { hostname: 'vault', procId: '1', vaultId: vault.vaultId }).replace(/hash="[0-9a-f]{64}"/u, `hash="${'ab'.repeat(32)}"`);
    const syslog = join(tempDir('mnvault-syslog-'), 'mnvault.log');
    writeFileSync(syslog, `${forged}\n`);
    expect(() => openVault({ dataDir, clock, syslogWitness: syslog })).toThrow(/記録の差し替えの疑い/u);
  });

  it('starts on the head file alone when the syslog file cannot be read', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    vault.close();
    const v = openVault({ dataDir, clock, syslogWitness: join(tempDir('mnvault-syslog-'), 'missing.log') });
    v.close();
  });
});
