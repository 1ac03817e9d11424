import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { forms } from '../helpers/canary.js';
import { validNumber } from '../helpers/numbers.js';
import { applianceUnavailable, CHECKOUT, ensureImage, Machine } from './machine.js';
import { secretFromEnrolPage, totpCode } from '../helpers/second-factor.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

/**
 * The appliance as an operator gets it: a Debian 12 machine booted with systemd, scripts/install.sh
 * run from the checkout as docs/operations.md says, then its operations commands and the office
 * app over HTTPS from outside the machine. Every command line here that starts with `sudo` is one
 * README.md, docs/operations.md or docs/reports.md shows (keep them in step).
 */
const unavailable = applianceUnavailable();
const ADMIN = { login: 'kanri', password: 'correct horse battery', pin: '246810' };
const PEOPLE = [
  { code: 'E9001', name: '検証花子', number: validNumber('98765432101') },
  { code: 'E9002', name: '検証一郎', number: validNumber('98765432102') },
];
const BACKUP_DIR = '/mnt/mnvault-backup';

let machine: Machine | undefined;
let port = 0;
let ca = '';
const cookies = new Map<string, string>();
const timings: string[] = [];
let tick = Date.now();
const lap = (what: string) => {
  timings.push(`${what} ${((Date.now() - tick) / 1000).toFixed(1)} s`);
  tick = Date.now();
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

function request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Reply> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca,
        method,
        path,
        agent: false,
        timeout: 60_000,
        headers: {
          Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const c of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
            const [pair] = c.split(';');
            const i = pair!.indexOf('=');
            cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1));
          }
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const csrfOf = (html: string): string => {
  const token = /name="_csrf" value="([^"]+)"/u.exec(html)?.[1];
  if (!token) throw new Error(`no CSRF token on the page:\n${html.slice(0, 500)}`);
  return token;
};

