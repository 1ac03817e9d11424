import { closeSync, existsSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headPath } from '../../src/audit/head-witness.js';
import { fixedClock } from '../../src/domain/ports.js';
import { databasePath, openVault } from '../../src/services/vault.js';
import { mnvault } from '../helpers/cli.js';
import { requireDist, runChild } from '../helpers/crash.js';
import { newTestVault } from '../helpers/vault.js';

/**
 * A crash that loses the WAL takes acknowledged writes with it, and SQLite
 * reopens the last checkpointed state as if nothing happened: the chain is
 * shorter but intact. The head witness (DATA/audit-head) makes the loss visible.
 */
const APPEND = join(import.meta.dirname, 'children', 'append.mjs');
const clock = fixedClock('2035-04-01T00:00:00Z');

/** A vault whose child appended n events, each acknowledged, and was killed with them still in the WAL. */
async function crashedWithWal(n: number): Promise<{ dataDir: string; before: number; acked: number }> {
  requireDist();
  const { vault, dataDir } = await newTestVault(clock);
  const before = vault.auditRepo.head()!.seq;
  vault.close();
  const run = await runChild(APPEND, [dataDir, String(n)], { from: 'done', killAfterMs: 0 });
  expect(run.killed, run.stderr).toBe(true);
  const acked = Math.max(...run.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.slice(10))));
  expect(acked).toBe(before + n);
  expect(statSync(`${databasePath(dataDir)}-wal`).size).toBeGreaterThan(0);
  return { dataDir, before, acked };
}

async function crashedWithoutWal(n: number): Promise<{ dataDir: string; before: number; acked: number }> {
  requireDist();
  const { vault, dataDir } = await newTestVault(clock);
  const before = vault.auditRepo.head()!.seq;
  vault.close();
  const run = await runChild(APPEND, [dataDir, String(n)], { from: 'done', killAfterMs: 0 });
  expect(run.killed, run.stderr).toBe(true);
  const acked = Math.max(...run.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.slice(10))));
  expect(acked).toBe(before + n);
  const db = databasePath(dataDir);
  expect(existsSync(`${db}-wal`)).toBe(true);
  rmSync(`${db}-wal`);
  rmSync(`${db}-shm`, { force: true });
  return { dataDir, before, acked };
}

describe('a damaged WAL after kill -9', () => {
  // SQLite replays WAL frames up to the first whose checksum fails and drops the rest without a word:
  // the chain that remains is shorter and still verifies. The head witness names the gap.
  const damaged: [string, (wal: string) => void][] = [
    ['bytes overwritten in its last frame', (wal) => overwrite(wal, statSync(wal).size - 200)],
    ['its header overwritten', (wal) => overwrite(wal, 8)],
    ['its second half cut off', (wal) => truncateSync(wal, Math.floor(statSync(wal).size / 2))],
  ];
  for (const [how, harm] of damaged) {
    it(`a WAL with ${how}: serve and audit verify refuse, naming the lost range`, async () => {
      const { dataDir, acked } = await crashedWithWal(20);
      harm(`${databasePath(dataDir)}-wal`);
      const serve = mnvault(['serve', '--data', dataDir, '--http', '--port', '0']);
      expect(serve.status).toBe(1);
      const gap = new RegExp(`監査記録が seq (\\d+) までしかありません。最後に確定した記録は seq ${acked} です（seq \\d+〜${acked} の \\d+ 件が失われています）`, 'u');
      expect(serve.stderr).toMatch(gap);
      expect(serve.stderr).toContain('WAL ファイル（vault.db-wal）が失われたか壊れた');
      const verify = mnvault(['audit', 'verify', '--data', dataDir]);
      expect(verify.status).toBe(1);
      expect(verify.stderr).toMatch(gap);
      expect(verify.stdout).not.toContain('監査記録は正常です');
    });
  }
});

function overwrite(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(40, 0x58), 0, 40, offset);
  } finally {
    closeSync(fd);
  }
}

describe('a lost WAL after kill -9', () => {
  it('refuses to start, naming the lost range, instead of silently dropping acknowledged writes', async () => {
    const { dataDir, before, acked } = await crashedWithoutWal(60);
    const serve = mnvault(['serve', '--data', dataDir, '--http', '--port', '0']);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain(`seq ${before + 1}〜${acked} の 60 件が失われています`);
    expect(serve.stderr).toContain('mnvault accept-head');
    const verify = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`seq ${before + 1}〜${acked}`);
  });

  it('starts again after the audited override, which records both heads', async () => {
    const { dataDir, before, acked } = await crashedWithoutWal(5);
    const accept = mnvault(['accept-head', '--data', dataDir]);
    expect(accept.stderr + accept.stdout).toContain(`seq ${before + 1}〜${acked}`);
    expect(accept.status).toBe(0);
    const vault = openVault({ dataDir, clock });
    try {
      const head = vault.auditRepo.latest(1)[0]!;
      expect(head[4]).toBe('audit.head_accepted');
      expect(JSON.parse(head[9])).toMatchObject({ chain_seq: before, witness_seq: acked });
    } finally {
      vault.close();
    }
    expect(mnvault(['audit', 'verify', '--data', dataDir]).status).toBe(0);
  });

  it('refuses a witness that was not written with the vault key', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    vault.close();
    writeFileSync(headPath(dataDir), JSON.stringify({ v: 1, vault: vault.vaultId, seq: 1, hash: '00', mac: '00' }));
    expect(() => openVault({ dataDir, clock })).toThrow(/先頭の控え/u);
  });

  it('keeps the witness at the committed head after each write', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    const seq = vault.auditRepo.head()!.seq;
    const { readWitness } = await import('../../src/audit/head-witness.js');
    expect(readWitness(dataDir, vault.headKey)?.seq).toBe(seq);
  });
});
