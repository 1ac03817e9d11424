import { describe, expect, it } from 'vitest';
import { canonical, chainHash, GENESIS } from '../../src/audit/chain.js';
import { auditCommand } from '../../src/cli/audit.js';
import { writeWitness } from '../../src/audit/head-witness.js';
import { reportError } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config.js';
import type { Vault } from '../../src/services/vault.js';
import type { RawAuditRow } from '../../src/storage/audit-repo.js';
import { writeTransaction } from '../../src/storage/database.js';
import { scanDataDir } from '../helpers/canary.js';
import { keyApproval, KEY_APPROVAL_NUMBER as NUMBER } from '../helpers/key-approval.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff } from '../helpers/web.js';


/** Runs `mnvault audit …` in this process as main.ts does: the exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream;
  const err = { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream;
  let status: number;
  try {
    status = await auditCommand(args, loadConfig({}), out, err);
  } catch (e) {
    status = reportError(e, err);
  }
  return { status, stdout, stderr };
}

function printedHead(stdout: string): string {
  const m = /先頭: seq (\d+) ([0-9a-f]{64})/u.exec(stdout);
  if (!m) throw new Error(`no head in: ${stdout}`);
  return `${m[1]}:${m[2]}`;
}

/**
 * Rewrites history as an insider holding the audit key would: changes one
 * event through raw SQL, then recomputes every later prev_hash and HMAC with
 * the real key, so the chain verifies again on its own; and writes the head
 * witness (DATA/audit-head) again, which a key derived from the same audit
 * key authenticates. Only a witness outside the appliance (paper) remains.
 */
function rewriteWithKey(vault: Vault, seq: number, change: (row: RawAuditRow) => void): void {
  vault.db.exec('DROP TRIGGER IF EXISTS audit_events_no_update');
  const key = vault.keys.audit;
  const rows = [...vault.auditRepo.iterateRaw(1)];
  let prev: Buffer = GENESIS;
  const update = vault.db.prepare('UPDATE audit_events SET actor_name = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  writeTransaction(vault.db, () => {
    for (const r of rows) {
      if (r[0] === seq) change(r);
      if (r[0] >= seq) {
        const hash = chainHash(key, prev, canonical(r));
        update.run(r[3], r[9], prev, hash, r[0]);
        prev = hash;
      } else prev = r[11];
    }
  });
  const last = rows.at(-1)!;
  writeWitness(vault.dataDir, vault.headKey, { vaultId: vault.vaultId, seq: last[0], hash: prev });
}

describe('mnvault audit verify --anchor (paper as witness)', () => {
  it('passes while the chain goes through the printed head, and exits 1 naming the anchor after a rewrite done with the real audit key', async () => {
    const { vault, dataDir } = await newTestVault();
    await addStaff(vault);
    const first = await cli(['verify', '--data', dataDir]);
    expect(first.status).toBe(0);
    const anchor = printedHead(first.stdout);
    // More happens after the report is printed.
    await addStaff(vault).catch(() => undefined);
    writeTransaction(vault.db, () => vault.audit.append({ actor: { id: 'x', name: '後の操作' }, action: 'auth.signed_in', detail: {} }));

    const intact = await cli(['verify', '--data', dataDir, '--anchor', anchor, '--anchor', anchor.toUpperCase()]);
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toContain(`印刷された先頭 seq ${anchor.split(':')[0]} を通っています`);

    // seq 2 is rewritten (the actor's name), every later HMAC recomputed with the real key.
    rewriteWithKey(vault, 2, (r) => {
      r[3] = '別人';
    });
    const plain = await cli(['verify', '--data', dataDir]);
    expect(plain.status, plain.stderr).toBe(0);
    const anchored = await cli(['verify', '--data', dataDir, '--anchor', anchor]);
    expect(anchored.status).toBe(1);
    expect(anchored.stderr).toContain(`--anchor ${anchor}`);
    expect(anchored.stderr).toContain('書き換えられた疑い');
    expect(anchored.stderr).not.toMatch(/at .*\.ts:\d+/u);
  });

  it('exits 1 for an anchor beyond the head (a truncated trail) and 2 for a malformed anchor, in Japanese', async () => {
    const { vault, dataDir } = await newTestVault();
    const head = vault.auditRepo.head()!;
    const beyond = await cli(['verify', '--data', dataDir, '--anchor', `${head.seq + 5}:${head.hash.toString('hex')}`]);
    expect(beyond.status).toBe(1);
    expect(beyond.stderr).toContain('切り詰められた疑い');
    for (const bad of ['12', 'x:ab', `0:${'a'.repeat(64)}`, `3:${'a'.repeat(63)}`, `3:${'g'.repeat(64)}`]) {
      const r = await cli(['verify', '--data', dataDir, '--anchor', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain('--anchor');
      expect(r.stderr).toContain('形式が正しくありません');
    }
  });
});

describe('mnvault audit check-assertion', () => {
  it('checks a security-key approval from the trail alone (exit 0), and exits 1 when the signed content was rewritten with the audit key', async () => {
    const { vault, dataDir, entrySeq } = await keyApproval();
    const ok = await cli(['check-assertion', '--data', dataDir, '--seq', String(entrySeq)]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('署名は正しく');
    expect(ok.stdout).toContain('["mnvault/gate/v2",');
    expect(ok.stdout).not.toMatch(/NG /u);

    // The purpose is rewritten and the chain recomputed: the chain passes, the signature does not.
    rewriteWithKey(vault, entrySeq, (r) => {
      const d = JSON.parse(r[9]) as Record<string, unknown>;
      d.kind = 'export';
      r[9] = JSON.stringify(d);
    });
    expect((await cli(['verify', '--data', dataDir])).status).toBe(0);
    const bad = await cli(['check-assertion', '--data', dataDir, '--seq', String(entrySeq)]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('NG  コミットメント');
    expect(bad.stdout).toContain('NG  署名');
    expect(scanDataDir(dataDir, [NUMBER]).hits).toEqual([]);
  });

  it('exits 2 with a Japanese message for an event that is not a key approval, a missing seq or a bad --seq', async () => {
    const { dataDir } = await newTestVault();
    const notKey = await cli(['check-assertion', '--data', dataDir, '--seq', '1']);
    expect(notKey.status).toBe(2);
    expect(notKey.stderr).toContain('セキュリティキーによる承認');
    expect((await cli(['check-assertion', '--data', dataDir, '--seq', '99999'])).stderr).toContain('seq 99999 の記録はありません');
    const badSeq = await cli(['check-assertion', '--data', dataDir, '--seq', '1a']);
    expect(badSeq.status).toBe(2);
    expect(badSeq.stderr).toContain('--seq');
  });
});
