import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packagePath } from '../../src/paths.js';

/**
 * A Debian 12 machine booted with systemd as PID 1, in a systemd-nspawn container, for the tests
 * of the appliance as installed (test/appliance/appliance.test.ts).
 *
 * The root file system is made once by mmdebstrap with the packages install.sh needs and kept
 * outside the repository, in MNVAULT_APPLIANCE_CACHE or /var/cache/mnvault-appliance-test, under a
 * name derived from the package list: a changed list builds a new one (and removes the old). Each
 * boot gets its own writable overlay on top of it, thrown away by stop(). The host's Node is
 * bind-mounted read-only as /usr/bin/node (with its npm), and this checkout as /srv/mynumber-vault,
 * read-only, so install.sh runs from it as from an operator's checkout. The container shares the
 * host's network: the service's port must be free on the host.
 *
 * Hosts whose PID 1 is not systemd (CI runners, VMs) lack what nspawn expects of a systemd host; boot()
 * provides it: a tmpfs on /run/systemd/nspawn, the "inaccessible" nodes under
 * /run/systemd/inaccessible, and --register=no --keep-unit (no machined, no unit of its own).
 */

export const SUITE = 'bookworm';
export const CACHE = process.env.MNVAULT_APPLIANCE_CACHE ?? '/var/cache/mnvault-appliance-test';
/** Where the checkout appears inside the machine. */
export const CHECKOUT = '/srv/mynumber-vault';
export const HOSTNAME = 'mnvault-appliance';
const RUN_PREFIX = 'mnvault-appliance.';
const RUN_PARENT = '/var/tmp';

/** The machine's own packages, beyond install.sh's: systemd as init, D-Bus, sudo and udev as on a server. */
const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'sudo', 'udev', 'procps', 'poppler-utils'];

/** Why the appliance tests cannot run here, or undefined when they can. */
export function applianceUnavailable(): string | undefined {
  if (process.env.MNVAULT_APPLIANCE_TEST === 'skip') return 'MNVAULT_APPLIANCE_TEST=skip';
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (mmdebstrap, systemd-nspawn, mounts); CI runs as root';
  for (const tool of ['mmdebstrap', 'systemd-nspawn', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/setup.sh installs it)`;
  }
  if (!existsSync(packagePath('dist', 'src', 'cli', 'main.js'))) return 'dist/ is not built (npm test builds it first)';
  return undefined;
}

/** install.sh's package list (scripts/lib/mnvault.sh) plus the machine's own, sorted. */
export function imagePackages(): string[] {
  const r = spawnSync('bash', ['-c', '. "$0" && printf "%s\\n" "${MNV_INSTALL_PACKAGES[@]}"', packagePath('scripts', 'lib', 'mnvault.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot read MNV_INSTALL_PACKAGES: ${r.stderr}`);
  return [...new Set([...BASE_PACKAGES, ...r.stdout.split('\n').filter(Boolean)])].sort();
}

/** Runs the commands after mmdebstrap has installed the packages ($1 is the new root). */
const CUSTOMIZE = [
  `echo ${HOSTNAME} >"$1/etc/hostname"`,
  `printf '127.0.0.1 localhost\\n127.0.1.1 ${HOSTNAME}\\n::1 localhost\\n' >"$1/etc/hosts"`,
  // Node comes from the host (bind mounts); these are the mount points and npm's usual link.
  'touch "$1/usr/bin/node" && mkdir -p "$1/usr/lib/node_modules" "$1/srv/mynumber-vault"',
  'ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/bin/npm"',
  // Nothing in the background that would compete with the tests for the CPU.
  'systemctl --root="$1" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer console-getty.service >/dev/null 2>&1 || true',
];

function cacheKey(packages: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify({ suite: SUITE, packages, customize: CUSTOMIZE })).digest('hex').slice(0, 16);
}

/**
 * The cached root for the current package list, built by mmdebstrap when missing (about a minute and
 * a few hundred MB of packages on the first run). Concurrent runs wait on one lock; an interrupted
 * build leaves only a *.building folder, removed by the next build.
 */
