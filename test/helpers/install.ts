import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/paths.js';

/** The first admin that the installs in these tests create. */
export const INSTALL_ADMIN = { login: 'kanri', password: 'correct horse battery', pin: '246810' } as const;
/** Loopback for the tests' own requests, and one office LAN. */
export const INSTALL_NETWORKS = '127.0.0.0/8,::1/128,192.168.10.0/24';

export const INSTALL = packagePath('scripts', 'install.sh');
export const UNINSTALL = packagePath('scripts', 'uninstall.sh');

/** Why install tests cannot run here, or undefined when they can (root, the systemd tools, a built dist). */
export function installUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'install.sh --root needs root (CI runs as root)';
  for (const tool of ['systemd-creds', 'systemd-sysusers', 'systemd-tmpfiles', 'unshare', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  if (spawnSync('test', ['-f', packagePath('dist', 'src', 'cli', 'main.js')]).status !== 0) return 'dist/ is not built (npm test builds it first)';
  return undefined;
}

export function run(script: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 240_000, input: input ?? '', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TMPDIR: tmpdir() } });
}

/** Runs scripts/install.sh into DIR, from this checkout's build and node_modules, with the test admin. */
export function installInto(root: string, port = 18443): SpawnSyncReturns<string> {
  const secrets = mkdtempSync(join(tmpdir(), 'mnvault-admin-'));
  writeFileSync(join(secrets, 'password'), `${INSTALL_ADMIN.password}\n`, { mode: 0o600 });
  writeFileSync(join(secrets, 'pin'), `${INSTALL_ADMIN.pin}\n`, { mode: 0o600 });
  return run(INSTALL, [
    '--root', root, '--prebuilt', '--reuse-node-modules',
    '--admin-user', INSTALL_ADMIN.login,
    '--admin-password-file', join(secrets, 'password'),
    '--admin-pin-file', join(secrets, 'pin'),
    '--networks', INSTALL_NETWORKS,
    '--port', String(port),
  ]);
}

/** A new empty folder to install into (0755, as / is). */
export function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'mnvault-root-'));
  chmodSync(root, 0o755);
  return root;
}

/** Numeric ids of a name in the root's own /etc/passwd or /etc/group. */
export function idIn(root: string, file: 'passwd' | 'group', name: string): number {
  const line = readFileSync(join(root, 'etc', file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} is not in ${file}`);
  return Number(line.split(':')[2]);
}
