import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { verifyChain } from '../../src/audit/verify.js';
import { importPersons, type ImportReport } from '../../src/services/import/import-persons.js';
import { numberRecordId, NUMBER_FIELD } from '../../src/services/numbers.js';
import type { Vault } from '../../src/services/vault.js';
import { Opener } from '../../src/vault/sealed-box.js';
import { unlockSlot } from '../../src/vault/slots.js';
import { syntheticCsv, syntheticNumber, validNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const actor = { id: 'test', name: 'テスト担当' };
const HEADER = '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号';
const n = (i: number) => syntheticNumber(i, 4);
const badCheck = (i: number) => {
  const good = n(i);
  return good.slice(0, 11) + String((Number(good[11]) + 1) % 10);
};

function run(vault: Vault, text: string, opts: { skipInvalid?: boolean; sjis?: boolean; bom?: boolean } = {}): ImportReport {
  let bytes = opts.sjis ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
  if (opts.bom) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  return importPersons(vault, bytes, { purposes: ALL_PURPOSES, actor, skipInvalid: opts.skipInvalid ?? false });
}

async function openNumber(vault: Vault, personId: number): Promise<string> {
  const admin = vault.users.byLogin(ADMIN.login)!;
  const key = await unlockSlot(vault.slots.pinSlotOf(admin.id)!, { kind: 'pin', pin: new Secret(ADMIN.pin) }, vault.keys.pepper);
  const opener = new Opener(key.expose(), vault.publicKey);
  try {
    return opener.open(vault.persons.numberOf(personId)!.sealed!, numberRecordId(personId), NUMBER_FIELD).toString('latin1');
  } finally {
    opener.wipe();
    key.wipe();
  }
}

// Every kind of bad row the issue names, one per line, plus good rows around them.
const BAD_FILE = [
  HEADER, //                                                            line 1
  `従業員,E001,山田 太郎,ヤマダ タロウ,1980-04-01,${n(1)},,`, //           2 good
  `従業員,E002,佐藤 花子,サトウ ハナコ,1981-05-02,${badCheck(2)},,`, //     3 bad check digit
  `従業員,E003,鈴木 一郎,スズキ イチロウ,1982-06-03,${n(3).slice(0, 11)},,`, // 4 wrong length
  `扶養親族,,山田 次郎,ヤマダ ジロウ,2010-01-01,${n(4)},子,E999`, //       5 unknown supporter
  `従業員,E005,高橋 三郎,タカハシ サブロウ,1983-07-04,${n(1)},,`, //        6 duplicate number (of line 2)
  `従業員,E006,,,1984-08-05,${n(6)},,`, //                                 7 missing name
  `扶養親族,,山田 花代,ヤマダ ハナヨ,2012-02-02,${n(7)},配偶者,E001`, //    8 good, supporter in file
].join('\n');

describe('import', () => {
  it('imports employees, dependants and payees with sealed numbers that open to the same digits', async () => {
    const { vault } = await newTestVault();
    const text = [
      HEADER,
      `扶養親族,,山田 花子,やまだ はなこ,1982-07-15,${n(2)},妻,E0001`,
      `従業員,E0001,山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ,平成2年4月1日,'１２３４－５６７８－９０１８',,`.replace("'１２３４－５６７８－９０１８'", ' １２３４ ５６７８ ９０１８ '),
      `支払先,P01,田中 翔,タナカ ショウ,1968-02-11,${n(3)},,`,
    ].join('\r\n');
    const r = run(vault, text);
    expect(r.errors).toEqual([]);
    expect(r.committed).toBe(true);
    expect(r.imported).toMatchObject({ employee: 1, dependant: 1, payee: 1 });
    const employee = [...vault.persons.codes('employee').values()][0]!;
    const person = vault.persons.byId(employee)!;
    expect(person).toMatchObject({ name: '山田 太郎', kana: 'ヤマダ タロウ', birthDate: '1990-04-01', status: 'active' });
    expect(await openNumber(vault, employee)).toBe('123456789018');
    const dependant = vault.db.prepare("SELECT id, supporter_id, relationship, kana FROM persons WHERE kind = 'dependant'").get() as Record<string, unknown>;
    expect(dependant).toMatchObject({ supporter_id: employee, relationship: '配偶者', kana: 'ヤマダ ハナコ' });
    expect(await openNumber(vault, dependant.id as number)).toBe(n(2));
  });

  it('links dependants to supporters already in the vault', async () => {
    const { vault } = await newTestVault();
    expect(run(vault, [HEADER, `従業員,E1,山田 太郎,,,${n(1)},,`].join('\n')).committed).toBe(true);
    const r = run(vault, [HEADER, `扶養親族,,山田 花子,,,${n(2)},配偶者,E1`].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.imported.dependant).toBe(1);
  });

  for (const encoding of ['UTF-8', 'UTF-8 (BOM)', 'Shift_JIS'] as const) {
    it(`lists every bad row with its line and reason and stores nothing (${encoding})`, async () => {
      const { vault } = await newTestVault();
      const before = vault.auditRepo.count();
      const r = run(vault, BAD_FILE, { sjis: encoding === 'Shift_JIS', bom: encoding === 'UTF-8 (BOM)' });
      expect(r.encoding).toBe(encoding);
      expect(r.committed).toBe(false);
      const byLine = new Map(r.errors.map((e) => [e.line, e.message]));
      expect([...byLine.keys()].sort()).toEqual([3, 4, 5, 6, 7]);
      expect(byLine.get(3)).toContain('チェックデジット');
      expect(byLine.get(4)).toContain('11桁');
      expect(byLine.get(5)).toContain('扶養元の社員番号「E999」');
      expect(byLine.get(6)).toContain('2行目と重複');
      expect(byLine.get(7)).toContain('氏名が空');
      for (const e of r.errors) for (const i of [1, 2, 3, 4, 6, 7]) expect(e.message).not.toContain(n(i));
      expect(vault.persons.count().persons).toBe(0);
      expect(vault.auditRepo.count()).toBe(before);
    });
  }

  it('with skipInvalid stores the good rows, lists the bad ones and audits one event naming the persons', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, BAD_FILE, { skipInvalid: true });
    expect(r.committed).toBe(true);
    expect(r.imported).toMatchObject({ employee: 1, dependant: 1, payee: 0 });
    expect(new Set(r.errors.map((e) => e.line))).toEqual(new Set([3, 4, 5, 6, 7]));
    const last = [...vault.auditRepo.iterateShown(r.auditSeq!)][0]!;
    expect(last[4]).toBe('persons.imported');
    expect(JSON.parse(last[5]).map((s: { name: string }) => s.name).sort()).toEqual(['山田 太郎', '山田 花代']);
    expect(last[9]).not.toMatch(/\d{12}/);
  });

  it('refuses a number already registered, matching by keyed HMAC', async () => {
    const { vault } = await newTestVault();
    run(vault, [HEADER, `従業員,E1,山田 太郎,,,${n(1)},,`].join('\n'));
    const r = run(vault, [HEADER, `従業員,E2,別人 太郎,,,${n(1).replace(/(\d{4})(\d{4})(\d{4})/, '$1-$2-$3')},,`].join('\n'));
    expect(r.committed).toBe(false);
    expect(r.errors[0]!.message).toContain('既に登録済み');
    const stored = vault.db.prepare('SELECT number_index FROM person_numbers').pluck().get() as Buffer;
    expect(stored.includes(Buffer.from(n(1)))).toBe(false);
  });

  it('drops a dependant whose supporter row is bad when skipping invalid rows', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, [HEADER, `従業員,E1,山田 太郎,,,${badCheck(1)},,`, `扶養親族,,山田 花子,,,${n(2)},配偶者,E1`].join('\n'), { skipInvalid: true });
    expect(r.committed).toBe(false);
    expect(r.errors.find((e) => e.line === 3)?.message).toContain('2行目');
  });

  it('records a refusal (未提供理由) instead of a number, and a company payee by 法人番号', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, [
      '種別,社員番号,氏名,個人番号,未提供理由,法人番号',
      '従業員,E1,山田 太郎,,本人が提供を拒否,',
      '支払先,P1,株式会社サンプル,,,7123456789012',
    ].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.imported.notProvided).toBe(1);
    const id = vault.persons.codes('employee').get('E1')!;
    expect(vault.persons.numberOf(id)).toMatchObject({ state: 'not_provided', refusalReason: '本人が提供を拒否', sealed: null });
    expect(vault.persons.byId(vault.persons.codes('payee').get('P1')!)?.corporateNumber).toBe('7123456789012');
  });

  it('accepts English headers and reports unknown or missing columns on line 1', async () => {
    const { vault } = await newTestVault();
    const ok = run(vault, ['kind,employee_code,name,kana,birth_date,my_number,relationship,supporter_code', `employee,E1,Yamada Taro,ヤマダ タロウ,1980-01-01,${n(1)},,`].join('\n'));
    expect(ok.errors).toEqual([]);
    const bad = run(vault, ['種別,氏名,マイナンバ', `従業員,山田,${n(2)}`].join('\n'));
    expect(bad.committed).toBe(false);
    expect(bad.errors.every((e) => e.line === 1)).toBe(true);
    expect(bad.errors.map((e) => e.message).join()).toContain('不明な列「マイナンバ」');
    expect(bad.errors.map((e) => e.message).join()).toContain('必須の列「個人番号」');
  });

  it('reports the starting line of a row after a quoted line break', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, [HEADER, `従業員,E1,"山田\n太郎",,,${n(1)},,`, `従業員,E2,佐藤 花子,,,${badCheck(2)},,`].join('\n'));
    expect(r.errors.map((e) => e.line)).toEqual([2, 4]);
    expect(r.errors[0]!.message).toContain('制御文字');
  });

  it('imports a generated file of 2,000 rows in one transaction', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, syntheticCsv(2000, 5));
    expect(r.errors).toEqual([]);
    expect(vault.persons.count().held).toBe(2000);
    expect(validNumber('12345678901')).toBe('123456789018');
  });

  it('names each imported person in the trail with a salt made while the batch was stored, and the trail verifies', async () => {
    const { vault } = await newTestVault();
    const r = run(vault, syntheticCsv(1200, 5));
    expect(r.committed).toBe(true);
    // One salt per person, made in the chunks (bulk), found by the event's digests.
    expect(vault.db.prepare('SELECT count(*) FROM persons p JOIN person_trail_salts t ON t.person_id = p.id').pluck().get()).toBe(1200);
    expect(vault.db.prepare('SELECT count(*) FROM audit_subjects WHERE seq = ?').pluck().get(r.auditSeq)).toBe(1200);
    expect(vault.db.prepare('SELECT count(*) FROM audit_subject_names WHERE seq = ?').pluck().get(r.auditSeq)).toBe(1200);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: true });
  });
});

describe('import canary while the vault is open', () => {
  it('leaves no number in the database, WAL or shared-memory file before any checkpoint', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { vault, dataDir } = await newTestVault();
    vault.db.pragma('wal_autocheckpoint = 0');
    const numbers = Array.from({ length: 50 }, (_, i) => syntheticNumber(500 + i, 9));
    const r = run(vault, [HEADER, ...numbers.map((num, i) => `従業員,E${i},山田 太郎${i},,,${num},,`)].join('\n'));
    expect(r.committed).toBe(true);
    const names = readdirSync(dataDir);
    expect(names).toContain('vault.db-wal');
    for (const name of names.filter((f) => f.startsWith('vault.db'))) {
      const bytes = readFileSync(join(dataDir, name));
      for (const num of numbers) {
        expect(bytes.includes(Buffer.from(num, 'latin1')), `${name}`).toBe(false);
        expect(bytes.includes(Buffer.from(num, 'utf16le')), `${name}`).toBe(false);
      }
    }
    expect(readFileSync(join(dataDir, 'vault.db-wal')).length).toBeGreaterThan(0);
  });
});
