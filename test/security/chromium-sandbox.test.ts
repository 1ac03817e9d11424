import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

describe('Chromium --no-sandbox: the recorded threat model and figures', () => {
  it('docs/security.md records the shipped unit’s exposure score, and the unit still refuses namespaces', () => {
    const doc = readFileSync(packagePath('docs', 'security.md'), 'utf8');
    const unit = readFileSync(packagePath('systemd', 'mnvault.service'), 'utf8');
    expect(unit).toMatch(/^RestrictNamespaces=yes$/mu);
    expect(readFileSync(packagePath('src', 'reports', 'pdf.ts'), 'utf8')).toContain("'--no-sandbox'");
    const recorded = /\| As shipped \(`RestrictNamespaces=yes`\) \| \*\*([0-9.]+)\*\* \|/u.exec(doc)?.[1];
    expect(recorded).toBeDefined();
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', packagePath('systemd', 'mnvault.service')], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', LANG: 'C.UTF-8' } });
    const measured = /Overall exposure level for mnvault\.service: ([0-9.]+)/u.exec(r.stdout)?.[1];
    expect(measured, r.stderr).toBeDefined();
    expect(measured).toBe(recorded);
  });
});
