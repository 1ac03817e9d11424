import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { installInto, installUnavailable, newRoot } from '../helpers/install.js';

const UNIT = packagePath('systemd', 'mnvault.service');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const analyzeMissing = has('systemd-analyze') ? undefined : 'systemd-analyze is not installed';
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** The number on the "Overall exposure level" line of `systemd-analyze security --offline=true`. */
function exposure(args: string[]): { score: number; output: string } {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', ...args], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', LANG: 'C.UTF-8' } });
  const output = r.stdout + r.stderr;
  const m = /Overall exposure level for mnvault\.service: (\d+\.\d)/u.exec(output);
  if (!m) throw new Error(`no exposure line:\n${output}`);
  return { score: Number(m[1]), output };
}

describe.skipIf(analyzeMissing)(`systemd/mnvault.service${analyzeMissing ? ` (skipped: ${analyzeMissing})` : ''}`, () => {
  it('has an offline security exposure of 2.0 or less', () => {
    const { score, output } = exposure([UNIT]);
    expect(score, output).toBeLessThanOrEqual(2.0);
  });

  it('passes systemd-analyze verify without a warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('keeps the settings the appliance depends on', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of [
      'ExecStart=/usr/bin/node --max-semi-space-size=1 --optimize-for-size /opt/mnvault/dist/src/cli/main.js serve --data /var/lib/mnvault',
      'Environment=MALLOC_ARENA_MAX=2',
      'Environment=MALLOC_TRIM_THRESHOLD_=131072',
      'Environment=MALLOC_MMAP_THRESHOLD_=131072',
      'After=network-online.target systemd-udev-settle.service time-sync.target',
      'Wants=network-online.target time-sync.target',
      'User=mnvault',
      'SupplementaryGroups=mnvault-hw',
      'StateDirectory=mnvault',
      'UMask=0077',
      'LoadCredentialEncrypted=db-key:/etc/mnvault/db-key.cred',
      'EnvironmentFile=/etc/mnvault/mnvault.env',
      'Environment=MNVAULT_MODE=production',
      'DevicePolicy=closed',
      'DeviceAllow=char-hidraw rw',
      'DeviceAllow=char-ttyUSB rw',
      'DeviceAllow=char-ttyACM rw',
      'PrivateDevices=no',
      'IPAddressDeny=any',
      'IPAddressAllow=localhost',
      'CapabilityBoundingSet=',
      'AmbientCapabilities=',
      'NoNewPrivileges=yes',
      'SystemCallFilter=@system-service',
      'SystemCallArchitectures=native',
      'MemoryDenyWriteExecute=no',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
  });
});

const installMissing = analyzeMissing ?? installUnavailable();
describe.skipIf(installMissing)(`the unit as installed, with its network drop-in${installMissing ? ` (skipped: ${installMissing})` : ''}`, () => {
  it('still scores 2.0 or less and verifies, against the distribution’s own units', () => {
    const root = newRoot();
    roots.push(root);
    const r = installInto(root, 18444);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const { score, output } = exposure([`--root=${root}`, 'mnvault.service']);
    expect(output).toContain('IP address allow list with non-localhost entries');
    expect(score, output).toBeLessThanOrEqual(2.0);

    // verify resolves the unit's dependencies and ExecStart= inside the root: give it the
    // distribution's units and an executable where Node will be.
    const units = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => {
      try {
        return readdirSync(d).includes('sysinit.target');
      } catch {
        return false;
      }
    });
    expect(units, 'the distribution’s units').toBeDefined();
    cpSync(units!, join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/node'), '#!/bin/sh\n', { mode: 0o755 });
    const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'mnvault.service'], { encoding: 'utf8' });
    expect(verify.stdout + verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    // A bad entry in the drop-in is reported, so the check above can fail.
    writeFileSync(join(root, 'etc/systemd/system/mnvault.service.d/20-bad.conf'), '[Service]\nIPAddressAllow=not-a-network\n');
    const bad = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'mnvault.service'], { encoding: 'utf8' });
    expect(bad.stdout + bad.stderr).toContain('20-bad.conf');
  });
});

const shellcheckMissing = has('shellcheck') ? undefined : 'shellcheck is not installed (scripts/setup.sh installs it)';
describe.skipIf(shellcheckMissing)(`shell scripts${shellcheckMissing ? ` (skipped: ${shellcheckMissing})` : ''}`, () => {
  it('pass shellcheck', () => {
    const scripts = [
      ...readdirSync(packagePath('scripts')).filter((f) => f.endsWith('.sh')).map((f) => packagePath('scripts', f)),
      ...readdirSync(packagePath('scripts', 'lib')).filter((f) => f.endsWith('.sh')).map((f) => packagePath('scripts', 'lib', f)),
      packagePath('scripts', 'mnvault'),
      packagePath('device', 'udev', 'check.sh'),
    ];
    expect(scripts.map((s) => s.split('/').pop())).toEqual(expect.arrayContaining(['install.sh', 'uninstall.sh', 'setup.sh', 'mnvault.sh', 'check.sh']));
    const r = spawnSync('shellcheck', ['-x', ...scripts], { encoding: 'utf8', cwd: packagePath() });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
