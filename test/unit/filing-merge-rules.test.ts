import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseApplianceCsv } from '../../src/domain/filing-appliance-csv.js';
import { fillSpans } from '../../src/domain/filing.js';
import { matchFiling, type MatchPerson } from '../../src/domain/filing-match.js';
import { FAKE_CODEC, fakeLine } from '../helpers/filings.js';

const person = (p: Partial<MatchPerson> & Pick<MatchPerson, 'id' | 'name'>): MatchPerson => ({
  kind: 'employee',
  code: null,
  birthDate: null,
  supporterId: null,
  corporateNumber: null,
  endedOn: null,
  hasNumber: true,
  ...p,
});
const allowed = () => ({ allowed: true }) as const;

describe('the appliance CSV as a filing file', () => {
  it('names the byte range of each empty number field in a Shift_JIS file and groups dependants under their supporter', () => {
    const text = '種別,社員番号,氏名,生年月日,個人番号,続柄,扶養元社員番号\r\n扶養親族,,山田 花子,1982-02-02,,配偶者,E1\r\n従業員,E1,山田 太郎,1980-01-01,"",,\r\n';
    const bytes = iconv.encode(text, 'cp932');
    const parsed = parseApplianceCsv(bytes);
    expect(parsed.encoding).toBe('shift_jis');
    expect(parsed.rows).toHaveLength(1);
    const [row] = parsed.rows;
    expect(row).toMatchObject({ line: 3, employeeCode: 'E1', name: '山田 太郎', birthDate: '1980-01-01' });
    expect(row!.dependants).toMatchObject([{ line: 2, name: '山田 花子', birthDate: '1982-02-02' }]);
    const filled = fillSpans(bytes, [
      { span: row!.spans[0]!, value: Buffer.from('111111111118') },
      { span: row!.dependants[0]!.span, value: Buffer.from('222222222226') },
    ]);
    expect(iconv.decode(filled, 'cp932')).toBe(
      '種別,社員番号,氏名,生年月日,個人番号,続柄,扶養元社員番号\r\n扶養親族,,山田 花子,1982-02-02,222222222226,配偶者,E1\r\n従業員,E1,山田 太郎,1980-01-01,"111111111118",,\r\n',
    );
  });

  it('refuses a dependant whose supporter is not in the file, naming the line', () => {
    expect(() => parseApplianceCsv(Buffer.from('種別,氏名,個人番号,扶養元社員番号\n扶養親族,山田 花子,,E9\n'))).toThrow('2行目: 扶養元社員番号「E9」の従業員がこのファイルにありません。');
  });

  it('reads the import’s header names and keeps other columns as they are, even ones named like built-in properties', () => {
    const text = 'Kind,Employee_Code,氏名,マイナンバー,退職日,退職日,constructor,constructor,toString\n従業員,E1,山田 太郎,,,,a,b,c\n';
    const parsed = parseApplianceCsv(Buffer.from(text));
    expect(parsed.rows).toMatchObject([{ line: 2, employeeCode: 'E1', name: '山田 太郎' }]);
    expect(() => parseApplianceCsv(Buffer.from('種別,氏名,個人番号,名前\n'))).toThrow('1行目: 「氏名」の列が2つあります。');
  });
});

