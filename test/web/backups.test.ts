import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { readBackups } from '../../src/services/backup-files.js';
import { startBackupSchedule } from '../../src/services/backup-runner.js';
import { auditEvents } from '../helpers/audit.js';
import { syntheticCsv } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, coreOf, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

async function setUp(withFolder = true) {
  const { vault } = await newTestVault(fixedClock('2035-04-01T00:00:00Z'));
  await addStaff(vault);
  importPersons(vault, Buffer.from(syntheticCsv(300, 73)), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const folder = tempDir('mnvault-web-backups-');
  if (withFolder) vault.meta.set('backup_dir', folder);
  const app = testApp(vault);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  return { vault, folder, app, admin };
}

async function waitDone(b: Browser): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    const s = (await b.get('/admin/backups/status')).body as Record<string, unknown>;
    seen.push(s);
    if (s.state === 'done') return s;
    expect(s.state).toBe('running');
    expect(typeof s.pagesCopied).toBe('number');
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('backup did not finish');
}

describe('backup page', () => {
  it('runs 「今すぐバックアップ」 over HTTP, reports its progress as JSON, then lists the backup', async () => {
    const { vault, folder, admin } = await setUp();
    const page = await admin.get('/admin/backups');
    expect(page.status).toBe(200);
    expect(page.text).toContain('今すぐバックアップ');
    expect(page.text).toContain(folder);
    expect(page.text).toContain('/static/backups.js');
    expect(page.text).not.toMatch(/<script>|style=/u);
    const run = await admin.post('/admin/backups/run');
    expect(run.status).toBe(303);
    expect(run.headers.location).toBe('/admin/backups#run');
    const running = (await admin.get('/admin/backups/status')).body as { state: string };
    expect(['running', 'done']).toContain(running.state);
    const done = await waitDone(admin);
    expect(done).toMatchObject({ state: 'done', ok: true, trigger: 'web' });
    const [b] = readBackups(folder);
    expect(done.file).toBe(b!.manifest.file);
    const after = await admin.get('/admin/backups');
    expect(after.text).toContain(b!.manifest.file);
    expect(after.text).toContain('バックアップを作成しました');
    expect(after.text).toContain(b!.manifest.sha256);
    const ev = auditEvents(vault).filter((e) => e.action === 'backup.created');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actorId).toBe(vault.users.byLogin(ADMIN.login)!.id);
    expect((await admin.get('/static/backups.js')).status).toBe(200);
  });

  it('is for admins only', async () => {
    const { app } = await setUp();
    for (const who of [HANDLER, AUDITOR]) {
      const b = new Browser(app);
      await b.signIn(who.login, who.password);
      expect((await b.get('/admin/backups')).status).toBe(403);
      expect((await b.get('/admin/backups/status')).status).toBe(403);
      await b.get('/');
      expect((await b.post('/admin/backups/run')).status).toBe(403);
    }
  });

  it('saves the daily schedule (audited) and refuses hostile input with a Japanese 400', async () => {
    const { vault, admin } = await setUp();
    await admin.get('/admin/backups');
    const ok = await admin.post('/admin/backups/schedule', { time: '2:00', keep: '3' });
    expect(ok.status).toBe(303);
    const page = await admin.get('/admin/backups?saved=1');
    expect(page.text).toContain('毎日 02:00（日本時間）に実行し、新しい 3 件を残します。');
    expect(auditEvents(vault).filter((e) => e.action === 'settings.updated').map((e) => e.detail.key)).toEqual(['backup_time', 'backup_keep']);
    for (const form of <Record<string, string>[]>[{ time: '02:00', keep: '../../etc' }, { time: '25:00', keep: '3' }, { time: '02:00', keep: '0' }, { time: '02:00', keep: '3', folder: '/etc' }, { time: '../x', keep: '3' }]) {
      const bad = await admin.post('/admin/backups/schedule', form);
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/残すバックアップの数|00:00〜23:59|送信された内容の形式/u);
    }
    expect((await admin.post('/admin/backups/schedule', { time: '03:00', keep: '3' }, null)).status).toBe(403);
    expect(vault.meta.get('backup_time')).toBe('02:00');
  });

  it('shows a failed backup on the admin home page until one succeeds', async () => {
    const { vault, admin, folder } = await setUp(false);
    vault.meta.set('backup_dir', join(folder, 'unplugged'));
    await admin.get('/admin/backups');
    await admin.post('/admin/backups/run');
    const done = await waitDone(admin);
    expect(done).toMatchObject({ ok: false });
    expect(String(done.reason)).toMatch(/フォルダーが見つかりません/u);
    const home = await admin.get('/');
    expect(home.text).toContain('バックアップに失敗しています');
    expect(auditEvents(vault).at(-1)!.action).toBe('backup.failed');
    vault.meta.set('backup_dir', folder);
    await admin.post('/admin/backups/run');
    await waitDone(admin);
    expect((await admin.get('/')).text).not.toContain('バックアップに失敗しています');
  });

  it('runs the daily backup once a Japan day, as システム', async () => {
    const { vault, folder, app } = await setUp();
    vault.meta.set('backup_time', '02:00'); // 2035-04-01T00:00Z is 09:00 in Japan: due
    const runner = coreOf(app).backupRunner;
    const schedule = startBackupSchedule(vault, runner, 3_600_000);
    try {
      await schedule.tick();
      await schedule.tick();
    } finally {
      schedule.stop();
    }
    expect(readBackups(folder)).toHaveLength(1);
    const ev = auditEvents(vault).filter((e) => e.action === 'backup.created');
    expect(ev.map((e) => [e.actorId, e.detail.trigger])).toEqual([['system', 'schedule']]);
    expect(runner.status().state).toBe('done');
  });
});
