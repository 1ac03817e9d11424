import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { readRotation } from '../../src/storage/rotation-state.js';
import { databasePath, openVault, type Vault } from '../../src/services/vault.js';
import { openDatabase } from '../../src/storage/database.js';
import { deriveFromCredential, devCredentialPath } from '../../src/vault/credential.js';
import { pendingDevCredentialPath } from '../../src/vault/credential-store.js';
import { auditEvents } from '../helpers/audit.js';
import { CLI, crashLoop, runChild } from '../helpers/crash.js';
import { keyFromPin, openAllNumbers } from '../helpers/keys.js';
import { validNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

/**
 * kill -9 at random points (≥ 30 times each) during import, disposal, vault
 * key rotation and rekey, with a check after every kill: the database opens,
 * the chain verifies, every held number opens with the current keys, and
 * nothing the child acknowledged (printed after its commit) is lost.
 */
const RUNS = 31; // run 0 is undisturbed and measures the duration; 30 are killed
const clock = fixedClock('2035-04-01T00:00:00Z');
const DISPOSE = join(import.meta.dirname, 'children', 'dispose.mjs');

/** run r's i-th number: distinct across runs, valid check digit, synthetic. */
const numberOf = (r: number, i: number) => validNumber(String(90_000_000_000 + r * 100_000 + i));

function csv(r: number, n: number): string {
  const lines = ['種別,社員番号,氏名,個人番号'];
  for (let i = 0; i < n; i++) lines.push(`従業員,R${r}-${i},試験 ${r}の${i},${numberOf(r, i)}`);
  return lines.join('\n') + '\n';
}

async function inspect(dataDir: string, fn: (vault: Vault, numbers: Map<number, string>) => void | Promise<void>): Promise<void> {
  const vault = openVault({ dataDir, clock });
  try {
    const chain = verifyChain(vault.auditRepo, vault.keys.audit);
    expect(chain.ok, 'audit chain').toBe(true);
    const numbers = await openAllNumbers(vault, await keyFromPin(vault));
    await fn(vault, numbers);
  } finally {
    vault.close();
  }
}

async function closedVault(): Promise<{ dataDir: string; vault: Vault }> {
  const t = await newTestVault(clock);
  return t;
}

describe('crash safety (SIGKILL at random points)', () => {
  it('import: a killed import commits all of its rows or none; acknowledged imports stay', async () => {
    const { vault, dataDir } = await closedVault();
    vault.close();
    const dir = tempDir();
    const N = 2000;
    let acked = 0;
    let committed = 0;
    const report = await crashLoop({
      runs: RUNS,
      command: (r) => {
        const file = join(dir, `run-${r}.csv`);
        writeFileSync(file, csv(r, N));
        return { script: CLI, args: ['import', '--data', dataDir, '--purposes', ALL_PURPOSES.join(','), file] };
      },
      check: (r, run) =>
        inspect(dataDir, (v, numbers) => {
          const ack = run.lines.some((l) => l.startsWith('取り込みました'));
          const mine = v.db.prepare("SELECT count(*) FROM persons WHERE code LIKE ?").pluck().get(`R${r}-%`) as number;
          expect([0, N]).toContain(mine);
          if (ack) expect(mine).toBe(N);
          if (ack) acked++;
          if (mine === N) committed++;
          expect(numbers.size).toBe(committed * N);
          // This run's numbers open to what was imported.
          const ids = v.db.prepare('SELECT id, code FROM persons WHERE code LIKE ?').all(`R${r}-%`) as { id: number; code: string }[];
          for (const p of ids) expect(numbers.get(p.id)).toBe(numberOf(r, Number(p.code.split('-')[1])));
        }),
    });
    console.info(`crash import: ${report.killed} killed, ${report.finished} finished; ${committed} of ${RUNS} imports committed (${acked} acknowledged); one run ${Math.round(report.durationMs)} ms`);
    expect(report.killed).toBeGreaterThanOrEqual(15);
    expect(acked).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('disposal: a killed approval destroys all of its numbers or none; acknowledged disposals stay', async () => {
    const { vault, dataDir } = await closedVault();
    await addStaff(vault);
    const PER = 60;
    const system = { id: 'test', name: 'テスト' };
    expect(importPersons(vault, Buffer.from(csv(0, RUNS * PER + 10)), { purposes: ALL_PURPOSES, actor: system }).committed).toBe(true);
    const byRun: number[][] = [];
    const all = vault.db.prepare("SELECT id FROM persons ORDER BY id").pluck().all() as number[];
    for (const id of all) retirePerson(vault, system, id, '2026-03-31', null);
    for (let r = 0; r < RUNS; r++) byRun.push(all.slice(r * PER, (r + 1) * PER));
    const original = await openAllNumbers(vault, await keyFromPin(vault));
    vault.close();
    const disposedAcked = new Set<number>();
    const phases = { nothing: 0, proposedOnly: 0, disposedUnacknowledged: 0, acknowledged: 0 };
    const report = await crashLoop({
      runs: RUNS,
      command: (r) => ({ script: DISPOSE, args: [dataDir, byRun[r]!.join(',')] }),
      from: 'ready',
      check: (r, run) =>
        inspect(dataDir, (v, numbers) => {
          if (run.lines.some((l) => l.startsWith('committed '))) for (const id of byRun[r]!) disposedAcked.add(id);
          const states = byRun[r]!.map((id) => v.persons.numberOf(id)!.state);
          expect(new Set(states).size, 'all or nothing').toBe(1);
          if (run.killed) phases[states[0] === 'disposed' ? (run.lines.some((l) => l.startsWith('committed ')) ? 'acknowledged' : 'disposedUnacknowledged') : run.lines.some((l) => l.startsWith('proposed ')) ? 'proposedOnly' : 'nothing']++;
          for (const id of disposedAcked) {
            const n = v.persons.numberOf(id)!;
            expect(n.state).toBe('disposed');
            expect(n.sealed).toBeNull();
          }
          for (const [id, n] of numbers) expect(n).toBe(original.get(id));
          const held = v.db.prepare("SELECT count(*) FROM person_numbers WHERE state = 'held'").pluck().get() as number;
          expect(numbers.size).toBe(held);
        }),
    });
    console.info(`crash disposal: ${report.killed} killed, ${report.finished} finished; killed runs by outcome ${JSON.stringify(phases)}; work after opening ${Math.round(report.durationMs)} ms`);
    expect(report.killed).toBeGreaterThanOrEqual(15);
    expect(disposedAcked.size).toBeGreaterThanOrEqual(PER);
  }, 180_000);

  it('vault key rotation: after every kill each number opens with the current keys, and a rerun resumes', async () => {
    const { vault, dataDir, recoveryCode } = await newTestVault(clock);
    expect(importPersons(vault, Buffer.from(csv(1, 3000)), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } }).committed).toBe(true);
    const original = await openAllNumbers(vault, await keyFromPin(vault));
    const firstKey = (await keyFromPin(vault)).expose();
    vault.close();
    const dir = tempDir();
    writeFileSync(join(dir, 'pin'), `${ADMIN.pin}\n`);
    writeFileSync(join(dir, 'recovery'), `${recoveryCode}\n`);
    const args = ['rotate-vault-key', '--data', dataDir, '--user', ADMIN.login, '--pin-file', join(dir, 'pin'), '--recovery-code-file', join(dir, 'recovery'), '--batch-size', '200'];
    let completed = 0;
    let midway = 0;
    const report = await crashLoop({
      runs: RUNS,
      command: () => ({ script: CLI, args }),
      // Kills land after the first batch is committed (not while node starts, which a loaded machine stretches).
      from: '再封印',
      check: (_r, run) =>
        inspect(dataDir, (v, numbers) => {
          expect(numbers).toEqual(original);
          const state = readRotation(v.meta);
          const done = run.lines.some((l) => l.includes('金庫の鍵の交換が完了しました'));
          const cursors = run.lines.map((l) => /cursor (\d+)/u.exec(l)?.[1]).filter((c) => c !== undefined).map(Number);
          if (done) {
            expect(state, 'an acknowledged completion holds').toBeUndefined();
            completed++;
          } else if (state) {
            midway++;
            if (cursors.length) expect(state.cursor).toBeGreaterThanOrEqual(Math.max(...cursors));
          } else if (cursors.length) {
            // Killed after the completion committed but before it was printed.
            expect(auditEvents(v).at(-1)!.action).toBe('vault.key_rotated');
          }
        }),
    });
    console.info(`crash rotation: ${report.killed} killed, ${report.finished} finished; ${midway} checks found a rotation half done, ${completed} completions acknowledged; one run ${Math.round(report.durationMs)} ms`);
    expect(report.killed).toBeGreaterThanOrEqual(15);
    expect(midway).toBeGreaterThanOrEqual(5);
    // Finish whatever is half done, then: current keys open everything, the first key nothing.
    const last = await runChild(CLI, args);
    expect(last.code, last.stderr).toBe(0);
    await inspect(dataDir, async (v, numbers) => {
      expect(numbers).toEqual(original);
      expect(readRotation(v.meta)).toBeUndefined();
      const k = await keyFromPin(v);
      expect(k.expose().equals(firstKey)).toBe(false);
      const started = auditEvents(v).filter((e) => e.action === 'vault.key_rotation_started').length;
      const rotated = auditEvents(v).filter((e) => e.action === 'vault.key_rotated').length;
      expect(rotated).toBe(started);
      expect(rotated).toBeGreaterThanOrEqual(completed + 1);
    });
  }, 180_000);

  it('rekey: after every kill the database opens under the old or the new credential, and a rerun finishes', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    expect(importPersons(vault, Buffer.from(csv(2, 20_000)), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } }).committed).toBe(true);
    const original = await openAllNumbers(vault, await keyFromPin(vault));
    vault.close();
    const opensUnder = (file: string) => {
      if (!existsSync(file)) return false;
      const key = deriveFromCredential(new Secret(readFileSync(file)), 'sqlite');
      try {
        openDatabase(databasePath(dataDir), key).close();
        return true;
      } catch {
        return false;
      }
    };
    let acked = 0;
    const states = { current: 0, oldWithPending: 0, onlyPending: 0 };
    const report = await crashLoop({
      runs: RUNS,
      command: () => ({ script: CLI, args: ['rekey', '--data', dataDir] }),
      check: async (_r, run) => {
        const current = opensUnder(devCredentialPath(dataDir));
        const pending = opensUnder(pendingDevCredentialPath(dataDir));
        if (run.killed) states[current ? (existsSync(pendingDevCredentialPath(dataDir)) ? 'oldWithPending' : 'current') : 'onlyPending']++;
        expect(current || pending, 'opens under the old or the new credential').toBe(true);
        if (run.lines.some((l) => l.includes('データベース鍵の交換が完了しました'))) {
          acked++;
          expect(current).toBe(true);
        }
        if (current) await inspect(dataDir, (_v, numbers) => expect(numbers).toEqual(original));
      },
    });
    console.info(`crash rekey: ${report.killed} killed, ${report.finished} finished; after a kill the vault opened ${JSON.stringify(states)}; one run ${Math.round(report.durationMs)} ms`);
    expect(report.killed).toBeGreaterThanOrEqual(15);
    const last = await runChild(CLI, ['rekey', '--data', dataDir]);
    expect(last.code, last.stderr).toBe(0);
    expect(existsSync(pendingDevCredentialPath(dataDir))).toBe(false);
    await inspect(dataDir, (v, numbers) => {
      expect(numbers).toEqual(original);
      expect(auditEvents(v).filter((e) => e.action === 'vault.rekeyed').length).toBeGreaterThanOrEqual(acked + 1);
    });
  }, 180_000);
});
