import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { initDevVault } from '../../src/services/init-vault.js';
import { databasePath, openVault, type Vault } from '../../src/services/vault.js';
import { checkBackupDir } from '../../src/services/setup.js';
import { faultOf } from '../../src/storage/storage-errors.js';
import { PROBE_PREFIX } from '../../src/storage/write-probe.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { mnvault } from '../helpers/cli.js';
import { CLI, requireDist } from '../helpers/crash.js';
import { canMount, canMountExt4, failingExt4, fillDisk, readOnlyView, smallTmpfs } from '../helpers/mounts.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { syntheticNumber } from '../helpers/numbers.js';
import request from 'supertest';

/**
 * Storage faults named for what they are, at start and at run time, with
 * real fault injection: truncated and damaged files, a read-only bind mount,
 * a tmpfs that fills up, a data folder deleted while serving, a held lock.
 */
const clock = fixedClock('2026-04-01T00:00:00Z');
const root = canMount() ? it : it.skip;
const ext4 = canMountExt4() ? it : it.skip;

async function closedVault(dataDir?: string): Promise<string> {
  if (dataDir) {
    const { vault } = await initDevVault({ dataDir, admin: { login: ADMIN.login, password: new Secret(ADMIN.password), pin: new Secret(ADMIN.pin) }, clock, pinCost: TEST_PIN_COST });
    vault.close();
    return dataDir;
  }
  const t = await newTestVault(clock);
  t.vault.close();
  return t.dataDir;
}

function damage(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(64, 0x58), 0, 64, offset);
  } finally {
    closeSync(fd);
  }
}

describe('storage at start', () => {
  it('refuses a zero-byte vault.db before writing anything into it', async () => {
    const dataDir = await closedVault();
    writeFileSync(databasePath(dataDir), '');
    rmSync(join(dataDir, 'audit-head'));
    const r = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(r.stderr).toContain('空（0バイト）');
    expect(r.status).toBe(3);
    expect(statSync(databasePath(dataDir)).size).toBe(0);
    expect(existsSync(`${databasePath(dataDir)}-wal`)).toBe(false);
  });

  it('names a truncated file as damaged, not as a wrong key', async () => {
    const dataDir = await closedVault();
    truncateSync(databasePath(dataDir), 10_000);
    const r = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(r.stderr).toContain('データベースのファイルが壊れています');
    expect(r.stderr).toContain('途中で切れています');
    expect(r.stderr).not.toContain('データベース鍵が一致しません');
  });

  it('says both "wrong key" and "damaged first page" when page 1 does not open', async () => {
    const dataDir = await closedVault();
    damage(databasePath(dataDir), 200);
    const r = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(r.stderr).toContain('データベース鍵が一致しません');
    expect(r.stderr).toContain('1ページ目）が壊れています');
  });

  it('refuses to serve a file with a damaged page (quick_check at start), naming the restore', async () => {
    const dataDir = await closedVault();
    damage(databasePath(dataDir), 4096 * 12 + 100);
    const r = mnvault(['serve', '--data', dataDir, '--http', '--port', '0']);
    expect(r.stderr).toContain('データベースのファイルが壊れています');
    expect(r.stderr).toContain('mnvault restore');
    expect(r.status).toBe(3);
  });

  it('refuses to back up a file with a damaged page (quick_check before the copy), writing no backup', async () => {
    const dataDir = await closedVault();
    damage(databasePath(dataDir), 4096 * 12 + 100);
    const folder = tempDir();
    const r = mnvault(['backup', '--data', dataDir, '--to', folder]);
    expect(r.stderr).toContain('データベースのファイルが壊れています');
    expect(r.status).not.toBe(0);
    expect(readdirSync(folder).filter((f) => f.endsWith('.db'))).toEqual([]);
  });

  it('a folder in place of vault.db is named as such at start, by serve and audit verify (not a wrong key)', async () => {
    const dataDir = await closedVault();
    rmSync(databasePath(dataDir));
    mkdirSync(databasePath(dataDir));
    for (const args of [
      ['serve', '--http', '--port', '0'],
      ['audit', 'verify'],
    ]) {
      const r = mnvault([...args, '--data', dataDir]);
      expect(r.stderr).toContain('が通常のファイルではありません（フォルダなど）');
      expect(r.stderr).not.toContain('鍵が一致しません');
      expect(r.stderr).not.toContain('内部エラー');
      expect(r.status).toBe(3);
    }
  });

  const asOther = canMount() && existsSync('/usr/bin/setpriv') ? it : it.skip;
  asOther('an unreadable vault.db (mode 000, the service user not root) is named at start, by serve, audit verify and backup', async () => {
    requireDist();
    const dataDir = await closedVault();
    execFileSync('chown', ['-R', 'nobody', dirname(dataDir)]);
    chmodSync(databasePath(dataDir), 0o000);
    // Root reads any file: the commands run as an ordinary user, as the service's own user would.
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' },
        timeout: 60_000,
      });
    const backupTo = tempDir();
    execFileSync('chown', ['nobody', backupTo]);
    for (const args of [
      ['serve', '--http', '--port', '0'],
      ['audit', 'verify'],
      ['backup', '--to', backupTo],
    ]) {
      const r = asNobody([...args, '--data', dataDir]);
      expect(r.stderr).toContain('を読めません（所有者・権限）');
      expect(r.stderr).not.toContain('内部エラー');
      expect(r.stderr).not.toContain('書き込み禁止');
      expect(r.status).toBe(3);
    }
  });

  root('a read-only mount: serve says it cannot write; audit verify still checks the forensic copy', async () => {
    const dataDir = await closedVault();
    const ro = readOnlyView(dataDir);
    const serve = mnvault(['serve', '--data', ro, '--http', '--port', '0']);
    expect(serve.stderr).toContain('書き込めません');
    expect(serve.stderr).not.toContain('鍵が一致しません');
    expect(serve.status).toBe(3);
    const verify = mnvault(['audit', 'verify', '--data', ro]);
    expect(verify.stdout).toContain('監査記録は正常です');
    expect(verify.stderr).toContain('読み取り専用');
    expect(verify.status).toBe(0);
  });

  root('a write-protected vault.db (chattr +i) is refused at start, not opened read-only to fail at sign-in', async () => {
    const dataDir = await closedVault();
    const db = databasePath(dataDir);
    try {
      execFileSync('chattr', ['+i', db]);
    } catch {
      return; // a file system without the attribute: nothing to check here
    }
    try {
      const serve = mnvault(['serve', '--data', dataDir, '--http', '--port', '0']);
      expect(serve.stderr).toContain('書き込めません');
      expect(serve.status).toBe(3);
      expect(mnvault(['audit', 'verify', '--data', dataDir]).stdout).toContain('監査記録は正常です');
    } finally {
      execFileSync('chattr', ['-i', db]);
    }
  });
});

