import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import type { FilingKind } from '../../src/domain/filing.js';
import { findCodec } from '../../src/domain/filing-codecs.js';
import { SAMPLE_EMPLOYEES, SAMPLE_PAYEES, sampleFile, sampleText } from '../helpers/filing-samples.js';
import { syntheticNumber } from '../helpers/numbers.js';

const parse = (kind: FilingKind, bytes: Buffer) => {
  const c = findCodec(kind);
  if (!c) throw new Error(`no codec for ${kind}`);
  return c.parse(bytes);
};

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const sjis = (text: string) => iconv.encode(text, 'cp932');

/** The sample's text with field `index` (0-based) of line `line` (1-based) replaced. */
function withField(kind: FilingKind, line: number, index: number, value: string, rows = SAMPLE_EMPLOYEES): Buffer {
  const lines = sampleText(kind, rows).split('\r\n');
  const fields = lines[line - 1]!.split(',');
  fields[index] = value;
  lines[line - 1] = fields.join(',');
  return sjis(lines.join('\r\n'));
}

describe('the official filing codecs refuse what they cannot read with certainty', () => {
  it('refuses a file of another 法定調書 kind by its name', () => {
    const err = refusal(() => parse('nta_salary_slip', sampleFile('nta_fees', SAMPLE_PAYEES)));
    expect(err.code).toBe('invalid');
    expect(err.publicMessage).toContain('1行目');
    expect(err.publicMessage).toContain('報酬、料金、契約金及び賞金の支払調書');
    expect(refusal(() => parse('nta_salary_slip', sampleFile('eltax_salary_report', SAMPLE_EMPLOYEES))).publicMessage).toContain('給与支払報告書');
    expect(refusal(() => parse('eltax_salary_report', sampleFile('nta_salary_slip', SAMPLE_EMPLOYEES))).publicMessage).toContain('給与所得の源泉徴収票');
  });

  it('refuses a 年金機構 届 of the other kind by its name, and a 法定調書 file given as a 届', () => {
    const err = refusal(() => parse('egov_loss', sampleFile('egov_acquisition', SAMPLE_EMPLOYEES)));
    expect(err.publicMessage).toMatch(/^6行目：この行は「被保険者資格取得届」/u);
    expect(refusal(() => parse('egov_acquisition', sampleFile('nta_salary_slip', SAMPLE_EMPLOYEES))).publicMessage).toMatch(/^1行目.*FD管理レコード/u);
    expect(refusal(() => parse('nta_retirement_slip', sampleFile('egov_loss', SAMPLE_EMPLOYEES))).publicMessage).toMatch(/^1行目の1項目目「法定資料の種類」/u);
  });

  it('refuses a header line, which the 法定調書 CSV does not have', () => {
    const text = `法定資料の種類,整理番号1\r\n${sampleText('nta_fees', SAMPLE_PAYEES)}`;
    expect(refusal(() => parse('nta_fees', sjis(text))).publicMessage).toMatch(/^1行目の1項目目「法定資料の種類」：「309」が必要です。見出し行は入れられません/u);
  });

  it('refuses a record with another number of items, naming the line: the number fields could be elsewhere', () => {
    const text = sampleText('nta_salary_slip', SAMPLE_EMPLOYEES).split('\r\n');
    text[1] = `${text[1]},`;
    const err = refusal(() => parse('nta_salary_slip', sjis(text.join('\r\n'))));
    expect(err.publicMessage).toMatch(/^2行目：項目が145個あります。「給与所得の源泉徴収票」の記録は144項目です/u);
  });

  it('refuses a birth date that is no real 和暦 date, naming the line and the item', () => {
    const err = refusal(() => parse('nta_salary_slip', withField('nta_salary_slip', 3, 45, '13')));
    expect(err.publicMessage).toMatch(/^3行目の45項目目「生年月日（年・月・日）」/u);
    const era = refusal(() => parse('egov_acquisition', withField('egov_acquisition', 7, 8, '4')));
    expect(era.publicMessage).toMatch(/^7行目の9項目目「生年月日（元号）」/u);
  });

  it('refuses a フリガナ that is not kana: the layout is not this file’s', () => {
    const err = refusal(() => parse('eltax_salary_report', withField('eltax_salary_report', 1, 136, '131041')));
    expect(err.publicMessage).toMatch(/^1行目の137項目目「フリガナ」/u);
  });

  it('refuses a number field holding something that is neither empty, a placeholder nor digits', () => {
    const err = refusal(() => parse('nta_salary_slip', withField('nta_salary_slip', 2, 94, 'ﾐｾｲ')));
    expect(err.code).toBe('invalid');
    expect(err.publicMessage).toMatch(/^2行目の95項目目「支払を受ける者の個人番号」：空欄か、12桁の仮置き/u);
    const short = refusal(() => parse('nta_fees', withField('nta_fees', 1, 21, '****', SAMPLE_PAYEES)));
    expect(short.publicMessage).toMatch(/^1行目の22項目目/u);
  });

  it('refuses a row whose number field already holds digits, without quoting them', () => {
    const n = syntheticNumber(42, 5);
    const err = refusal(() => parse('egov_loss', sampleFile('egov_loss', [{ ...SAMPLE_EMPLOYEES[1]!, number: n }])));
    expect(err.code).toBe('conflict');
    expect(err.publicMessage).toMatch(/^6行目の11項目目「個人番号」には、すでに数字が入っています/u);
    expect(err.publicMessage).not.toContain(n);
    const wide = n.replace(/\d/gu, (d) => String.fromCharCode(0xff10 + Number(d)));
    expect(refusal(() => parse('egov_loss', sampleFile('egov_loss', [{ ...SAMPLE_EMPLOYEES[1]!, number: wide }]))).code).toBe('conflict');
    const dep = refusal(() => parse('nta_salary_slip', withField('nta_salary_slip', 1, 98, n)));
    expect(dep.publicMessage).toMatch(/^1行目の99項目目「控除対象配偶者の個人番号」/u);
    expect(dep.publicMessage).not.toContain(n);
  });

  it('refuses a row that uses the free-text items for a 5th dependant, which it cannot fill', () => {
    const err = refusal(() => parse('nta_salary_slip', withField('nta_salary_slip', 1, 131, '山田　五郎')));
    expect(err.publicMessage).toMatch(/^1行目の132項目目「5人目以降の控除対象扶養親族」/u);
  });

  it('refuses a file mixing two 年分, and a UTF-8 file where the 国税庁 specification requires Shift_JIS', () => {
    expect(refusal(() => parse('nta_fees', withField('nta_fees', 2, 10, '07', SAMPLE_PAYEES))).publicMessage).toMatch(/^2行目の11項目目「年分」/u);
    expect(refusal(() => parse('nta_fees', sampleFile('nta_fees', SAMPLE_PAYEES, { encoding: 'utf8' }))).publicMessage).toContain('Shift_JIS');
  });

  it('refuses bytes that are not Shift_JIS, an empty file, a blank line and broken quoting, each by line', () => {
    const bytes = Buffer.concat([sampleFile('nta_fees', SAMPLE_PAYEES), Buffer.from([0x81, 0x20, 0x0d, 0x0a])]);
    expect(refusal(() => parse('nta_fees', bytes)).publicMessage).toMatch(/^4行目：Shift_JISとして読めない/u);
    expect(refusal(() => parse('nta_fees', Buffer.alloc(0))).publicMessage).toContain('空です');
    const blank = Buffer.concat([sampleFile('nta_fees', SAMPLE_PAYEES.slice(0, 1)), Buffer.from('\r\n'), sampleFile('nta_fees', SAMPLE_PAYEES.slice(1, 2))]);
    expect(refusal(() => parse('nta_fees', blank)).publicMessage).toMatch(/^2行目：空の行/u);
    const quote = Buffer.concat([sampleFile('egov_loss', SAMPLE_EMPLOYEES), Buffer.from('2201700,"13\r\n')]);
    expect(refusal(() => parse('egov_loss', quote)).publicMessage).toMatch(/^9行目：引用符/u);
  });

  it('refuses a 届書 file without its [kanri] and [data] frame', () => {
    const lines = sampleText('egov_loss', SAMPLE_EMPLOYEES).split('\r\n');
    expect(refusal(() => parse('egov_loss', sjis(lines.filter((l) => l !== '[data]').join('\r\n')))).publicMessage).toMatch(/^\d+行目：ファイルの終わりまでに「\[data\]」/u);
    expect(refusal(() => parse('egov_loss', sjis(lines.filter((l) => l !== '[kanri]').join('\r\n')))).publicMessage).toMatch(/^2行目：「\[kanri\]」の行が必要です/u);
  });
});

describe('a 届 laid out one item to the left (no 事業所番号 item)', () => {
  it('is refused at the フリガナ rather than filled in the wrong field', () => {
    const lines = sampleText('egov_loss', SAMPLE_EMPLOYEES).split('\r\n');
    const shifted = lines.map((l, i) =>
      i >= 5 && l !== ''
        ? l
            .split(',')
            .filter((_, j) => j !== 4)
            .join(',')
        : l,
    );
    const err = refusal(() => parse('egov_loss', sjis(shifted.join('\r\n'))));
    expect(err.publicMessage).toMatch(/^6行目の7項目目「被保険者氏名（カナ）」/u);
  });
});
