import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { MyNumber, myNumberCheckDigit } from '../../src/domain/my-number.js';
import { numberIndex } from '../../src/vault/number-index.js';
import { splitPoint } from '../../src/services/import/check-parallel.js';
import { importPersons, type ImportReport } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { requireDist } from '../helpers/crash.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { newTestVault } from '../helpers/vault.js';

/**
 * A large file is checked on two cores (check-parallel.ts): the first part here,
 * the rest in a worker. The result must be the one of a single thread — every
 * error and warning on its line, duplicates and supporters across the cut, the
 * stored persons — whatever the cut falls on. Forced on a small file here.
 */
const ROWS = 3000;

function number(i: number): string {
  const first11 = String(40_000_000_000 + i).padStart(11, '0');
  return first11 + String(myNumberCheckDigit(first11));
}

/** Katakana for a number (フリガナ takes kana only). */
function kana(i: number): string {
  return [...String(i)].map((d) => 'アイウエオカキクケコ'[Number(d)]).join('');
}

/** Employees and their dependants, with the faults a real file has, in both halves of the file. */
function file(eol: string): string {
  const lines = ['種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号'];
  for (let i = 0; i < ROWS; i++) {
    const code = `E${String(i).padStart(6, '0')}`;
    let n = number(i);
    let name = `社員 ${i}`;
    if (i % 500 === 7) n = n.slice(0, 11) + String((Number(n[11]) + 1) % 10); // a wrong check digit
    if (i === 2900) n = number(100); // the number of a row in the other half
    if (i % 700 === 11) name = `"社員 ${i}\n（改行入り）"`; // a quoted line break (refused in a name, on its first line)
    if (i === 1234) n = '000000000000'; // a placeholder: stored, with a warning
    lines.push(`従業員,${code},${name},シャイン ${kana(i)},1985-01-15,${n},,`);
    // Every 100th employee has a dependant two rows later: some across the cut, one of a bad employee.
    if (i % 100 === 5) lines.push(`扶養親族,,家族 ${i},カゾク ${kana(i)},2010-04-01,${number(100_000 + i)},子,${code}`);
    if (i === 1507) lines.push(`扶養親族,,家族 ${i},カゾク ${kana(i)},2010-04-01,${number(200_000 + i)},子,E999999`);
    if (i === 1800) lines.push('従業員,E001800b,足りない行');
  }
  return lines.join(eol) + eol;
}

async function run(bytes: Buffer, parallelFromBytes: number, skipInvalid: boolean): Promise<{ report: ImportReport; stored: unknown[]; found: number }> {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  try {
    const report = importPersons(vault, bytes, { actor: { id: 't', name: 't' }, purposes: ALL_PURPOSES, skipInvalid, parallelFromBytes });
    return { report, stored: rows(vault), found: foundByNumber(vault) };
  } finally {
    vault.close();
  }
}

/** Employees of the file's last third found by the keyed index of their number (each vault has its own index key). */
function foundByNumber(vault: Vault): number {
  let found = 0;
  for (let i = 2000; i < ROWS; i++) {
    const parsed = MyNumber.tryParse(number(i));
    if (!parsed.ok) continue;
    const id = vault.persons.personWithIndex(numberIndex(vault.keys.index, parsed.value));
    if (id !== undefined && vault.persons.byId(id)?.code === `E${String(i).padStart(6, '0')}`) found++;
  }
  return found;
}

function rows(vault: Vault): unknown[] {
  return vault.db
    .prepare('SELECT p.id, p.kind, p.code, p.name, p.kana, p.supporter_id, n.state, length(n.number_index) FROM persons p LEFT JOIN person_numbers n ON n.person_id = p.id ORDER BY p.id')
    .raw()
    .all();
}

describe('an import file checked on two cores', () => {
  for (const [label, eol, encode] of [
    ['UTF-8, LF', '\n', (t: string) => Buffer.from(t)],
    ['UTF-8 with BOM, CRLF', '\r\n', (t: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)])],
    ['Shift_JIS, CRLF', '\r\n', (t: string) => iconv.encode(t, 'cp932')],
  ] as const) {
    it(`reports and stores what one thread does (${label})`, async () => {
      requireDist();
      const bytes = encode(file(eol));
      expect(splitPoint(bytes, 1)).not.toBeNull();
      const one = await run(bytes, Number.MAX_SAFE_INTEGER, false);
      const two = await run(bytes, 1, false);
      expect([one.report.checkThreads, two.report.checkThreads]).toEqual([1, 2]);
      expect({ ...two.report, checkThreads: 1 }).toEqual(one.report);
      expect(one.report.committed).toBe(false);
      // The faults on both sides of the cut are found, each on its line.
      const lines = one.report.errors.map((e) => e.line);
      expect(lines.length).toBeGreaterThanOrEqual(8);
      expect(Math.min(...lines)).toBeLessThan(ROWS / 2);
      expect(Math.max(...lines)).toBeGreaterThan(ROWS / 2);
      expect(one.report.warnings.map((w) => w.line)).toEqual([two.report.warnings[0]?.line].filter((l) => l !== undefined));

      const oneSkip = await run(bytes, Number.MAX_SAFE_INTEGER, true);
      const twoSkip = await run(bytes, 1, true);
      expect({ ...twoSkip.report, auditSeq: null, gaveWayMs: 0, checkThreads: 1 }).toEqual({ ...oneSkip.report, auditSeq: null, gaveWayMs: 0 });
      expect(twoSkip.report.committed).toBe(true);
      expect(twoSkip.stored).toEqual(oneSkip.stored);
      expect(twoSkip.stored.length).toBeGreaterThan(ROWS - 20);
      expect(twoSkip.found).toBe(oneSkip.found);
      expect(twoSkip.found).toBeGreaterThan(990);
    }, 120_000);
  }

  it('reads a file whose second part is not CSV as one thread does: that line, nothing stored', async () => {
    requireDist();
    const text = file('\n');
    const at = text.lastIndexOf('\n', text.length - 2);
    const bytes = Buffer.from(`${text.slice(0, at)}\n従業員,E777777,"閉じない引用符,シャイン,1985-01-15,,,\n`);
    const one = await run(bytes, Number.MAX_SAFE_INTEGER, true);
    const two = await run(bytes, 1, true);
    expect({ ...two.report, checkThreads: 1 }).toEqual(one.report);
    expect(two.report.errors).toHaveLength(1);
    expect(two.report.errors[0]!.message).toContain('CSVとして読めません');
    expect(two.stored).toEqual([]);
  }, 60_000);

  it('is not cut where a quoted cell spans the middle, nor when lines end in CR alone', () => {
    const quoted = Buffer.from(`a,b\n1,"${'x\n'.repeat(1000)}"\n2,y\n`);
    const cut = splitPoint(quoted, 1);
    expect(cut === null || quoted.subarray(0, cut.at).toString().split('"').length % 2 === 1).toBe(true);
    expect(splitPoint(Buffer.from('a,b\r1,2\r3,4\r'.repeat(100)), 1)).toBeNull();
  });
});
