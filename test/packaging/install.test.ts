import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { idIn, INSTALL_ADMIN, installInto, installUnavailable, newRoot, run, UNINSTALL } from '../helpers/install.js';

const unavailable = installUnavailable();
const roots: string[] = [];
let root = '';
let first: ReturnType<typeof installInto>;

beforeAll(() => {
  if (unavailable) return;
  root = newRoot();
  roots.push(root);
  first = installInto(root);
}, 300_000);
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Entry {
  path: string;
  type: 'dir' | 'file' | 'link';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256: string | null;
  mtime: number;
}

/** Every path under the root with its type, mode, owner and (for files) content hash. */
function walk(dir: string): Entry[] {
  const out: Entry[] = [];
  const visit = (p: string) => {
    const s = lstatSync(p);
    const type = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : 'file';
    out.push({
      path: relative(dir, p),
      type,
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
      size: s.size,
      sha256: type === 'file' ? createHash('sha256').update(readFileSync(p)).digest('hex') : null,
      mtime: s.mtimeMs,
    });
    if (type === 'dir') for (const name of readdirSync(p).sort()) visit(join(p, name));
  };
  for (const name of readdirSync(dir).sort()) visit(join(dir, name));
  return out;
}

describe.skipIf(unavailable)(`scripts/install.sh --root${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('installs, creates the vault and prints the URL, the fingerprint and where the recovery code goes', () => {
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/URL: +https:\/\/[^ ]+:18443\//u);
    expect(first.stdout).toMatch(/サーバー証明書の指紋: ([0-9A-F]{2}:){31}[0-9A-F]{2}/u);
    expect(first.stdout).toContain('回復コード');
    expect(first.stdout).toMatch(/金庫（耐火金庫など）に\n保管/u);
    // The admin's secrets are read from files and never echoed.
    expect(first.stdout + first.stderr).not.toContain(INSTALL_ADMIN.password);
  });

  it('lays down every file with its expected mode and owner, and nothing else', () => {
    const uid = idIn(root, 'passwd', 'mnvault');
    const gid = idIn(root, 'group', 'mnvault');
    expect(uid).toBeGreaterThan(0);
    const R = 0;
    // path → [type, mode, uid, gid]
    const expected: Record<string, [Entry['type'], number, number, number]> = {
      etc: ['dir', 0o755, R, R],
      'etc/passwd': ['file', 0o644, R, R],
      'etc/group': ['file', 0o644, R, R],
      'etc/shadow': ['file', 0o000, R, R],
      'etc/gshadow': ['file', 0o000, R, R],
      'etc/.pwd.lock': ['file', 0o600, R, R],
      'etc/mnvault': ['dir', 0o750, R, gid],
      'etc/mnvault/mnvault.env': ['file', 0o640, R, gid],
      'etc/mnvault/db-key.cred': ['file', 0o600, R, R],
      'etc/systemd': ['dir', 0o755, R, R],
      'etc/systemd/system': ['dir', 0o755, R, R],
      'etc/systemd/system/mnvault.service': ['file', 0o644, R, R],
      'etc/systemd/system/mnvault.service.d': ['dir', 0o755, R, R],
      'etc/systemd/system/mnvault.service.d/10-networks.conf': ['file', 0o644, R, R],
      'etc/udev': ['dir', 0o755, R, R],
      'etc/udev/rules.d': ['dir', 0o755, R, R],
      'etc/udev/rules.d/71-mnvault.rules': ['file', 0o644, R, R],
      opt: ['dir', 0o755, R, R],
      'opt/mnvault': ['dir', 0o755, R, R],
      usr: ['dir', 0o755, R, R],
      'usr/lib': ['dir', 0o755, R, R],
      'usr/local': ['dir', 0o755, R, R],
      'usr/local/bin': ['dir', 0o755, R, R],
      'usr/local/bin/mnvault': ['file', 0o755, R, R],
      'usr/lib/sysusers.d': ['dir', 0o755, R, R],
      'usr/lib/sysusers.d/mnvault.conf': ['file', 0o644, R, R],
      'usr/lib/tmpfiles.d': ['dir', 0o755, R, R],
      'usr/lib/tmpfiles.d/mnvault.conf': ['file', 0o644, R, R],
      var: ['dir', 0o755, R, R],
      'var/lib': ['dir', 0o755, R, R],
      'var/lib/systemd': ['dir', 0o755, R, R],
      'var/lib/systemd/credential.secret': ['file', 0o400, R, R],
      'var/lib/mnvault': ['dir', 0o700, uid, gid],
      'var/lib/mnvault/vault.db': ['file', 0o600, uid, gid],
      // The audit chain's head witness, beside the database (audit/head-witness.ts).
      'var/lib/mnvault/audit-head': ['file', 0o600, uid, gid],
      'var/lib/mnvault/tls': ['dir', 0o700, uid, gid],
      'var/lib/mnvault/tls/ca.pem': ['file', 0o644, uid, gid],
      'var/lib/mnvault/tls/server.pem': ['file', 0o644, uid, gid],
      'var/lib/mnvault/tls/server-key.pem': ['file', 0o600, uid, gid],
    };
    const entries = walk(root);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const want = expected[e.path];
      if (want) {
        seen.add(e.path);
        const [type, mode, u, g] = want;
        if (e.type !== type || e.mode !== mode || e.uid !== u || e.gid !== g) {
          problems.push(`${e.path}: ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid}, expected ${type} ${mode.toString(8)} ${u}:${g}`);
        }
      } else if (e.path.startsWith('opt/mnvault/')) {
        // The app: root's, nobody else may write it; directories and executables 0755, other files 0644.
        const ok = e.uid === 0 && e.gid === 0 && (e.type === 'link' || (e.type === 'dir' ? e.mode === 0o755 : e.mode === 0o644 || e.mode === 0o755));
        if (!ok) problems.push(`${e.path}: ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid}`);
      } else {
        problems.push(`${e.path}: not expected`);
      }
    }
    for (const p of Object.keys(expected)) if (!seen.has(p)) problems.push(`${p}: missing`);
    expect(problems).toEqual([]);
    expect(statSync(root).mode & 0o777).toBe(0o755);
  });

  it('installs the repository’s unit, rules and snippets unchanged, and the networks as a drop-in', () => {
    const same = (installed: string, source: string) => expect(readFileSync(join(root, installed), 'utf8')).toBe(readFileSync(packagePath(source), 'utf8'));
    same('etc/systemd/system/mnvault.service', 'systemd/mnvault.service');
    same('etc/udev/rules.d/71-mnvault.rules', 'device/udev/71-mnvault.rules');
    same('usr/lib/sysusers.d/mnvault.conf', 'systemd/sysusers.d/mnvault.conf');
    same('usr/lib/tmpfiles.d/mnvault.conf', 'systemd/tmpfiles.d/mnvault.conf');
    expect(readFileSync(join(root, 'etc/systemd/system/mnvault.service.d/10-networks.conf'), 'utf8')).toMatch(/^\[Service\]\nIPAddressAllow=127\.0\.0\.0\/8 ::1\/128 192\.168\.10\.0\/24\n$/mu);
    const env = readFileSync(join(root, 'etc/mnvault/mnvault.env'), 'utf8');
    expect(env).toMatch(/^MNVAULT_PORT=18443$/mu);
    expect(env).toMatch(/^MNVAULT_ALLOWED_NETWORKS=127\.0\.0\.0\/8,::1\/128,192\.168\.10\.0\/24$/mu);
  });

  it('creates the service user without a login, in the hardware group', () => {
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^mnvault:x:\d+:\d+:[^:]*:\/var\/lib\/mnvault:\/usr\/sbin\/nologin$/mu);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^mnvault-hw:x:\d+:mnvault$/mu);
  });

  it('puts only the runtime parts of the app under /opt/mnvault: the build, production packages, views, migrations', () => {
    const app = join(root, 'opt/mnvault');
    expect(readdirSync(app).sort()).toEqual(['README.md', 'dist', 'node_modules', 'package-lock.json', 'package.json', 'public', 'src', 'views']);
    expect(readdirSync(join(app, 'src'))).toEqual(['storage']);
    expect(readdirSync(join(app, 'src/storage'))).toEqual(['migrations']);
    expect(existsSync(join(app, 'dist/src/cli/main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/better-sqlite3-multiple-ciphers'))).toBe(true);
    // Development tools are pruned.
    for (const dev of ['typescript', 'vitest', 'supertest']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
  });

  it('changes nothing on a second run: same files, modes, owners and contents; the vault and the credential untouched', () => {
    const before = walk(root).filter((e) => e.type !== 'dir' || e.path.startsWith('var/lib/mnvault'));
    const again = run(packagePath('scripts', 'install.sh'), ['--root', root, '--prebuilt', '--reuse-node-modules']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('already holds a vault: left as it is');
    expect(again.stdout).toContain('nothing to change');
    const after = walk(root).filter((e) => e.type !== 'dir' || e.path.startsWith('var/lib/mnvault'));
    expect(after).toEqual(before);
  });

  it('refuses to go on when the vault is there but its credential is not, and makes no new one', () => {
    const copy = newRoot();
    roots.push(copy);
    cpSync(root, copy, { recursive: true, preserveTimestamps: true });
    rmSync(join(copy, 'etc/mnvault/db-key.cred'));
    const vaultBefore = readFileSync(join(copy, 'var/lib/mnvault/vault.db'));
    const r = run(packagePath('scripts', 'install.sh'), ['--root', copy, '--prebuilt', '--reuse-node-modules']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('db-key.cred is missing: restore the credential from its backup');
    expect(existsSync(join(copy, 'etc/mnvault/db-key.cred'))).toBe(false);
    expect(readFileSync(join(copy, 'var/lib/mnvault/vault.db')).equals(vaultBefore)).toBe(true);
  });

  it('uninstalls the app but keeps the vault, the credential and the user; a new install brings the same vault back', () => {
    const copy = newRoot();
    roots.push(copy);
    cpSync(root, copy, { recursive: true, preserveTimestamps: true });
    const cred = readFileSync(join(copy, 'etc/mnvault/db-key.cred'));
    const vault = readFileSync(join(copy, 'var/lib/mnvault/vault.db'));
    const r = run(UNINSTALL, ['--root', copy]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const gone of ['opt/mnvault', 'usr/local/bin/mnvault', 'etc/systemd/system/mnvault.service', 'etc/systemd/system/mnvault.service.d', 'etc/udev/rules.d/71-mnvault.rules', 'usr/lib/sysusers.d/mnvault.conf', 'usr/lib/tmpfiles.d/mnvault.conf']) {
      expect(existsSync(join(copy, gone)), gone).toBe(false);
    }
    expect(readFileSync(join(copy, 'etc/mnvault/db-key.cred')).equals(cred)).toBe(true);
    expect(readFileSync(join(copy, 'var/lib/mnvault/vault.db')).equals(vault)).toBe(true);
    expect(readFileSync(join(copy, 'etc/passwd'), 'utf8')).toMatch(/^mnvault:/mu);

    const back = run(packagePath('scripts', 'install.sh'), ['--root', copy, '--prebuilt', '--reuse-node-modules']);
    expect(back.status, back.stdout + back.stderr).toBe(0);
    expect(back.stdout).toContain('already holds a vault: left as it is');
    expect(readFileSync(join(copy, 'var/lib/mnvault/vault.db')).equals(vault)).toBe(true);
    expect(readFileSync(join(copy, 'etc/mnvault/db-key.cred')).equals(cred)).toBe(true);
  });

  it('purges only when confirmed, and then removes the vault, the credential, the user and the groups', () => {
    const copy = newRoot();
    roots.push(copy);
    cpSync(root, copy, { recursive: true, preserveTimestamps: true });
    const refused = run(UNINSTALL, ['--root', copy, '--purge']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('confirm on a terminal, or add --yes');
    expect(existsSync(join(copy, 'var/lib/mnvault/vault.db'))).toBe(true);
    expect(existsSync(join(copy, 'opt/mnvault'))).toBe(true);

    const purged = run(UNINSTALL, ['--root', copy, '--purge', '--yes']);
    expect(purged.status, purged.stdout + purged.stderr).toBe(0);
    for (const gone of ['var/lib/mnvault', 'etc/mnvault', 'opt/mnvault', 'etc/systemd/system/mnvault.service']) expect(existsSync(join(copy, gone)), gone).toBe(false);
    expect(readFileSync(join(copy, 'etc/passwd'), 'utf8')).not.toMatch(/^mnvault:/mu);
    expect(readFileSync(join(copy, 'etc/group'), 'utf8')).not.toMatch(/^mnvault(-hw)?:/mu);
  });

  it('makes the credential through the shared function: 0600, never over an existing one, decrypting to 32 bytes', () => {
    const dir = newRoot();
    roots.push(dir);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_CREDENTIAL_SECRET: join(dir, 'credential.secret') };
    const make = () => spawnSync('bash', ['-c', `. "${packagePath('scripts/lib/mnvault.sh')}" && mnv_make_credential "$1"`, 'make', join(dir, 'db-key.cred')], { encoding: 'utf8', env });
    expect(make().status).toBe(0);
    expect(statSync(join(dir, 'db-key.cred')).mode & 0o777).toBe(0o600);
    const cred = readFileSync(join(dir, 'db-key.cred'));
    const again = make();
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('a credential is never replaced');
    expect(readFileSync(join(dir, 'db-key.cred')).equals(cred)).toBe(true);
    const plain = spawnSync('systemd-creds', ['decrypt', '--name=db-key', join(dir, 'db-key.cred'), '-'], { env });
    expect(plain.status).toBe(0);
    expect(plain.stdout.length).toBe(32);
    // The name is bound: the same file does not decrypt as another credential.
    expect(spawnSync('systemd-creds', ['decrypt', '--name=other', join(dir, 'db-key.cred'), '-'], { env }).status).not.toBe(0);
  });
});
