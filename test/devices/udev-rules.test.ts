import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { tempDir } from '../helpers/vault.js';

const CHECK = packagePath('device', 'udev', 'check.sh');
const RULES = packagePath('device', 'udev', '71-mnvault.rules');

const check = (file: string) => spawnSync('bash', [CHECK, file], { encoding: 'utf8', timeout: 30_000 });

describe('the udev rules in device/', () => {
  it('pass the policy (group mnvault-hw, mode 0660, narrowed, commented) and udev’s own parser where it can run', () => {
    const r = check(RULES);
    expect(r.stdout).toContain('ok:   policy');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('refuse a rule that would open the devices to everyone', () => {
    const dir = tempDir();
    const broken = join(dir, '71-mnvault.rules');
    writeFileSync(broken, readFileSync(RULES, 'utf8').replace('MODE="0660"', 'MODE="0666"'));
    const r = check(broken);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('MODE "0666" (only 0660 is allowed)');
    expect(r.stdout).toContain('FAIL: policy');
  });
});