describe('matching filing rows to persons', () => {
  const bytes = Buffer.from(
    [
      fakeLine('', 'ACME KK', '', true), // 1: a company payee: its 法人番号
      fakeLine('', 'SATO AI', '19900101', false), // 2: a person payee
      fakeLine('P3', 'LEFT EARLY', '', false), // 3: ended before the year
      fakeLine('P4', 'LEFT LATE', '', false), // 4: ended during the year: included
      fakeLine('', 'NOBODY', '19990101', false), // 5
    ].join('\n') + '\n',
    'latin1',
  );
  const persons = [
    person({ id: 1, kind: 'payee', name: 'ACME KK', corporateNumber: '7000012050002', hasNumber: false }),
    person({ id: 2, kind: 'payee', name: 'SATO AI', birthDate: '1990-01-01' }),
    person({ id: 3, kind: 'payee', code: 'P3', name: 'LEFT EARLY', endedOn: '2024-12-31' }),
    person({ id: 4, kind: 'payee', code: 'P4', name: 'LEFT LATE', endedOn: '2025-03-31' }),
  ];

  it('fills a company payee with its 法人番号, persons with their numbers, leavers of the year, and nothing else', () => {
    const m = matchFiling({ filing: FAKE_CODEC.parse(bytes), persons, verdict: allowed, year: 2025 });
    expect(m.outcomes.map((o) => [o.line, o.state])).toEqual([
      [1, 'filled'],
      [2, 'filled'],
      [3, 'refused'],
      [4, 'filled'],
      [5, 'unmatched'],
    ]);
    expect(m.outcomes[2]).toMatchObject({ reason: '2025年より前に退職・取引終了・扶養の異動をしています（この年分の対象外）' });
    expect(m.fills.map((f) => [f.personId, f.source, f.span.digits])).toEqual([
      [1, 'corporate', 13],
      [2, 'number', 12],
      [4, 'number', 12],
    ]);
    expect(m.numberPersons).toEqual([2, 4]);
    const merged = fillSpans(
      bytes,
      m.fills.map((f) => ({ span: f.span, value: Buffer.from(f.source === 'corporate' ? '7000012050002' : f.personId === 2 ? '111111111118' : '444444444444') })),
    );
    // Byte for byte: only the three spans changed.
    const changed = [...merged].flatMap((b, i) => (b === bytes[i] ? [] : [i]));
    const inSpans = (i: number) => m.fills.some((f) => i >= f.span.start && i < f.span.end);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every(inSpans)).toBe(true);
    expect(merged.length).toBe(bytes.length);
  });

  it('finds a person listed once per role (issue 11 point 5): a 社長 by his 取引先コード, or by name as one candidate, judged by the role still running', () => {
    // Id 7: an employee who left in 2024 and still rents property to the company (a payee role under P7).
    const roles = [
      ...persons,
      person({ id: 7, code: 'E7', name: 'BOSS OWNER', birthDate: '1960-01-01', endedOn: '2024-03-31' }),
      person({ id: 7, kind: 'payee', code: 'P7', name: 'BOSS OWNER', birthDate: '1960-01-01' }),
    ];
    const filing = FAKE_CODEC.parse(Buffer.from(`${fakeLine('P7', 'BOSS OWNER', '', false)}\n${fakeLine('', 'BOSS OWNER', '19600101', false)}\n`, 'latin1'));
    const m = matchFiling({ filing, persons: roles, verdict: allowed, year: 2025 });
    expect(m.outcomes.map((o) => [o.line, o.state, 'personId' in o ? o.personId : null])).toEqual([
      [1, 'filled', 7],
      [2, 'filled', 7],
    ]);
    expect(m.numberPersons).toEqual([7]);
  });

  it('refuses a row the file calls a company when the person has no 法人番号, and a use the purpose rule refuses', () => {
    const m = matchFiling({
      filing: FAKE_CODEC.parse(Buffer.from(`${fakeLine('', 'SATO AI', '19900101', true)}\n${fakeLine('P4', 'LEFT LATE', '', false)}\n`, 'latin1')),
      persons,
      verdict: (id) => (id === 4 ? { allowed: false, message: 'この利用目的は本人に通知されていません（利用目的の追加通知が必要）' } : { allowed: true }),
    });
    expect(m.outcomes.map((o) => [o.state, 'reason' in o ? o.reason : ''])).toEqual([
      ['refused', 'ファイルでは法人ですが、法人番号が登録された支払先ではありません'],
      ['refused', 'この利用目的は本人に通知されていません（利用目的の追加通知が必要）'],
    ]);
    expect(m.fills).toEqual([]);
  });

  it('finds dependants only within the matched employee’s family, and accepts a choice only among the candidates', () => {
    const text = '種別,社員番号,氏名,生年月日,個人番号,扶養元社員番号\n従業員,E1,山田 太郎,,,\n扶養親族,,山田 花子,2010-01-01,,E1\n従業員,,伊藤 健,,,\n';
    const filing = parseApplianceCsv(Buffer.from(text));
    const register = [
      person({ id: 10, code: 'E1', name: '山田 太郎' }),
      person({ id: 11, kind: 'dependant', name: '山田 花子', birthDate: '2010-01-01', supporterId: 99 }), // another family's
      person({ id: 20, name: '伊藤 健' }),
      person({ id: 21, name: '伊藤　健' }),
    ];
    const first = matchFiling({ filing, persons: register, verdict: allowed });
    expect(first.outcomes.map((o) => [o.key, o.state])).toEqual([
      ['L2', 'filled'],
      ['L2-1', 'unmatched'],
      ['L4', 'ambiguous'],
    ]);
    const bad = matchFiling({ filing, persons: register, verdict: allowed, resolutions: new Map([['L4', 10]]) });
    expect(bad.outcomes[2]).toMatchObject({ state: 'ambiguous', reason: '選ばれた人物はこの行の候補ではありません' });
    const chosen = matchFiling({ filing, persons: register, verdict: allowed, resolutions: new Map([['L4', 21]]) });
    expect(chosen.outcomes[2]).toMatchObject({ state: 'filled', personId: 21 });
  });

  it('decides a dependant the file names without a birth date by name within the subject’s own family, and asks when two share it', () => {
    const text = '種別,社員番号,氏名,生年月日,個人番号,扶養元社員番号\n従業員,E1,山田 太郎,,,\n扶養親族,,山田 花子,,,E1\n従業員,E2,佐藤 一郎,,,\n扶養親族,,佐藤 桜,,,E2\n';
    const filing = parseApplianceCsv(Buffer.from(text));
    const register = [
      person({ id: 10, code: 'E1', name: '山田 太郎' }),
      person({ id: 11, kind: 'dependant', name: '山田 花子', birthDate: '1982-02-02', supporterId: 10 }),
      person({ id: 12, kind: 'dependant', name: '山田 花子', birthDate: '2010-01-01', supporterId: 99 }), // another family's
      person({ id: 20, code: 'E2', name: '佐藤 一郎' }),
      person({ id: 21, kind: 'dependant', name: '佐藤 桜', birthDate: '2012-04-01', supporterId: 20 }),
      person({ id: 22, kind: 'dependant', name: '佐藤　桜', birthDate: '1950-04-01', supporterId: 20 }),
    ];
    const m = matchFiling({ filing, persons: register, verdict: allowed });
    expect(m.outcomes.map((o) => [o.key, o.state, 'personId' in o ? o.personId : null])).toEqual([
      ['L2', 'filled', 10],
      ['L2-1', 'filled', 11],
      ['L4', 'filled', 20],
      ['L4-1', 'ambiguous', null],
    ]);
  });
});
