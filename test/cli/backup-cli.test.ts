import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { packagePath } from '../../src/paths.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { readBackups, sha256File } from '../../src/services/backup-files.js';
import { openVault } from '../../src/services/vault.js';
import { devCredentialPath } from '../../src/vault/credential.js';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const N1 = syntheticNumber(1, 79);
const CSV = ['種別,社員番号,氏名,個人番号', `従業員,E1,退職 一郎,${N1}`, `従業員,E2,在職 二郎,${syntheticNumber(2, 79)}`].join('\n');

async function setUp() {
  const t = await newTestVault(fixedClock('2035-04-01T00:00:00Z'));
  await addStaff(t.vault);
  expect(importPersons(t.vault, Buffer.from(CSV), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } }).committed).toBe(true);
  const folder = tempDir('mnvault-cli-backups-');
  const secrets = tempDir('mnvault-secrets-');
  const pinFile = join(secrets, 'pin');
  writeFileSync(pinFile, `${HANDLER.pin}\n`);
  return { ...t, folder, pinFile, secrets };
}

describe('mnvault backup / restore', () => {
  it('backs up, lists (flagging a backup made before a later disposal), restores with a PIN and drills without printing the number', async () => {
    const { vault, dataDir, folder, pinFile } = await setUp();
    const made = mnvault(['backup', '--data', dataDir, '--to', folder, '--keep', '5']);
    expect(made.stderr).not.toContain('エラー');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/バックアップを作成しました: .*mnvault-\d{8}T\d{6}Z-[0-9a-f]{6}\.db/u);
    const [b] = readBackups(folder);

    const e1 = vault.persons.codes('employee').get('E1')!;
    retirePerson(vault, { id: 't', name: 't' }, e1, '2026-03-31', null);
    const id = proposeDisposal(vault, vault.users.byLogin(HANDLER.login)!, { personIds: [String(e1)] }, null);
    approveDisposal(vault, vault.users.byLogin(ADMIN.login)!, id, null);
    const list = mnvault(['backup', '--list', '--data', dataDir, '--to', folder]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(b!.manifest.file);
    expect(list.stdout).toContain(`廃棄前のバックアップ: 廃棄 #${id} で削除した番号を含みます`);

    const newDir = join(tempDir('mnvault-restore-'), 'restored');
    const r = mnvault(['restore', '--from', b!.path, '--data', newDir, '--pin-file', pinFile, '--credential', devCredentialPath(dataDir)]);
    expect(r.stderr).not.toContain('エラー');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`1件の番号を開けました（人物ID ${e1}）`);
    expect(r.stdout + r.stderr).not.toContain(N1);
    const verify = mnvault(['audit', 'verify', '--data', newDir]);
    expect(verify.status).toBe(0);
    const restored = openVault({ dataDir: newDir, clock: fixedClock('2035-05-01T00:00:00Z') });
    try {
      expect(restored.persons.numberOf(e1)!.state).toBe('held'); // the backup predates the disposal
      // The vault's trail is dated 2035 and the CLI runs on the real clock, so the trail also notes the clock being behind.
      expect([...restored.auditRepo.iterateRaw(b!.manifest.auditSeq + 1)].map((x) => x[4]).filter((a) => a !== 'clock.behind')).toEqual(['backup.restored', 'restore.drill', 'audit.verified']);
    } finally {
      restored.close();
    }
  });

  it('a wrong credential or a wrong PIN: exit 2 with a clear message, and nothing left of NEWDIR', async () => {
    const { dataDir, folder, pinFile, secrets } = await setUp();
    expect(mnvault(['backup', '--data', dataDir, '--to', folder]).status).toBe(0);
    const [b] = readBackups(folder);
    const otherKey = join(secrets, 'other-db-key');
    writeFileSync(otherKey, randomBytes(32));
    const newDir = join(tempDir('mnvault-restore-'), 'restored');
    const wrongKey = mnvault(['restore', '--from', b!.path, '--data', newDir, '--pin-file', pinFile, '--credential', otherKey]);
    expect(wrongKey.status).toBe(2);
    expect(wrongKey.stderr).toContain('データベース鍵（db-key）がこのバックアップと一致しないため、開けません');
    expect(existsSync(newDir)).toBe(false);
    const badPin = join(secrets, 'bad-pin');
    writeFileSync(badPin, '000000\n');
    const wrongPin = mnvault(['restore', '--from', b!.path, '--data', newDir, '--pin-file', badPin, '--credential', devCredentialPath(dataDir)]);
    expect(wrongPin.status).toBe(2);
    expect(wrongPin.stderr).toContain('PIN が正しくありません');
    expect(existsSync(newDir)).toBe(false);
    const noCred = mnvault(['restore', '--from', b!.path, '--data', newDir, '--pin-file', pinFile]);
    expect(noCred.status).toBe(2);
    expect(noCred.stderr).toContain('--credential');
  });

  it('refuses relative paths, "..", names that are not backups and bad counts with exit 2', async () => {
    const { dataDir, folder, pinFile } = await setUp();
    const cases: [string[], RegExp][] = [
      [['backup', '--data', dataDir, '--to', 'relative/backups'], /絶対パス/u],
      [['backup', '--data', dataDir, '--to', `${folder}/../..`], /「\.\.」/u],
      [['backup', '--data', dataDir, '--to', folder, '--keep', 'abc'], /1〜365/u],
      [['backup', '--data', dataDir, '--to', folder, '--keep', '0'], /1〜365/u],
      [['backup', '--data', dataDir, '--to', dataDir], /データフォルダーの中/u],
      [['backup', '--data', dataDir, '--to', '/nonexistent-mnvault-folder'], /見つかりません/u],
      [['restore', '--from', '../x.db', '--data', '/tmp/mnvault-nope', '--pin-file', pinFile], /絶対パス/u],
      [['restore', '--from', `${folder}/../../etc/passwd`, '--data', '/tmp/mnvault-nope', '--pin-file', pinFile], /「\.\.」/u],
      [['restore', '--from', '/etc/passwd', '--data', '/tmp/mnvault-nope', '--pin-file', pinFile, '--credential', devCredentialPath(dataDir)], /バックアップのファイル名ではありません/u],
      [['restore', '--from', `${folder}/mnvault-20350101T000000Z-abcdef.db`, '--data', 'rel', '--pin-file', pinFile], /絶対パス/u],
      [['restore', '--from', `${folder}/mnvault-20350101T000000Z-abcdef.db`, '--data', '/tmp/mnvault-nope', '--pin-file', pinFile, '--recovery-code-file', pinFile], /どちらか一方/u],
    ];
    for (const [args, message] of cases) {
      const r = mnvault(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync('/tmp/mnvault-nope')).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('survives SIGKILL at random points of `mnvault backup` (30 times): the vault opens and verifies, and the folder holds whole backups only', async () => {
    const { dataDir, folder } = await setUp();
    const main = packagePath('dist', 'src', 'cli', 'main.js');
    const runChild = (killAfterMs: number | null) =>
      new Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, [main, 'backup', '--data', dataDir, '--to', folder, '--keep', '100'], { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' }, stdio: 'ignore' });
        const timer = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ ms: performance.now() - t0, code, signal });
        });
      });
    const full = await runChild(null);
    expect(full.code).toBe(0);
    let complete = readBackups(folder).length;
    // Until 30 kills have landed mid-run (a run that finishes before its kill counts as a run, not a kill).
    let killed = 0;
    for (let attempt = 0; killed < 30 && attempt < 90; attempt++) {
      const r = await runChild(Math.random() * full.ms);
      if (r.signal === 'SIGKILL') killed++;
      const vault = openVault({ dataDir, clock: fixedClock('2035-04-02T00:00:00Z') });
      try {
        expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
      } finally {
        vault.close();
      }
      const backups = readBackups(folder);
      expect([complete, complete + 1]).toContain(backups.length);
      expect(backups.every((b) => b.problem === null)).toBe(true);
      const newest = backups.length > complete ? backups.find((b) => b.manifest.auditSeq >= 0 && !b.problem) : undefined;
      if (newest) expect(await sha256File(newest.path)).toBe(newest.manifest.sha256);
      complete = backups.length;
    }
    expect(killed).toBe(30);
    for (const b of readBackups(folder)) expect(await sha256File(b.path)).toBe(b.manifest.sha256);
    // The next backup clears what the killed ones left.
    expect((await runChild(null)).code).toBe(0);
    // Whole backups and the disposal ledger that travels with them (issue 11), nothing else.
    expect(readdirSync(folder).filter((n) => !/^mnvault-\d{8}T\d{6}Z-[0-9a-f]{6}\.(db|json)$/u.test(n))).toEqual(['disposal-ledger.json']);
    expect(readdirSync(folder).filter((n) => n.endsWith('.db')).length).toBe(readBackups(folder).length);
  }, 180_000);
});
