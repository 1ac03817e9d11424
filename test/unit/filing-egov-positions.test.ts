import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { findCodec } from '../../src/domain/filing-codecs.js';

/**
 * Records written by hand from the item numbers of the 日本年金機構's check lists, not
 * from the codec's own layout table: 資格取得届 34 items (13 個人番号, 16–17 基礎年金番号,
 * 18–19 取得年月日, 21–23 報酬月額), 資格喪失届 27 items (11 個人番号, 14–15 喪失年月日).
 */
const frame = (data: string) =>
  iconv.encode(['21,01,ｹｲﾄ,001,20260105,22223', '[kanri]', ',001', '21,01,ｹｲﾄ,12345,100,0001,東京都千代田区,株式会社テスト,山田　一郎,03,1234,5678', '[data]', data, ''].join('\r\n'), 'cp932');

const items = (n: number, set: Record<number, string>) => Array.from({ length: n }, (_, i) => set[i + 1] ?? '').join(',');

describe('the 日本年金機構 届 codecs read the items where the check lists put them', () => {
  it('資格取得届: the 個人番号 is item 13 and the 取得年月日 items 18–19, after the 基礎年金番号 at 16–17', () => {
    const line = items(34, {
      1: '2200700',
      2: '21',
      3: '01',
      4: 'ｹｲﾄ',
      5: '12345',
      6: '7',
      7: 'ﾔﾏﾀﾞ ﾀﾛｳ',
      8: '山田　太郎',
      9: '5',
      10: '600515',
      11: '1',
      12: '1',
      16: '1234',
      17: '567890',
      18: '9',
      19: '080401',
      20: '0',
      21: '260000',
      22: '0',
      23: '260000',
    });
    const bytes = frame(line);
    const parsed = findCodec('egov_acquisition')!.parse(bytes);
    expect(parsed.rows).toHaveLength(1);
    const row = parsed.rows[0]!;
    expect(row.birthDate).toBe('1985-05-15');
    const start = bytes.indexOf(Buffer.from('2200700'));
    const commas = [...bytes.subarray(start).toString('latin1').matchAll(/,/gu)].map((m) => start + m.index);
    expect(row.spans[0]).toMatchObject({ start: commas[11]! + 1, end: commas[12]!, digits: 12 });
  });

  it('資格喪失届: the 個人番号 is item 11 and the 喪失年月日 items 14–15', () => {
    const line = items(27, { 1: '2201700', 2: '21', 3: '01', 4: 'ｹｲﾄ', 5: '12345', 6: '7', 7: 'ﾔﾏﾀﾞ ﾀﾛｳ', 8: '山田　太郎', 9: '7', 10: '020228', 14: '9', 15: '080401', 16: '4' });
    const bytes = frame(line);
    const row = findCodec('egov_loss')!.parse(bytes).rows[0]!;
    expect(row.birthDate).toBe('1990-02-28');
    const start = bytes.indexOf(Buffer.from('2201700'));
    const commas = [...bytes.subarray(start).toString('latin1').matchAll(/,/gu)].map((m) => start + m.index);
    expect(row.spans[0]).toMatchObject({ start: commas[9]! + 1, end: commas[10]!, digits: 12 });
  });
});
