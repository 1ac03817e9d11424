import { myNumberCheckDigit } from '../src/domain/my-number.js';

/** A structurally valid synthetic My Number from an 11-digit prefix (no real person's). */
export function validNumber(prefix11: string): string {
  return prefix11 + String(myNumberCheckDigit(prefix11));
}

/** The i-th synthetic number of a run: deterministic, distinct for i < 10^10, valid. */
export function syntheticNumber(i: number, seed = 7): string {
  return validNumber(String(seed * 10_000_000_000 + i).padStart(11, '0').slice(-11));
}

const FAMILY = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤'];
const FAMILY_KANA = ['サトウ', 'スズキ', 'タカハシ', 'タナカ', 'イトウ', 'ワタナベ', 'ヤマモト', 'ナカムラ', 'コバヤシ', 'カトウ'];
const GIVEN = ['太郎', '花子', '一郎', '美咲', '健太', '陽菜', '翔', 'さくら'];
const GIVEN_KANA = ['タロウ', 'ハナコ', 'イチロウ', 'ミサキ', 'ケンタ', 'ヒナ', 'ショウ', 'サクラ'];

/**
 * A CSV of n persons: employees, each fourth followed by a dependant spouse,
 * and every tenth row a payee. All numbers synthetic and distinct. With
 * `leavers`, every thirteenth employee left on 2026-03-31 (a 退職日 column),
 * so the register's status filter has rows to find.
 */
export function syntheticCsv(n: number, seed = 7, opts: { leavers?: boolean } = {}): string {
  const csv = plainSyntheticCsv(n, seed);
  if (!opts.leavers) return csv;
  let employees = 0;
  return csv
    .split('\r\n')
    .map((line, i) => {
      if (i === 0) return `${line},退職日`;
      if (line === '') return line;
      const leaver = line.startsWith('従業員,') && employees++ % 13 === 12;
      return `${line},${leaver ? '2026-03-31' : ''}`;
    })
    .join('\r\n');
}

/** The kind of the i-th row of a synthetic CSV (row 0 is always an employee, so a dependant has a supporter). */
function syntheticKind(i: number): 'payee' | 'dependant' | 'employee' {
  return i % 10 === 9 ? 'payee' : i % 4 === 3 && i > 0 ? 'dependant' : 'employee';
}

/** The fewest rows of a synthetic CSV that hold `employees` employees (its last row being the last of them). */
export function syntheticRowsFor(employees: number): number {
  let n = 0;
  for (let seen = 0; seen < employees; n++) if (syntheticKind(n) === 'employee') seen++;
  return n;
}

function plainSyntheticCsv(n: number, seed: number): string {
  const lines = ['種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号'];
  let employee = '';
  for (let i = 0; i < n; i++) {
    const f = i % FAMILY.length;
    const g = i % GIVEN.length;
    const name = `${FAMILY[f]} ${GIVEN[g]}`;
    const kana = `${FAMILY_KANA[f]} ${GIVEN_KANA[g]}`;
    const number = syntheticNumber(i, seed);
    const kind = syntheticKind(i);
    if (kind === 'payee') {
      lines.push(`支払先,P${i},${name},${kana},1970-05-0${(i % 9) + 1},${number},,`);
    } else if (kind === 'dependant' && employee) {
      lines.push(`扶養親族,,${name},${kana},1990-01-1${i % 10},${number},配偶者,${employee}`);
    } else {
      employee = `E${String(i).padStart(6, '0')}`;
      lines.push(`従業員,${employee},${name},${kana},1985-0${(i % 9) + 1}-15,${number},,`);
    }
  }
  return lines.join('\r\n') + '\r\n';
}