export function ensureImage(log: (line: string) => void = () => {}): string {
  const packages = imagePackages();
  const key = cacheKey(packages);
  const image = join(CACHE, key);
  if (existsSync(join(image, '.complete'))) return join(image, 'root');
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  log(`building the Debian ${SUITE} root with mmdebstrap (${packages.length} packages) into ${image}`);
  const started = Date.now();
  const script = [
    'set -euo pipefail',
    'cache=$1 key=$2; shift 2',
    '[ ! -e "$cache/$key/.complete" ] || exit 0',
    'rm -rf "$cache/$key" "$cache"/*.building',
    'mkdir -p "$cache/$key.building"',
    '"$@" "$cache/$key.building/root"',
    'touch "$cache/$key.building/.complete"',
    'mv "$cache/$key.building" "$cache/$key"',
    // Roots made for other package lists are not needed any more.
    'for d in "$cache"/*; do [ "$d" = "$cache/$key" ] || [ ! -e "$d/.complete" ] || rm -rf "$d"; done',
  ].join('\n');
  const mmdebstrap = ['mmdebstrap', '--variant=minbase', '--quiet', `--include=${packages.join(',')}`, ...CUSTOMIZE.map((c) => `--customize-hook=${c}`), SUITE];
  const r = spawnSync('flock', [join(CACHE, '.lock'), 'bash', '-c', script, 'build', CACHE, key, ...mmdebstrap], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0 || !existsSync(join(image, '.complete'))) throw new Error(`mmdebstrap failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(image, 'root');
}

/** What systemd-nspawn expects of a host booted with systemd, made here when missing. */
function prepareHost(): void {
  const sh = [
    'set -eu',
    'mkdir -p /run/systemd/nspawn /run/systemd/inaccessible',
    'mountpoint -q /run/systemd/nspawn || mount -t tmpfs -o mode=0755 mnvault-nspawn /run/systemd/nspawn',
    'cd /run/systemd/inaccessible',
    '[ -e reg ] || install -m 000 /dev/null reg',
    '[ -e dir ] || install -d -m 000 dir',
    '[ -e fifo ] || mkfifo -m 000 fifo',
    '[ -e chr ] || mknod -m 000 chr c 0 0',
    '[ -e blk ] || mknod -m 000 blk b 0 0',
    `[ -e sock ] || python3 -c 'import os, socket; s = socket.socket(socket.AF_UNIX); s.bind("sock"); os.chmod("sock", 0)'`,
  ].join('\n');
  const r = spawnSync('sh', ['-c', sh], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`preparing the host for systemd-nspawn failed: ${r.stderr}`);
}

/** True while PID runs; a zombie (exited, not yet reaped while stop() blocks the loop) counts as gone. */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/u.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false; // no such process
  }
};

function unmountAndRemove(dir: string): void {
  const root = join(dir, 'root');
  if (spawnSync('mountpoint', ['-q', root]).status === 0) {
    if (spawnSync('umount', [root]).status !== 0) spawnSync('umount', ['-l', root]);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Removes what an earlier run killed before its cleanup left behind (its nspawn is gone). */
export function removeStaleRuns(): void {
  for (const name of readdirSync(RUN_PARENT)) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const dir = join(RUN_PARENT, name);
    let pid = 0;
    try {
      pid = Number(readFileSync(join(dir, 'nspawn.pid'), 'utf8'));
    } catch {
      // No nspawn yet: another run may be starting right now; leave it unless it is old.
      if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
    }
    if (pid > 0 && alive(pid)) continue;
    unmountAndRemove(dir);
  }
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class Machine {
  private constructor(
    readonly dir: string,
    private readonly nspawnPid: number,
    private leader: number,
  ) {}

  /** The machine's file system as seen from the host (the overlay). */
  get root(): string {
    return join(this.dir, 'root');
  }

  /** Everything the machine printed on its console since boot. */
  console(): string {
    return readFileSync(join(this.dir, 'console.log'), 'utf8');
  }

  /** Boots IMAGE (from ensureImage) and waits until systemd reports the boot finished. */
  static async boot(image: string, checkout: string): Promise<Machine> {
    prepareHost();
    removeStaleRuns();
    const dir = mkdtempSync(join(RUN_PARENT, RUN_PREFIX));
    for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d));
    const mounted = spawnSync('mount', ['-t', 'overlay', 'mnvault-appliance', '-o', `lowerdir=${image},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, join(dir, 'root')], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`overlay mount failed: ${mounted.stderr}`);
    }
    const node = realpathSync(process.execPath);
    const npmCli = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    const nodeModules = npmCli ? dirname(dirname(dirname(realpathSync(npmCli)))) : '/usr/lib/node_modules';
    const out = openSync(join(dir, 'console.log'), 'a');
    const child = spawn(
      'systemd-nspawn',
      [
        '-D', join(dir, 'root'), '-b', '--register=no', '--keep-unit', '--console=read-only', `--hostname=${HOSTNAME}`,
        `--bind-ro=${node}:/usr/bin/node`, `--bind-ro=${nodeModules}:/usr/lib/node_modules`, `--bind-ro=${checkout}:${CHECKOUT}`,
      ],
      { stdio: ['ignore', out, out], detached: true, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } },
    );
    closeSync(out);
    child.unref();
    writeFileSync(join(dir, 'nspawn.pid'), String(child.pid));
    const machine = new Machine(dir, child.pid!, 0);
    try {
      await machine.waitForBoot();
    } catch (err) {
      machine.stop();
      throw err;
    }
    return machine;
  }

  private async waitForBoot(): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (!alive(this.nspawnPid)) throw new Error(`systemd-nspawn exited during boot:\n${this.console()}`);
      // The machine's PID 1 is the child of nspawn that runs systemd (nspawn forks a short-lived
      // helper first, so the first child seen may not be it).
      if (!this.leader || !alive(this.leader)) {
        const children = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(this.nspawnPid)], { encoding: 'utf8' }).stdout.trim().split('\n');
        const init = children.map((l) => l.trim().split(/\s+/u)).find(([, comm]) => comm === 'systemd');
        this.leader = init ? Number(init[0]) : 0;
      }
      if (this.leader) {
        const state = this.run('systemctl is-system-running', { timeout: 10_000 }).stdout.trim();
        if (state === 'running' || state === 'degraded') return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the machine did not finish booting in 90 s:\n${this.console()}`);
  }

  /** Runs a bash command line inside the machine as root (nsenter into all its namespaces). */
  run(command: string, opts: { input?: string; timeout?: number } = {}): RunResult {
    const r: SpawnSyncReturns<string> = spawnSync('nsenter', ['-t', String(this.leader), '-a', '--', 'bash', '-c', command], {
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: opts.timeout ?? 120_000,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root', TERM: 'dumb' },
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  }

  /** Like run(), but throws with the output unless the command exits 0. */
  ok(command: string, opts: { input?: string; timeout?: number } = {}): string {
    const r = this.run(command, opts);
    if (r.status !== 0) throw new Error(`\`${command}\` exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /**
   * Shuts the machine down (SIGTERM to nspawn is an orderly poweroff), kills what is left after
   * 30 s, unmounts the overlay and removes its folder. Safe to call twice; synchronous, so it also
   * works from an exit handler.
   */
  stop(): void {
    if (alive(this.nspawnPid)) {
      process.kill(this.nspawnPid, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (alive(this.nspawnPid) && Date.now() < deadline) spawnSync('sleep', ['0.2']);
      if (alive(this.nspawnPid)) process.kill(this.nspawnPid, 'SIGKILL');
    }
    // The container's init is nspawn's child; killing it ends every process of the machine.
    if (this.leader && alive(this.leader)) process.kill(this.leader, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (((this.leader && alive(this.leader)) || alive(this.nspawnPid)) && Date.now() < deadline) spawnSync('sleep', ['0.2']);
    unmountAndRemove(this.dir);
  }
}
