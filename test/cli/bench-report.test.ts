import { describe, expect, it } from 'vitest';
import { uploadSkipReason } from '../../bench/web-bench.js';
import { UPLOAD_LIMIT_BYTES } from '../../src/web/routes/imports.js';
import { mnvault } from '../helpers/cli.js';

const SMALL = ['bench', '--n', '40', '--verify-n', '80', '--only', 'import,verify,open'];

describe('mnvault bench reports what it measured', () => {
  it('prints every other part’s rows when one part fails, names the failure, and exits 1', () => {
    const r = mnvault(SMALL, { MNVAULT_BENCH_FAULT: 'verify' });
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const importRow = at(/^\| import CSV → sealed vault/u);
    const verifyRow = at(/^\| audit verify, 2 threads/u);
    const failedRow = at(/^\| verify: FAILED \(Error: injected fault \(MNVAULT_BENCH_FAULT=verify\) at .+:\d+:\d+\)\)/u);
    const openRow = at(/^\| open vault/u);
    // The row measured before the fault stays, the failure has its own row, and the next part still runs.
    expect([importRow, verifyRow, failedRow, openRow].every((i) => i > 0)).toBe(true);
    expect(importRow < verifyRow && verifyRow < failedRow && failedRow < openRow).toBe(true);
    expect(r.stdout).toContain('1 part(s) failed: verify');
  });

  it('exits 0 when every part ran, and 2 for a part it does not know', () => {
    const ok = mnvault(['bench', '--n', '40', '--only', 'import,open']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^\| open vault/mu);
    expect(ok.stdout).not.toContain('FAILED');
    const bad = mnvault(['bench', '--only', 'import,nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('nope');
  });

  it('reports the browser upload of a CSV over the cap as skipped, naming the cap', () => {
    // 1,000,000 synthetic persons make an 83 MB CSV.
    const reason = uploadSkipReason(83_000_000, UPLOAD_LIMIT_BYTES);
    expect(reason).toContain('upload cap of 64 MB');
    expect(reason).toContain('mnvault import');
    expect(uploadSkipReason(10_000_000, UPLOAD_LIMIT_BYTES)).toBeNull();
  });
});
