import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { tempDir } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 5 }, (_, i) => syntheticNumber(200 + i, 9));

function setUp(): { data: string; work: string } {
  const work = tempDir();
  const data = join(work, 'data');
  writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
  writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
  const init = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
  expect(init.status).toBe(0);
  return { data, work };
}

describe('mnvault import and retention that has already ended (issue 11 point 6)', () => {
  it('refuses a leaver whose retention ended (and a dependant of one), imports the rest with --skip-invalid, and counts from 最終支払日', () => {
    const { data, work } = setUp();
    const csv = [
      '種別,社員番号,氏名,個人番号,続柄,扶養元社員番号,退職日,最終支払日',
      `従業員,E1,古い 退職,${NUMBERS[0]},,,2010-03-31,`,
      `扶養親族,,古い 配偶者,${NUMBERS[1]},配偶者,E1,,`,
      `従業員,E2,在職 二郎,${NUMBERS[2]},,,,`,
      // Left in December 2010 but paid a 退職金 in 2024: still kept.
      `従業員,E3,退職金 三郎,${NUMBERS[3]},,,2010-12-31,2024-01-25`,
    ].join('\n');
    writeFileSync(join(work, 'ended.csv'), csv);
    const refused = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'ended.csv')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('2行目: 保管期限（2018-01-10）を既に過ぎた人の個人番号です');
    expect(refused.stderr).toContain('3行目: 保管期限');
    expect(refused.stderr).not.toContain('4行目');
    expect(refused.stderr).not.toContain('5行目');
    expect(refused.stderr).toContain('1件も取り込みませんでした');
    for (const n of NUMBERS) expect(refused.stderr + refused.stdout).not.toContain(n);

    const some = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), '--skip-invalid', join(work, 'ended.csv')]);
    expect(some.status).toBe(0);
    expect(some.stdout).toContain('従業員 2 名、扶養親族 0 名');
  });

  it('warns (and still imports) a number of all zeros', () => {
    const { data, work } = setUp();
    writeFileSync(join(work, 'zero.csv'), '種別,社員番号,氏名,個人番号\n従業員,E1,零 一郎,000000000000\n');
    const r = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'zero.csv')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('注意 2行目: 個人番号がすべて0');
  });
});
