import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser } from '../../src/services/accounts.js';
import { setCompanyName } from '../../src/services/settings.js';
import { setBackupDir } from '../../src/services/setup.js';
import { openVault } from '../../src/services/vault.js';
import { forms } from '../helpers/canary.js';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { tempDir } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = [syntheticNumber(401, 6), syntheticNumber(402, 6), syntheticNumber(403, 6)];
const PERSONS = [
  ['従業員', 'E1', '山田 太郎', 'ヤマダ タロウ'],
  ['扶養親族', '', '山田 花子', 'ヤマダ ハナコ'],
  ['支払先', 'P1', '田中 翔', 'タナカ ショウ'],
] as const;
const ADMIN = { login: 'sato-kanri', password: 'admin pass phrase 2026', pin: '73915482' };
const HANDLER = { login: 'suzuki-tanto', displayName: '鈴木 一郎', password: 'handler pass phrase 2026' };
const COMPANY = '株式会社テスト商事';
const HOST = 'vault.test-shoji.example';

describe('mnvault support-bundle', () => {
  it('writes one 0600 file with what a helper needs and no number, name, password, host or folder name', async () => {
    const work = tempDir();
    const data = join(work, 'data');
    writeFileSync(join(work, 'pw'), `${ADMIN.password}\n`, { mode: 0o600 });
    writeFileSync(join(work, 'pin'), `${ADMIN.pin}\n`, { mode: 0o600 });
    const init = mnvault(['init', '--data', data, '--dev', '--admin-user', ADMIN.login, '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
    expect(init.status).toBe(0);
    const recovery = /[0-9A-Z]{4}(-[0-9A-Z]{4}){7}/u.exec(init.stdout)![0];
    const csv = ['種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号', ...PERSONS.map((p, i) => `${p[0]},${p[1]},${p[2]},${p[3]},1980-04-01,${NUMBERS[i]},${i === 1 ? '配偶者' : ''},${i === 1 ? 'E1' : ''}`)].join('\n');
    writeFileSync(join(work, 'in.csv'), csv);
    expect(mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'in.csv')]).status).toBe(0);

    // The admin's settings: a company name, a handler, a backup folder whose path holds a name.
    const backupDir = join(work, 'backup-yamada');
    mkdirSync(backupDir, { mode: 0o700 });
    const vault = openVault({ dataDir: data, clock: systemClock });
    try {
      const admin = vault.users.byLogin(ADMIN.login)!;
      const actor = { id: admin.id, name: admin.displayName };
      setCompanyName(vault, actor, COMPANY, null);
      await createUser(vault, actor, { login: HANDLER.login, displayName: HANDLER.displayName, role: 'handler', password: new Secret(HANDLER.password) }, null);
      expect(setBackupDir(vault, actor, backupDir, null).ok).toBe(true);
    } finally {
      vault.close();
    }

    // The service's log: one value-free error line, one that holds a number, one line of free text.
    const log = join(work, 'service.log');
    writeFileSync(
      log,
      [
        JSON.stringify({ level: 'error', event: 'request_failed', ref: 'abcd1234', error: { class: 'SqliteError', frames: ['f (dist/src/web/app.js:1:2)'] } }),
        JSON.stringify({ level: 'error', event: 'request_failed', ref: 'ffff0000', path: `/persons/${NUMBERS[0]}` }),
        `${PERSONS[0][2]} のログ行`,
        JSON.stringify({ level: 'info', event: 'listening' }),
      ].join('\n'),
    );

    const outFile = join(work, 'bundle.json');
    const r = mnvault(['support-bundle', '--data', data, '--out', outFile, '--log', log], {
      MNVAULT_PUBLIC_URL: `https://${HOST}:8443`,
      MNVAULT_SYSLOG: `tls://syslog.test-shoji.example:6514`,
    });
    expect(r.stderr.replace(/\*+[^\n]*\n/gu, '')).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(outFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(outFile, 'utf8');
    const b = JSON.parse(text);

    // What a helper needs.
    expect(b.version.package).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(b.runtime.node).toBe(process.version);
    expect(b.vault.integrity).toMatchObject({ check: 'quick_check', result: 'ok' });
    expect(b.vault.tables.persons).toBe(3);
    expect(b.vault.accounts).toMatchObject({ total: 2, byRole: { admin: 1, handler: 1 } });
    expect(b.vault.auditHead.seq).toBeGreaterThan(0);
    expect(b.checks.map((c: { key: string }) => c.key)).toEqual(expect.arrayContaining(['company', 'networks', 'handlers', 'backup', 'credential', 'disk']));
    expect(b.dataFolder).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'vault.db' })]));
    expect(b.settings).toMatchObject({ mode: 'development', publicUrl: 'set (value removed)', syslog: { protocol: 'tls', host: 'set (value removed)' } });
    expect(b.vault.settings.company_name).toBe('[removed]');
    expect(b.vault.settings.backup_dir).toBe('[removed]');
    expect(b.recentErrors.lines).toEqual([expect.objectContaining({ ref: 'abcd1234' })]);
    expect(typeof b.unit === 'string' ? b.unit : b.unit.LoadState).toMatch(/^(not available \(.+\)|loaded)$/u);

    // And nothing personal: every number, name, password, PIN and code the test used, the company, the host, the folders.
    const needles = [
      ...NUMBERS.flatMap(forms),
      ...PERSONS.flatMap((p) => [p[2], p[3], p[2].split(' ')[0]!, p[3].split(' ')[0]!]),
      ADMIN.login, ADMIN.password, ADMIN.pin, HANDLER.login, HANDLER.displayName, HANDLER.password, recovery,
      COMPANY, 'テスト商事', 'test-shoji', 'yamada', work,
    ];
    for (const n of needles) {
      expect(text, n).not.toContain(n);
      // The command's own output names the file the operator gave, and nothing else of theirs.
      if (n !== work) expect(r.stdout, n).not.toContain(n);
    }
  });

  it('still writes the bundle when the vault does not open, saying why', () => {
    const work = tempDir();
    const data = join(work, 'data');
    writeFileSync(join(work, 'pw'), 'admin pass phrase 2026\n', { mode: 0o600 });
    writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
    expect(mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]).status).toBe(0);
    writeFileSync(join(data, 'credentials', 'db-key'), randomBytes(32));
    const outFile = join(work, 'bundle.json');
    const r = mnvault(['support-bundle', '--data', data, '--out', outFile]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('取得できなかった項目: vault, checks');
    const b = JSON.parse(readFileSync(outFile, 'utf8'));
    expect(b.vault).toBe('not available (wrong_key)');
    expect(b.dataFolder).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'vault.db' })]));
  });

  it('reads the unit state, its restarts and error lines from systemctl and journalctl', () => {
    const work = tempDir();
    const data = join(work, 'data');
    writeFileSync(join(work, 'pw'), 'admin pass phrase 2026\n', { mode: 0o600 });
    writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
    expect(mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]).status).toBe(0);
    // Stand-ins for systemd's tools, answering as they do on the appliance.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\nprintf "LoadState=loaded\\nActiveState=active\\nSubState=running\\nNRestarts=2\\nResult=success\\n"\n', { mode: 0o755 });
    const entry = (ident: string, message: string, us: number) => JSON.stringify({ SYSLOG_IDENTIFIER: ident, MESSAGE: message, __REALTIME_TIMESTAMP: String(us) });
    const journal = [
      entry('systemd', 'mnvault.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED', 1_700_000_000_000_000),
      entry('systemd', 'mnvault.service: Scheduled restart job, restart counter is at 2.', 1_700_000_005_000_000),
      entry('node', JSON.stringify({ level: 'error', event: 'request_failed', ref: '0badc0de', error: { class: 'TypeError', frames: [] } }), 1_700_000_006_000_000),
      entry('node', JSON.stringify({ level: 'error', event: 'x', note: NUMBERS[0] }), 1_700_000_007_000_000),
    ].join('\n');
    writeFileSync(join(work, 'journal.json'), `${journal}\n`);
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\ncat '${join(work, 'journal.json')}'\n`, { mode: 0o755 });
    const outFile = join(work, 'bundle.json');
    const r = mnvault(['support-bundle', '--data', data, '--out', outFile], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(r.status).toBe(0);
    const text = readFileSync(outFile, 'utf8');
    const b = JSON.parse(text);
    expect(b.unit).toMatchObject({ ActiveState: 'active', NRestarts: '2' });
    expect(b.restarts.map((x: { line: string }) => x.line)).toEqual([
      'mnvault.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED',
      'mnvault.service: Scheduled restart job, restart counter is at 2.',
    ]);
    expect(b.recentErrors).toEqual({ source: 'journal', lines: [expect.objectContaining({ ref: '0badc0de' })] });
    for (const f of forms(NUMBERS[0]!)) expect(text).not.toContain(f);
  });
});
