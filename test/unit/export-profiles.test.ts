import { describe, expect, it } from 'vitest';
import { parseApplianceCsv } from '../../src/domain/filing-appliance-csv.js';
import { APPLIANCE_PROFILE, EXPORT_PROFILES, findExportProfile, profileText, type ExportCells } from '../../src/domain/export-profiles.js';
import { syntheticNumber } from '../helpers/numbers.js';

/**
 * Issue 18 (formats, last point): an export column profile is a description
 * of the file a payroll package imports. These tests hold each profile to its
 * own description (header, order, key, number cells) and the appliance profile
 * to the format the import and the filing merge read.
 */
const n = (i: number) => syntheticNumber(i, 61);

const employee = (over: Partial<ExportCells> = {}): ExportCells => ({
  kind: '従業員',
  code: 'E1',
  name: '山田 太郎',
  kana: 'ヤマダ タロウ',
  birth_date: '1980-05-06',
  my_number: n(1),
  relationship: null,
  supporter_code: null,
  ...over,
});
const spouse: ExportCells = { kind: '扶養親族', code: null, name: '山田 花子', kana: null, birth_date: null, my_number: n(2), relationship: '配偶者', supporter_code: 'E1' };

describe('export column profiles', () => {
  it('each profile names its layout, its key and number columns among its columns, and a header cell per column', () => {
    expect(EXPORT_PROFILES.length).toBeGreaterThan(0);
    for (const p of EXPORT_PROFILES) {
      expect(findExportProfile(p.code)).toBe(p);
      expect(p.spec.title).not.toBe('');
      expect(p.encodings.length).toBeGreaterThan(0);
      expect(new Set(p.columns).size).toBe(p.columns.length);
      expect(p.columns).toContain(p.key);
      expect(p.numbers.length).toBeGreaterThan(0);
      for (const c of p.numbers) expect(p.columns).toContain(c);
      if (p.header) expect(p.header.length).toBe(p.columns.length);
    }
    expect(findExportProfile('yayoi')).toBeUndefined();
  });

  it('writes the appliance profile exactly: its header, its order, CRLF, the number in the 個人番号 cell', () => {
    const text = profileText(APPLIANCE_PROFILE, [employee(), spouse]);
    expect(text).toBe(
      ['種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号', `従業員,E1,山田 太郎,ヤマダ タロウ,1980-05-06,${n(1)},,`, `扶養親族,,山田 花子,,,${n(2)},配偶者,E1`, ''].join('\r\n'),
    );
    const rows = text
      .split('\r\n')
      .slice(1, 3)
      .map((l) => l.split(','));
    const at = APPLIANCE_PROFILE.columns.indexOf('my_number');
    expect(rows.map((r) => r[at])).toEqual([n(1), n(2)]);
    expect(APPLIANCE_PROFILE.header![at]).toBe('個人番号');
    expect(APPLIANCE_PROFILE.header![APPLIANCE_PROFILE.columns.indexOf(APPLIANCE_PROFILE.key)]).toBe('社員番号');
  });

  it('differs from the same file without numbers only in the number cells', () => {
    const withNumbers = profileText(APPLIANCE_PROFILE, [employee(), spouse]);
    const without = profileText(APPLIANCE_PROFILE, [employee({ my_number: null }), { ...spouse, my_number: null }]);
    expect(withNumbers.replace(n(1), '').replace(n(2), '')).toBe(without);
  });

  it('guards and quotes cells a spreadsheet would evaluate or split', () => {
    const text = profileText(APPLIANCE_PROFILE, [employee({ name: '=HYPERLINK("x")', kana: 'カナ,カナ' })]);
    expect(text.split('\r\n')[1]).toBe(`従業員,E1,"'=HYPERLINK(""x"")","カナ,カナ",1980-05-06,${n(1)},,`);
  });

  it('reads back through the appliance CSV codec: the file without numbers is a filing file whose number fields are exactly the 個人番号 cells', () => {
    const without = profileText(APPLIANCE_PROFILE, [employee({ my_number: null }), { ...spouse, my_number: null }]);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(without, 'utf8')]);
    const parsed = parseApplianceCsv(bytes);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]!.employeeCode).toBe('E1');
    expect(parsed.rows[0]!.dependants.map((d) => d.name)).toEqual(['山田 花子']);
    const lineStart = (line: number) => {
      let offset = 0;
      for (let i = 1; i < line; i++) offset = bytes.indexOf('\r\n', offset) + 2;
      return offset;
    };
    // The span sits after the 5th comma of its line: the 個人番号 column.
    const commaBefore = (line: number) => {
      let at = lineStart(line) - 1;
      for (let i = 0; i <= APPLIANCE_PROFILE.columns.indexOf('my_number') - 1; i++) at = bytes.indexOf(',', at + 1);
      return at + 1;
    };
    expect(parsed.rows[0]!.spans[0]!.start).toBe(commaBefore(2));
    expect(parsed.rows[0]!.dependants[0]!.span.start).toBe(commaBefore(3));
  });
});
