import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { approveWithPin, RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import type { Vault } from '../../src/services/vault.js';
import { captureStderr, forms, scanDataDir, windows as digitWindows } from '../helpers/canary.js';
import { open7z } from '../helpers/filings.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { pdfPages } from '../reports/pdf-helpers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

const gateWindows = { approvalMs: 5 * 60_000, viewMs: 60_000 };
const n = (i: number) => syntheticNumber(700 + i, 6);
/** Every number registered below: none may show on a page, the data folder or the log. */
const ALL = [1, 2, 3, 4, 5, 6, 7, 8].map(n);

/**
 * The register: a family, a colleague, a leaver of 2025, one whose 源泉徴収票 use
 * was never notified, one who gave no number, two namesakes with one birth date.
 */
function register(vault: Vault): void {
  const w = 'withholding_slip;salary_payment_report';
  const report = importPersons(
    vault,
    Buffer.from(
      [
        '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号,退職日,未提供理由,利用目的',
        `従業員,E1,山田 太郎,ヤマダ タロウ,1980-01-01,${n(1)},,,,,${w}`,
        `扶養親族,,山田 花子,ヤマダ ハナコ,1982-02-02,${n(2)},配偶者,E1,,,${w}`,
        `従業員,E2,佐藤 一郎,サトウ イチロウ,1985-03-03,${n(3)},,,,,${w}`,
        `従業員,E3,鈴木 退職,スズキ タイショク,1975-04-04,${n(4)},,,2025-06-30,,${w}`,
        `従業員,E4,田中 未通知,タナカ ミツウチ,1990-01-01,${n(5)},,,,,health_pension_insurance`,
        `従業員,E5,高橋 未提供,タカハシ ミテイキョウ,1991-01-01,,,,,本人が提供を拒否,${w}`,
        `従業員,E6,伊藤 健,イトウ ケン,1990-05-05,${n(6)},,,,,${w}`,
        `従業員,E7,伊藤 健,イトウ ケン,1990-05-05,${n(7)},,,,,${w}`,
        `従業員,E8,別人 他家,ベツジン タケ,1970-07-07,${n(8)},,,,,${w}`,
      ].join('\n'),
    ),
    { actor: { id: 't', name: 't' } },
  );
  expect(report.errors).toEqual([]);
}

/** The payroll package's file: the export's columns with the 個人番号 column empty, and a pay column. */
const FILE_LINES = [
  '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号,支払金額',
  '従業員,E1,山田 太郎,ヤマダ タロウ,1980-01-01,,,,"5,000,000"', // 2
  '扶養親族,,山田　花子,やまだ はなこ,1982/2/2,,配偶者,E1,0', // 3: full-width space, slashes
  '従業員,E2,佐藤 一郎,ｻﾄｳ ｲﾁﾛｳ,1985-03-03,"",,,"4,100,000"', // 4: quoted empty field
  '従業員,E3,鈴木 退職,スズキ タイショク,1975-04-04,,,,"2,000,000"', // 5: left in 2025
  '従業員,E4,田中 未通知,タナカ ミツウチ,1990-01-01,,,,"3,000,000"', // 6
  '従業員,E5,高橋 未提供,タカハシ ミテイキョウ,1991-01-01,,,,"3,100,000"', // 7
  '従業員,,伊藤 健,イトウ ケン,1990-05-05,,,,"3,200,000"', // 8: two namesakes
  '従業員,,存在 しない,ソンザイ シナイ,1970-01-01,,,,"1,000"', // 9
];
const FILE = Buffer.from(`${FILE_LINES.join('\r\n')}\r\n`, 'utf8');

/** What the merged file must be, byte for byte: the same file with exactly these fields filled. */
function expectedMerge(itoId: 6 | 7): Buffer {
  const put = (line: string, value: string, quoted = false) => {
    const cells = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/u);
    cells[5] = quoted ? `"${value}"` : value;
    return cells.join(',');
  };
  const lines = [...FILE_LINES];
  lines[1] = put(lines[1]!, n(1));
  lines[2] = put(lines[2]!, n(2));
  lines[3] = put(lines[3]!, n(3), true);
  lines[4] = put(lines[4]!, n(4));
  lines[7] = put(lines[7]!, n(itoId));
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

async function setUp() {
  // January 2026: the 2025 filings are due; the leaver's final-year filings still arise (until 1月31日).
  const clock = fixedClock('2026-01-15T01:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  register(vault);
  const store = new RevealStore();
  const app = testApp(vault, { reveals: store, gateWindows });
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  await handler.get('/filings');
  return { vault, dataDir, store, app, handler, id: (code: string) => vault.persons.codes('employee').get(code)! };
}

async function upload(handler: Browser, bytes: Buffer = FILE): Promise<string> {
  const res = await handler.upload('/filings/upload?kind=appliance_csv&year=2025&name=gensen.csv', bytes);
  expect(res.status, res.text).toBe(201);
  return (res.body as { review: string }).review;
}

function expectNoNumber(text: string): void {
  for (const num of ALL) for (const f of [...forms(num), ...digitWindows(num)]) expect(text.includes(f), `page shows ${f.length} digits of a number`).toBe(false);
}

describe('filing merge through the gate', () => {
  it('lists unmatched, un-notified and numberless rows by line and name without a number, and asks for the namesakes', async () => {
    const { handler } = await setUp();
    const draft = await upload(handler);
    const review = await handler.get(draft);
    expect(review.status).toBe(200);
    const rows = [...review.text.matchAll(/<tr class="filing-row"[^>]*>([\s\S]*?)<\/tr>/gu)].map((m) =>
      m[1]!
        .replace(/<[^>]+>/gu, ' ')
        .replace(/\s+/gu, ' ')
        .trim(),
    );
    expect(rows.find((r) => r.includes('伊藤 健'))).toMatch(/^8 伊藤 健 本人 氏名と生年月日が同じ人物が複数います/u);
    expect(rows.find((r) => r.includes('田中 未通知'))).toMatch(/^6 田中 未通知 本人 番号を使えません この利用目的は本人に通知されていません/u);
    expect(rows.find((r) => r.includes('高橋 未提供'))).toMatch(/^7 高橋 未提供 本人 番号を使えません 個人番号が登録されていません/u);
    expect(rows.find((r) => r.includes('存在 しない'))).toMatch(/^9 存在 しない 本人 照合できません 氏名と生年月日が一致する人物が登録されていません/u);
    // The family, the colleague (half-width kana, a quoted empty field) and the leaver are matched: not listed.
    for (const name of ['山田 太郎', '山田　花子', '佐藤 一郎', '鈴木 退職']) expect(rows.some((r) => r.includes(name))).toBe(false);
    expect(review.text).toContain('行 8・番号を入れる 4・人物を選ぶ 1・番号を入れない 3');
    expectNoNumber(review.text);

    // Nothing can be asked while a row is undecided, nor with rows left empty unless the handler says so.
    const early = await handler.post(`${draft}/request`, { leaveUnfilled: '1' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('人物が決まっていない行が1行あります');
    expectNoNumber(early.text);
  });

  it('refuses a file whose number column already holds something, naming the line and not the value', async () => {
    const { handler } = await setUp();
    const bad = Buffer.from(`${FILE_LINES[0]}\r\n従業員,E1,山田 太郎,,,${n(1)},,,1\r\n`, 'utf8');
    const res = await handler.upload('/filings/upload?kind=appliance_csv&name=x.csv', bad);
    expect(res.status).toBe(422);
    expect((res.body as { error: string }).error).toBe('2行目: 「個人番号」の欄が空ではありません。番号の欄を空にしたファイルを使ってください（番号はこの装置が入れます）。');
  });

  it('answers 413 to a file over the cap and keeps nothing of it', async () => {
    const { handler, store } = await setUp();
    const res = await handler.upload('/filings/upload?kind=appliance_csv&name=big.csv', Buffer.alloc(16 * 1024 * 1024 + 1, 0x41));
    expect(res.status).toBe(413);
    expect(store.filings.forRequest(1)).toBeUndefined();
    expect(() =>
      store.filings.add(
        { handlerId: 'x', kind: 'appliance_csv', year: undefined, bytes: Buffer.alloc(16 * 1024 * 1024 + 1), filing: { kind: 'appliance_csv', encoding: 'utf8', rows: [] }, extension: 'csv' },
        Date.now(),
      ),
    ).toThrow('ファイルが大きすぎます');
  });

  it('fills only the number fields, hands the file over once as an AES-256 ZIP whose password shows once, and records the handover', async () => {
    const log = captureStderr();
    try {
      const { vault, dataDir, store, app, handler, id } = await setUp();
      const draft = await upload(handler);
      await handler.get(draft);
      // The handler decides the namesake row: E7, not E6.
      expect((await handler.post(`${draft}/resolve`, { key: 'L8', personId: String(id('E7')) })).status).toBe(303);
      const after = await handler.get(draft);
      expect(after.text).toContain('行 8・番号を入れる 5・人物を選ぶ 0・番号を入れない 3');
      const refused = await handler.post(`${draft}/request`, {});
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('番号を入れない行が3行あります');
      const asked = await handler.post(`${draft}/request`, { leaveUnfilled: '1' });
      expect(asked.status).toBe(303);
      const waitingPath = asked.headers.location!;
      expect(waitingPath).toMatch(/^\/filings\/requests\/\d+$/u);
      const requestId = waitingPath.split('/').pop()!;
      // The handler's list of requests names it; its gate page leads to the filing's own waiting page.
      expect((await handler.get('/gate')).text).toContain('届出ファイルへの記入');
      expect((await handler.get(`/gate/${requestId}`)).headers.location).toBe(waitingPath);
      const waiting = await handler.get(waitingPath);
      const code = /class="request-code">(\d{6})</u.exec(waiting.text)![1]!;
      expect(waiting.text).not.toContain('zip-password');

      await approveWithPin(vault, store, { code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' }, gateWindows);
      const shown = await handler.get(waitingPath);
      const password = /id="zip-password">([^<]+)</u.exec(shown.text)![1]!;
      expect(password).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/u);
      expectNoNumber(shown.text);
      const again = await handler.get(waitingPath);
      expect(again.text).not.toContain(password);
      expect(again.text).toContain('パスワードは既に一度表示されました');

      const file = await handler.getBytes(`${waitingPath}/download`);
      const zip = file.body as Buffer;
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('application/zip');
      expect(file.headers['content-disposition']).toMatch(/^attachment; filename="filing-appliance_csv-2025-20260115\.zip"$/u);
      for (const num of ALL) expect(zip.includes(Buffer.from(num))).toBe(false);
      expect((await handler.getBytes(`${waitingPath}/download`)).status).toBe(403);

      const opened = open7z(zip, password);
      if (!opened.ok) throw new Error(opened.output);
      expect(opened.names).toEqual(['filing-appliance_csv-2025.csv']);
      expect(opened.content.equals(expectedMerge(7))).toBe(true);
      const wrong = open7z(zip, `${password}x`);
      expect(wrong.ok).toBe(false);
      if (!wrong.ok) expect(wrong.output).toMatch(/Wrong password/u);

      // filing.merged names the five persons and the figures, never a number; the handover row commits with it.
      const ev = vault.db.prepare("SELECT seq, subjects, purpose, detail FROM audit_events WHERE action = 'filing.merged'").all() as {
        seq: number;
        subjects: string;
        purpose: string;
        detail: string;
      }[];
      expect(ev).toHaveLength(1);
      expect(ev[0]!.purpose).toBe('withholding_slip');
      expect(JSON.parse(ev[0]!.detail)).toEqual({ request_id: Number(waitingPath.split('/').pop()), kind: 'appliance_csv', year: 2025, rows: 5, persons: 5 });
      const handover = vault.db.prepare('SELECT * FROM filing_handovers').all() as Record<string, unknown>[];
      expect(handover).toHaveLength(1);
      expect(handover[0]).toMatchObject({
        merged_seq: ev[0]!.seq,
        kind: 'appliance_csv',
        year: 2025,
        destination: 'tax_office',
        channel: 'etax',
        rows: 5,
        persons: 5,
        destination_name: null,
        submitted_on: null,
      });
      const persons = (vault.db.prepare('SELECT person_id FROM filing_handover_persons ORDER BY person_id').pluck().all() as number[]).sort((a, b) => a - b);
      const family = vault.persons.dependantsOf(id('E1')).map((d) => d.id);
      expect(persons).toEqual([id('E1'), ...family, id('E2'), id('E3'), id('E7')].sort((a, b) => a - b));

      // The 取扱状況記録 of the month lists the merge as a use and output, with its persons.
      const admin = new Browser(app);
      await admin.signIn(ADMIN.login, ADMIN.password);
      const activity = await admin.getBytes('/reports/activity.pdf?month=2026-01');
      expect(activity.status).toBe(200);
      const printed = pdfPages(activity.body as Buffer, 'activity-filing-merged')
        .pages.join('')
        .replace(/\s+/gu, '');
      expect(printed).toContain('届出ファイルへの番号の記入と受け渡し（暗号化ZIP）');
      expect(printed).toContain('2025年分（5行・5名');
      expect(printed).toContain('山田花子');
      for (const num of ALL) expect(printed.includes(num)).toBe(false);

      vault.close();
      const scan = scanDataDir(dataDir, ALL);
      expect(scan.files).toBeGreaterThan(0);
      expect(scan.hits).toEqual([]);
      for (const num of ALL) expect(log.lines.join('').includes(num)).toBe(false);
    } finally {
      log.restore();
    }
  });
});