/** Waits until the service answers /health over HTTPS (after a start, restart or kill). */
async function waitForService(seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const r = await request('GET', '/health');
      if (r.status === 200) return;
    } catch {
      // not listening yet: try again until the deadline
    }
    if (Date.now() > deadline) throw new Error(`the service did not answer in ${seconds} s:\n${machine!.run('systemctl status mnvault --no-pager; journalctl -u mnvault --no-pager | tail -40').stdout}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const m = (): Machine => {
  if (!machine) throw new Error('the machine did not boot');
  return machine;
};
const mainPid = () => m().ok('systemctl show -p MainPID --value mnvault').trim();

beforeAll(async () => {
  if (unavailable) return;
  tick = Date.now();
  const image = ensureImage((line) => process.stderr.write(`appliance: ${line}\n`));
  lap('image');
  machine = await Machine.boot(image, packagePath());
  lap('boot');
  port = await freePort();
}, 900_000);

afterAll(() => {
  machine?.stop();
  if (timings.length) process.stderr.write(`appliance: ${timings.join(', ')}\n`);
}, 120_000);

describe.skipIf(unavailable)(`the appliance installed on Debian 12 booted with systemd${unavailable ? ` (skipped: ${unavailable})` : ''}`, { timeout: 600_000 }, () => {
  it('installs with scripts/install.sh as docs/operations.md says, and the unit runs', () => {
    // The install of docs/operations.md, with the first admin's secrets from files (no terminal here).
    m().ok(`umask 077 && printf '%s\\n' '${ADMIN.password}' >/root/admin-password && printf '%s\\n' '${ADMIN.pin}' >/root/admin-pin && cp /root/admin-pin /root/pin`);
    const out = m().ok(
      `cd ${CHECKOUT} && sudo scripts/install.sh --networks 127.0.0.0/8,::1/128 --port ${port} --backup-dir ${BACKUP_DIR} ` +
        '--admin-user kanri --admin-password-file /root/admin-password --admin-pin-file /root/admin-pin',
      { timeout: 600_000 },
    );
    lap('install');
    expect(out).toContain('マイナンバー金庫のインストールが完了しました。');
    expect(out).toMatch(/サーバー証明書の指紋: [0-9A-F]{2}(:[0-9A-F]{2}){31}/u);
    // The folder is made once the user exists; the restart lets the service's sandbox see it
    // (ReadWritePaths=-DIR skips a folder that was missing when the service started).
    m().ok(`sudo install -d -o mnvault -g mnvault -m 0700 ${BACKUP_DIR} && sudo systemctl restart mnvault`);
    expect(m().run('systemctl is-active mnvault').stdout.trim()).toBe('active');
    expect(m().run('systemctl is-enabled mnvault').stdout.trim()).toBe('enabled');
    expect(m().ok('systemctl show -p After --value mnvault')).toContain('time-sync.target');
    expect(m().ok('command -v mnvault').trim()).toBe('/usr/local/bin/mnvault');
    ca = readFileSync(join(m().root, 'var/lib/mnvault/tls/ca.pem'), 'utf8');
  });

  it('shows the CA fingerprint the way docs/operations.md tells the operator to compare it', () => {
    const out = m().ok('sudo openssl x509 -in /var/lib/mnvault/tls/ca.pem -noout -fingerprint -sha256');
    expect(out).toMatch(/^sha256 Fingerprint=[0-9A-F]{2}(:[0-9A-F]{2}){31}$/mu);
  });

  it('keeps the exposure of the running unit at 2.0 or less (systemd-analyze security inside)', () => {
    const out = m().ok('SYSTEMD_COLORS=0 systemd-analyze security mnvault.service --no-pager');
    const score = Number(/Overall exposure level for mnvault\.service: (\d+\.\d)/u.exec(out)?.[1]);
    expect(score, out).toBeLessThanOrEqual(2.0);
  });

  it('signs the admin in over HTTPS from outside the machine', async () => {
    await waitForService();
    const page = await request('GET', '/login');
    expect(page.status).toBe(200);
    const signedIn = await request('POST', '/login', { _csrf: csrfOf(page.text), login: ADMIN.login, password: ADMIN.password });
    expect(signedIn.status, signedIn.text).toBe(303);
    // An admin enrols a second factor at the first sign-in: an authenticator app, its code computed from the secret shown.
    const enrol = await request('GET', '/login/enrol');
    expect(enrol.status, enrol.text).toBe(200);
    const enrolled = await request('POST', '/login/enrol/totp', { _csrf: csrfOf(enrol.text), code: totpCode(secretFromEnrolPage(enrol.text), new Date()) });
    expect(enrolled.status, enrolled.text).toBe(303);
    const home = await request('GET', '/');
    expect(home.status).toBe(200);
    expect(home.text).toContain(ADMIN.login);
    // The card reader line: pcscd answers through the unit's sandbox (socket-activated), with no reader plugged in.
    expect(home.text, 'pcscd unreachable from the service').toContain('接続されていません');
    expect(home.text).not.toContain('使えません（pcscd が動いていません）');
  });

  it('imports people with the production mnvault, and the register lists them (HTML and PDF read back by pdftotext)', async () => {
    const csv = `種別,社員番号,氏名,個人番号\n${PEOPLE.map((p) => `従業員,${p.code},${p.name},${p.number}`).join('\n')}\n`;
    m().ok('install -d -o root -g mnvault -m 0750 /srv/mnvault-import');
    writeFileSync(join(m().root, 'srv/mnvault-import/persons.csv'), csv, { mode: 0o640 });
    m().ok('chown root:mnvault /srv/mnvault-import/persons.csv');
    const imported = m().run(`sudo mnvault import --purposes ${ALL_PURPOSES.join(',')} /srv/mnvault-import/persons.csv`);
    expect(imported.status, imported.stdout + imported.stderr).toBe(0);
    m().ok('rm -f /srv/mnvault-import/persons.csv');

    // The register (特定個人情報ファイル管理台帳) counts the sealed numbers; it names nobody.
    const html = await request('GET', '/reports/register');
    expect(html.status).toBe(200);
    expect(html.text).toMatch(/個人番号（封緘データ）<\/td><td>[^<]*<\/td><td>2 件/u);
    const pdf = await request('GET', '/reports/register.pdf');
    expect(pdf.status, pdf.text.slice(0, 500)).toBe(200);
    expect(pdf.headers['content-type']).toContain('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'mnvault-appliance-pdf-'));
    try {
      writeFileSync(join(dir, 'register.pdf'), pdf.body);
      const text = execFileSync('pdftotext', ['-layout', join(dir, 'register.pdf'), '-'], { encoding: 'utf8' });
      expect(text).toContain('特定個人情報ファイル管理台帳');
      expect(text).toMatch(/個人番号（封緘データ）.*2 件/u);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    lap('import and reports');
  });

  it('prints reports with sudo mnvault report, as docs/reports.md shows', () => {
    m().ok('sudo install -d -o mnvault -g mnvault -m 0700 /var/lib/mnvault/print');
    const month = m().ok('TZ=Asia/Tokyo date +%Y-%m').trim();
    const activity = m().run(`sudo mnvault report activity --month ${month} --out /var/lib/mnvault/print/${month}.pdf`, { timeout: 180_000 });
    expect(activity.status, activity.stdout + activity.stderr).toBe(0);
    expect(m().ok(`pdftotext -layout /var/lib/mnvault/print/${month}.pdf -`)).toContain('取扱状況');
    const register = m().run('sudo mnvault report register --out /var/lib/mnvault/print/register.pdf', { timeout: 180_000 });
    expect(register.status, register.stdout + register.stderr).toBe(0);
    expect(m().ok('pdftotext -layout /var/lib/mnvault/print/register.pdf -')).toMatch(/個人番号（封緘データ）.*2 件/u);
    m().ok('rm -rf /var/lib/mnvault/print');
  });

  it('makes a backup from the web page into the allowed folder', async () => {
    const setup = await request('GET', '/admin/setup/backup');
    expect(setup.status).toBe(200);
    const saved = await request('POST', '/admin/setup/backup', { _csrf: csrfOf(setup.text), backupDir: BACKUP_DIR });
    expect(saved.status, saved.text.slice(0, 2000)).toBe(303);
    const page = await request('GET', '/admin/backups');
    const started = await request('POST', '/admin/backups/run', { _csrf: csrfOf(page.text) });
    expect(started.status).toBe(303);
    const deadline = Date.now() + 60_000;
    let status: { state: string; ok?: boolean; file?: string; reason?: string } = { state: 'running' };
    while (status.state !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      status = JSON.parse((await request('GET', '/admin/backups/status')).text) as typeof status;
    }
    expect(status, JSON.stringify(status)).toMatchObject({ state: 'done', ok: true });
    expect(m().ok(`ls ${BACKUP_DIR}`)).toMatch(/mnvault-\d{8}T\d{6}Z-[0-9a-f]+\.db/u);
  });

  it('makes and lists backups with sudo mnvault backup, and verifies the chain with sudo mnvault audit verify', () => {
    const made = m().run(`sudo mnvault backup --to ${BACKUP_DIR} --keep 14`);
    expect(made.status, made.stdout + made.stderr).toBe(0);
    expect(made.stdout).toContain('バックアップを作成しました');
    const list = m().ok('sudo mnvault backup --list');
    expect(list.split('\n').filter((l) => l.startsWith('mnvault-')).length).toBeGreaterThanOrEqual(2);
    const verified = m().run('sudo mnvault audit verify');
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain('監査記録は正常です');
    expect(m().run('sudo mnvault help restore')).toMatchObject({ status: 0 });
    expect(m().run('sudo mnvault restore --help').stdout).toContain('mnvault restore --from FILE');
  });

  it('restores the newest backup in a drill with sudo mnvault restore', () => {
    m().ok('sudo install -d -o mnvault -g mnvault -m 0700 /srv/drill');
    const newest = m().ok(`ls -t ${BACKUP_DIR}/mnvault-*.db | head -n1`).trim();
    const r = m().run(`sudo mnvault restore --from ${newest} --data /srv/drill/data --pin-file /root/pin`, { timeout: 180_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1件の番号を開けました/u);
    m().ok('sudo rm -rf /srv/drill');
    lap('backups and restore');
  });

  it('keeps sessions over systemctl restart', async () => {
    const before = mainPid();
    m().ok('sudo systemctl restart mnvault');
    expect(mainPid()).not.toBe(before);
    await waitForService();
    const home = await request('GET', '/');
    expect(home.status).toBe(200);
    expect(home.text).toContain(ADMIN.login);
    // The card reader line: pcscd answers through the unit's sandbox (socket-activated), with no reader plugged in.
    expect(home.text, 'pcscd unreachable from the service').toContain('接続されていません');
    expect(home.text).not.toContain('使えません（pcscd が動いていません）');
  });

  it('is restarted by systemd after systemctl kill -s KILL, and the chain still verifies', async () => {
    const before = mainPid();
    m().ok('systemctl kill -s KILL mnvault');
    const deadline = Date.now() + 30_000;
    while ((mainPid() === before || mainPid() === '0') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    expect(mainPid()).not.toBe('0');
    await waitForService();
    expect(m().ok('systemctl show -p NRestarts --value mnvault').trim()).not.toBe('0');
    const verified = m().run('sudo mnvault audit verify');
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    lap('restart and kill');
  });

  it('stops gracefully (the journal shows each step and exit 0), and rekey and rotation refuse while it runs', () => {
    const refused = m().run('sudo mnvault rekey');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('sudo systemctl stop mnvault');
    const since = m().ok('date +%s').trim();
    m().ok('sudo systemctl stop mnvault');
    const journal = m().ok(`journalctl -u mnvault --since @${since} --no-pager -o cat`);
    for (const step of ['signal_received', 'wal_checkpointed', 'keys_wiped', '"stopped"']) expect(journal).toContain(step);
    expect(journal).not.toContain('exit_forced');
    expect(m().ok('systemctl show -p ExecMainStatus --value mnvault').trim()).toBe('0');
    expect(m().ok('systemctl show -p Result --value mnvault').trim()).toBe('success');
  });

  it('replaces the database key with sudo mnvault rekey and the vault key pair with sudo mnvault rotate-vault-key (service stopped)', async () => {
    const credBefore = readFileSync(join(m().root, 'etc/mnvault/db-key.cred'));
    const rekey = m().run('sudo mnvault rekey', { timeout: 180_000 });
    expect(rekey.status, rekey.stdout + rekey.stderr).toBe(0);
    expect(readFileSync(join(m().root, 'etc/mnvault/db-key.cred')).equals(credBefore)).toBe(false);
    expect(m().ok('stat -c %U:%G /var/lib/mnvault/vault.db').trim()).toBe('mnvault:mnvault');
    // The PIN on standard input, as typed (the form docs/operations.md shows).
    const rotate = m().run('sudo mnvault rotate-vault-key --user kanri --pin-file /dev/stdin', { input: `${ADMIN.pin}\n`, timeout: 180_000 });
    expect(rotate.status, rotate.stdout + rotate.stderr).toBe(0);
    m().ok('sudo systemctl start mnvault');
    await waitForService();
    const verified = m().run('sudo mnvault audit verify');
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    lap('rekey and rotation');
  });

  it('updates in place: install.sh again changes nothing, and the service restarts on the same vault', async () => {
    const out = m().ok(`cd ${CHECKOUT} && sudo scripts/install.sh`, { timeout: 600_000 });
    expect(out).toContain('nothing to change: the installation is up to date');
    m().ok('sudo systemctl restart mnvault');
    await waitForService();
    const home = await request('GET', '/');
    expect(home.text).toContain(ADMIN.login);
    lap('update');
  });

  it('holds no number and no name in the journal or on the console', () => {
    const journal = m().ok('journalctl -b --no-pager -o cat');
    expect(journal).toContain('マイナンバー金庫を起動しました');
    const all = `${journal}\n${m().console()}`;
    for (const p of PEOPLE) {
      for (const f of forms(p.number)) expect(all).not.toContain(f);
      expect(all).not.toContain(p.name);
    }
    expect(all).not.toContain(ADMIN.password);
  });

  it('uninstalls with scripts/uninstall.sh, keeping the vault and its credential', () => {
    m().ok(`cd ${CHECKOUT} && sudo scripts/uninstall.sh`);
    expect(m().run('systemctl is-active mnvault').stdout.trim()).not.toBe('active');
    expect(m().run('command -v mnvault').status).not.toBe(0);
    m().ok('test -f /var/lib/mnvault/vault.db && test -f /etc/mnvault/db-key.cred');
  });
});