describe('storage at run time', () => {
  root('a full disk: the write is refused in Japanese (507), /health names it, the fault is audited once when there is room again', async () => {
    const disk = smallTmpfs(6 * 1024);
    const dataDir = await closedVault(join(disk, 'data'));
    const vault = openVault({ dataDir, clock });
    const faults = () => vault.db.prepare("SELECT count(*) FROM audit_events WHERE action = 'storage.fault'").pluck().get() as number;
    try {
      const app = testApp(vault);
      const b = new Browser(app);
      await b.get('/login');
      for (let round = 0; round < 2; round++) {
        fillDisk(join(disk, 'filler'));
        const r = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
        expect(r.status).toBe(507);
        expect(r.text).toContain('ディスクがいっぱい');
        const health = await request(app).get('/health');
        expect(health.status).toBe(503);
        expect(health.body.storage).toBe('full');
        // The backup folder check leaves no probe file behind after ENOSPC.
        expect(checkBackupDir(disk, dataDir).ok).toBe(false);
        expect(readdirSync(disk).filter((f) => f.startsWith(PROBE_PREFIX))).toEqual([]);
        rmSync(join(disk, 'filler'));
        expect((await request(app).get('/health')).status).toBe(200);
        expect(faults()).toBe(1);
      }
    } finally {
      vault.close();
    }
  });

  root('audit verify on a full disk prints its verdict and exits 0', async () => {
    const disk = smallTmpfs(6 * 1024);
    const dataDir = await closedVault(join(disk, 'data'));
    fillDisk(join(disk, 'filler'));
    const verify = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(verify.stdout).toContain('監査記録は正常です');
    expect(verify.stderr).toContain('記録していません');
    expect(verify.status).toBe(0);
  });

  it('a data folder deleted while serving: /health is not ok and writes are refused', async () => {
    const { vault, dataDir } = await newTestVault(clock);
    const app = testApp(vault);
    const b = new Browser(app);
    await b.get('/login');
    rmSync(dataDir, { recursive: true, force: true });
    const r = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
    expect(r.status).toBe(503);
    expect(r.text).toContain('データフォルダ（vault.db）が稼働中に消えました');
    const health = await request(app).get('/health');
    expect(health.status).toBe(503);
    expect(health.body.storage).toBe('missing');
  });

  it('a request that meets a held lock gets 503 「しばらく待って再実行してください」, not a 500', async () => {
    const { vault } = await newTestVault(clock);
    vault.db.pragma('busy_timeout = 50');
    const app = testApp(vault);
    const b = new Browser(app);
    await b.get('/login');
    const { default: Database } = await import('better-sqlite3-multiple-ciphers');
    const other = new Database(databasePath(vault.dataDir));
    other.pragma("cipher='aegis'");
    other.pragma(`key="raw:${vault.dbKey.expose().toString('hex')}"`);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const r = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
      expect(r.status).toBe(503);
      expect(r.text).toContain('しばらく待って再実行してください');
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
  });

  it('the status page shows the storage state and the quick_check result', async () => {
    const { vault } = await newTestVault(clock);
    const b = new Browser(testApp(vault));
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    const page = await b.get('/admin/status');
    expect(page.status).toBe(200);
    expect(page.text).toContain('データベースへの書き込み');
    expect(page.text).toContain('データベースの整合性（quick_check）');
    expect(page.text).toMatch(/問題はありません（\d+ ミリ秒）/u);
  });

  it('a page view does not wait for a lock another process holds (the session touch is skipped)', async () => {
    const clock2 = fixedClock('2026-04-01T00:00:00Z');
    const { vault } = await newTestVault(clock2);
    const b = new Browser(testApp(vault));
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    clock2.advance(60_000);
    const { default: Database } = await import('better-sqlite3-multiple-ciphers');
    const other = new Database(databasePath(vault.dataDir));
    other.pragma("cipher='aegis'");
    other.pragma(`key="raw:${vault.dbKey.expose().toString('hex')}"`);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const t0 = performance.now();
      const r = await b.get('/persons');
      expect(r.status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(2000);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
  });

  it('a damaged page met while serving: the restore drill in Japanese (503), /health and the status page say damaged, audited once', async () => {
    const { vault } = await newTestVault(clock);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${syntheticNumber(31, 2)}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const personId = vault.persons.codes('employee').get('E1')!;
    const app = testApp(vault);
    const b = new Browser(app);
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    expect((await b.get(`/persons/${personId}`)).status).toBe(200);
    // The persons table's page on disk is overwritten; the connection's cache let go, so the next read meets it.
    const page = vault.db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'persons'").pluck().get() as number;
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    damage(databasePath(vault.dataDir), (page - 1) * 4096 + 200);
    vault.db.pragma('shrink_memory');
    for (let i = 0; i < 2; i++) {
      const r = await b.get(`/persons/${personId}`);
      expect(r.status).toBe(503);
      expect(r.text).toContain('データベースのファイルが壊れています');
      expect(r.text).toContain('mnvault restore');
      expect(r.text).toContain('復元の訓練');
      expect(r.text).not.toContain('内部エラー');
    }
    const health = await request(app).get('/health');
    expect(health.status).toBe(503);
    expect((health.body as { storage: string }).storage).toBe('damaged');
    const status = await b.get('/admin/status');
    expect(status.status).toBe(200);
    expect(status.text).toMatch(/データベースへの書き込み[\s\S]*?要確認[\s\S]*?データベースのファイルが壊れています/u);
    const audited = vault.db.prepare("SELECT detail FROM audit_events WHERE action = 'storage.fault'").pluck().all() as string[];
    expect(audited.map((d) => (JSON.parse(d) as { fault: string }).fault)).toEqual(['damaged']);
  });

  it('damage found by quick_check on the status page is the service state: /health says damaged, audited once', async () => {
    const { vault } = await newTestVault(clock);
    const app = testApp(vault);
    const b = new Browser(app);
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    // A page no request of this test reads: only the check meets it.
    const page = vault.db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'persons'").pluck().get() as number;
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    damage(databasePath(vault.dataDir), (page - 1) * 4096 + 200);
    vault.db.pragma('shrink_memory');
    expect((await request(app).get('/health')).status).toBe(200);
    const status = await b.get('/admin/status');
    expect(status.text).toContain('問題が見つかりました');
    const health = await request(app).get('/health');
    expect(health.status).toBe(503);
    expect((health.body as { storage: string }).storage).toBe('damaged');
    await b.get('/admin/status');
    expect(vault.db.prepare("SELECT count(*) FROM audit_events WHERE action = 'storage.fault'").pluck().get()).toBe(1);
  });

  it('SQLite refuses writes (SQLITE_READONLY): what to check in Japanese (503), /health stays read-only until writes work, then audited once', async () => {
    const { vault } = await newTestVault(clock);
    const app = testApp(vault);
    const admin = new Browser(app);
    expect((await admin.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    const b = new Browser(app);
    await b.get('/login');
    // The storage boundary turns read-only: SQLite itself answers SQLITE_READONLY to every write, while the folder still takes a file.
    vault.db.pragma('query_only = ON');
    const faults = () => vault.db.prepare("SELECT detail FROM audit_events WHERE action = 'storage.fault'").pluck().all() as string[];
    for (let i = 0; i < 2; i++) {
      const r = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
      expect(r.status).toBe(503);
      expect(r.text).toContain('データフォルダに書き込めません');
      expect(r.text).toContain('所有者');
      const health = await request(app).get('/health');
      expect(health.status).toBe(503);
      expect((health.body as { storage: string }).storage).toBe('readonly');
    }
    // A signed-in view still shows data (its session touch is skipped), with the state on the status page.
    clock.advance(60_000);
    const status = await admin.get('/admin/status');
    expect(status.status).toBe(200);
    expect(status.text).toMatch(/データベースへの書き込み[\s\S]*?要確認[\s\S]*?データフォルダに書き込めません/u);
    expect(faults()).toEqual([]);
    vault.db.pragma('query_only = OFF');
    expect((await request(app).get('/health')).status).toBe(200);
    expect(faults().map((d) => (JSON.parse(d) as { fault: string }).fault)).toEqual(['readonly']);
    expect((await b.post('/login', { login: ADMIN.login, password: ADMIN.password })).status).toBe(303);
  });

  ext4('a disk the kernel remounts read-only under the running service: 503 naming it, /health and the status page say read-only', async () => {
    const disk = failingExt4();
    const dataDir = await closedVault(join(disk.dir, 'data'));
    const vault = openVault({ dataDir, clock });
    try {
      const app = testApp(vault);
      const admin = new Browser(app);
      expect((await admin.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
      const b = new Browser(app);
      await b.get('/login');
      disk.goReadOnly();
      const r = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
      expect(r.status).toBe(503);
      expect(r.text).toContain('データフォルダに書き込めません');
      const health = await request(app).get('/health');
      expect(health.status).toBe(503);
      expect((health.body as { storage: string }).storage).toBe('readonly');
      clock.advance(60_000);
      const status = await admin.get('/admin/status');
      expect(status.status).toBe(200);
      expect(status.text).toMatch(/データベースへの書き込み[\s\S]*?要確認[\s\S]*?データフォルダに書き込めません/u);
    } finally {
      try {
        vault.close();
      } catch {
        // the file system is read-only: the close cannot checkpoint
      }
    }
  });

  it('maps SQLite and system codes to named faults, also under a wrapping error', () => {
    expect(faultOf({ code: 'SQLITE_FULL' })).toBe('full');
    expect(faultOf(new Error('x', { cause: { code: 'SQLITE_CORRUPT' } }))).toBe('damaged');
    expect(faultOf({ code: 'SQLITE_READONLY_DBMOVED' })).toBe('readonly');
    expect(faultOf({ code: 'SQLITE_BUSY_SNAPSHOT' })).toBe('busy');
    expect(faultOf({ code: 'ENOSPC' })).toBe('full');
    expect(faultOf(new Error('other'))).toBeUndefined();
  });
});

// Keeps the type import used when the root-only tests are skipped.
export type { Vault };
void tempDir;
