import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { deriveFromCredential } from '../../src/vault/credential.js';
import { Secret } from '../../src/domain/secret.js';
import { mnvault, type CliResult } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { tempDir } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 6 }, (_, i) => syntheticNumber(100 + i, 8));
const BAD_CHECK = NUMBERS[5]!.slice(0, 11) + String((Number(NUMBERS[5]![11]) + 1) % 10);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Every encoding a number could leak in: ASCII, UTF-16LE, UTF-16BE, and grouped forms. */
function needles(n: string): Buffer[] {
  const grouped = `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;
  return [n, grouped, `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`].flatMap((s) => [
    Buffer.from(s, 'latin1'),
    Buffer.from(s, 'utf16le'),
    Buffer.from(s, 'utf16le').swap16(),
  ]);
}

async function setUp(): Promise<{ data: string; work: string; outputs: CliResult[] }> {
  const work = tempDir();
  const data = join(work, 'data');
  writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
  writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
  const init = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  expect(init.stdout).toMatch(/[0-9A-Z]{4}(-[0-9A-Z]{4}){7}/);
  return { data, work, outputs: [init] };
}

describe('mnvault CLI', () => {
  it('init, import and verify leave no number in the data folder or the output (canary)', async () => {
    const { data, work, outputs } = await setUp();
    const csv = [
      '種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号',
      `従業員,E1,山田 太郎,ヤマダ タロウ,1980-04-01,${NUMBERS[0]},,`,
      `扶養親族,,山田 花子,ヤマダ ハナコ,1982-01-01,${NUMBERS[1]},配偶者,E1`,
      `従業員,E2,佐藤 一郎,サトウ イチロウ,1979-03-03,${NUMBERS[2]!.replace(/(\d{4})(\d{4})(\d{4})/u, '$1-$2-$3')},,`,
      `支払先,P1,田中 翔,タナカ ショウ,1968-02-11,${NUMBERS[3]},,`,
    ].join('\r\n');
    writeFileSync(join(work, 'ok.csv'), iconv.encode(csv, 'cp932'));
    const imported = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'ok.csv')]);
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain('Shift_JIS');
    expect(imported.stdout).toContain('従業員 2 名、扶養親族 1 名、支払先 1 名');
    expect(imported.stderr).toContain('警告: 開発用のデータベース鍵');
    // A rejected file: its messages must not echo the numbers either.
    writeFileSync(join(work, 'bad.csv'), `種別,社員番号,氏名,個人番号\n従業員,E9,鈴木 次郎,${BAD_CHECK}\n従業員,E8,鈴木 三郎,${NUMBERS[4]}\n`);
    const rejected = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'bad.csv')]);
    expect(rejected.status).toBe(2);
    const verified = mnvault(['audit', 'verify', '--data', data]);
    expect(verified.status).toBe(0);
    outputs.push(imported, rejected, verified);

    const dataFiles = files(data);
    expect(dataFiles.map((f) => f.slice(data.length))).toEqual(expect.arrayContaining(['/vault.db', '/credentials/db-key']));
    for (const f of dataFiles) {
      const bytes = readFileSync(f);
      for (const n of [...NUMBERS, BAD_CHECK]) for (const needle of needles(n)) expect(bytes.includes(needle), `${n} in ${f}`).toBe(false);
    }
    const printed = Buffer.from(outputs.map((o) => o.stdout + o.stderr).join('\n'));
    for (const n of [...NUMBERS, BAD_CHECK]) for (const needle of needles(n)) expect(printed.includes(needle), `${n} in output`).toBe(false);
  });

  it('import lists bad rows in Japanese with line numbers and exits 2; --skip-invalid imports the rest', async () => {
    const { data, work } = await setUp();
    writeFileSync(join(work, 'mixed.csv'), `\uFEFF氏名,種別,個人番号,社員番号\n山田 太郎,従業員,${NUMBERS[0]},E1\n,従業員,${NUMBERS[1]},E2\n佐藤 花子,従業員,${BAD_CHECK},E3\n`);
    const all = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), join(work, 'mixed.csv')]);
    expect(all.status).toBe(2);
    expect(all.stderr).toContain('3行目: 氏名が空です');
    expect(all.stderr).toContain('4行目: 個人番号のチェックデジット');
    expect(all.stderr).toContain('1件も取り込みませんでした');
    expect(all.stderr).not.toMatch(/\n\s+at /u);
    const some = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), '--skip-invalid', join(work, 'mixed.csv')]);
    expect(some.status).toBe(0);
    expect(some.stdout).toContain('従業員 1 名');
    expect(some.stdout).toContain('UTF-8 (BOM)');
  });

  it('audit verify exits 1 naming the first bad seq after tampering', async () => {
    const { data } = await setUp();
    const key = deriveFromCredential(new Secret(readFileSync(join(data, 'credentials', 'db-key'))), 'sqlite');
    const db = new Database(join(data, 'vault.db'));
    db.pragma("cipher='aegis'");
    db.pragma(`key="raw:${key.expose().toString('hex')}"`);
    db.exec("DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor_name = 'someone else' WHERE seq = 2;");
    db.close();
    const r = mnvault(['audit', 'verify', '--data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('seq 2');
  });

  it('exits 2 with a clear message for a wrong key, a missing vault and bad usage', async () => {
    const { data } = await setUp();
    writeFileSync(join(data, 'credentials', 'db-key'), randomBytes(32));
    const wrong = mnvault(['audit', 'verify', '--data', data]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('データベース鍵が一致しません');
    const missing = mnvault(['audit', 'verify', '--data', join(data, 'nowhere')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('金庫がありません');
    const noKey = mnvault(['audit', 'verify', '--data', data], { CREDENTIALS_DIRECTORY: tempDir() });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('db-key');
    const usage = mnvault(['import', '--data', data]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('CSVファイル');
    const unknown = mnvault(['frobnicate']);
    expect(unknown.status).toBe(2);
    for (const r of [wrong, missing, noKey, usage, unknown]) expect(r.stderr).not.toMatch(/\n\s+at /u);
  });

  it('refuses init over an existing vault and init without a key outside development', async () => {
    const { data, work } = await setUp();
    const again = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('既に金庫があります');
    const noKey = mnvault(['init', '--data', join(work, 'other'), '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('--dev');
  });

  it('leaves nothing behind when init --dev fails, so it can simply be run again', async () => {
    const work = tempDir();
    const data = join(work, 'data');
    writeFileSync(join(work, 'weak'), 'short\n');
    writeFileSync(join(work, 'pw'), 'a long admin password\n');
    writeFileSync(join(work, 'pin'), '73915482\n');
    const args = (pw: string) => ['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, pw), '--admin-pin-file', join(work, 'pin')];
    const weak = mnvault(args('weak'));
    expect(weak.status).toBe(2);
    expect(weak.stderr).toContain('12文字以上');
    const retry = mnvault(args('pw'));
    expect(retry.stderr).toBe('');
    expect(retry.status).toBe(0);
  });

  it('refuses simulated devices and the development key in production mode', async () => {
    const { data } = await setUp();
    const r = mnvault(['serve', '--data', data, '--simulate-devices'], { MNVAULT_MODE: 'production' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('模擬デバイス');
    const v = mnvault(['audit', 'verify', '--data', data], { MNVAULT_MODE: 'production' });
    expect(v.status).toBe(2);
    expect(v.stderr).toContain('開発用のデータベース鍵');
  });
});
