import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { tempDir } from '../helpers/vault.js';

describe('mnvault import --purposes', () => {
  it('records only the purposes named for the file, and refuses a row whose person was notified of none', () => {
    const work = tempDir();
    const data = join(work, 'data');
    writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
    writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
    expect(mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]).status).toBe(0);
    const payee = syntheticNumber(1, 93);
    const csv = join(work, 'payees.csv');
    writeFileSync(csv, `種別,社員番号,氏名,個人番号\n従業員,E1,取込 一郎,${syntheticNumber(2, 93)}\n支払先,P1,講師 二郎,${payee}\n`);
    // No 利用目的 column and no --purposes: refused whole, nothing recorded as notified by default.
    const unchosen = mnvault(['import', '--data', data, csv]);
    expect(unchosen.status).toBe(2);
    expect(unchosen.stderr).toContain('1行目: このファイルには「利用目的」の列がなく、取り込みのときに利用目的も選ばれていません');
    expect(unchosen.stderr).toContain('--purposes');
    expect(unchosen.stderr).not.toContain(payee);
    const refused = mnvault(['import', '--data', data, '--purposes', 'withholding_slip', csv]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('3行目: この行の人（支払先）に通知した利用目的がありません');
    expect(refused.stderr).not.toContain(payee);
    const ok = mnvault(['import', '--data', data, '--purposes', 'withholding_slip,payment_record_fees', csv]);
    expect(ok.stderr).not.toContain(payee);
    expect(ok.status, ok.stderr).toBe(0);
  }, 60_000);
});
