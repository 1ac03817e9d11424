import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { writeTransaction } from '../../src/storage/database.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, testApp } from '../helpers/web.js';
import { expectNoNumbers, pdfPages } from '../reports/pdf-helpers.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = Array.from({ length: 4 }, (_, i) => syntheticNumber(i + 1, 97));
const flat = (s: string) => s.replace(/\s+/gu, '');

async function setUp() {
  const { vault } = await newTestVault(fixedClock('2026-04-10T00:00:00Z'));
  await addStaff(vault);
  const csv = ['種別,社員番号,氏名,個人番号', ...NUMBERS.map((n, i) => `従業員,E${i + 1},漏洩 太郎${i + 1},${n}`)].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { purposes: ALL_PURPOSES, actor: { id: 'cli', name: 'mnvault import' } }).committed).toBe(true);
  const exportSeq = writeTransaction(vault.db, () =>
    vault.audit.append({ actor: { id: 'u-h', name: '担当 花子' }, action: 'numbers.exported', purpose: 'withholding_slip', client: '192.168.1.30', subjects: [{ id: 1, name: '漏洩 太郎1' }, { id: 2, name: '漏洩 太郎2' }], detail: { persons: 2 } }),
  ).seq;
  const app = testApp(vault);
  const auditor = new Browser(app);
  await auditor.signIn(AUDITOR.login, AUDITOR.password);
  const admin = new Browser(app);
  await admin.signIn(ADMIN.login, ADMIN.password);
  return { vault, auditor, admin, exportSeq };
}

const Q = '/incident?from=2026-04-01&to=2026-04-30&known=2026-04-10';
const reason = (html: string) => /class="incident-reason incident-(\w+)[^"]*">([^<]*)</u.exec(html)!;

describe('incident aid (issue 11 point 10)', () => {
  it('asks what leaked: an encrypted backup is exempt while its key is safe, not when the key is in doubt; an export file names its persons; missing facts are never "not required"', async () => {
    const { auditor, exportSeq } = await setUp();
    let r = reason((await auditor.get(`${Q}&source=backup&key=no`)).text);
    expect(r[1]).toBe('not_required');
    expect(r[2]).toContain('高度な暗号化');

    let page = await auditor.get(`${Q}&source=vault_file&key=unknown&public=1`);
    r = reason(page.text);
    expect(r[1]).toBe('required');
    expect(r[2]).toContain('鍵も漏えいしたものとして扱います');
    expect(r[2]).toContain('規則2条3号');
    expect(page.text).toMatch(/class="incident-persons">4 名/u);

    page = await auditor.get(`${Q}&source=export_file&export=${exportSeq}&improper=1`);
    r = reason(page.text);
    expect(r[1]).toBe('required');
    expect(page.text).toMatch(/class="incident-persons">2 名/u);

    r = reason((await auditor.get(`${Q}&source=paper`)).text);
    expect(r[1]).toBe('undetermined');
    expect(r[2]).toContain('本人の数が分かりません');
    r = reason((await auditor.get(`${Q}&source=unknown`)).text);
    expect(r[1]).toBe('undetermined');
    r = reason((await auditor.get(`${Q}&source=export_file&export=99999`)).text);
    expect(r[1]).toBe('undetermined');
    // A reveal with nothing in the trail: not evidence that nothing happened.
    r = reason((await auditor.get(`${Q}&source=reveal&device=pinpad:none`)).text);
    expect(r[1]).toBe('undetermined');
    r = reason((await auditor.get(`${Q}&source=paper&paper=3`)).text);
    expect(r[1]).toBe('not_required');

    const refused = await auditor.get(`${Q}&source=paper&reporter=${encodeURIComponent(`総務 ${NUMBERS[0]}`)}`);
    expect(refused.status).toBe(400);
    expect(refused.text).not.toContain(NUMBERS[0]);
  });

  it('prints the PPC form header (報告者, 法人番号, 発生・発覚日時, 事態の区分, 委託関係) and a 本人通知 draft to PDF', async () => {
    const { admin, exportSeq } = await setUp();
    const q = `${Q}&source=export_file&export=${exportSeq}&public=1&reporter=${encodeURIComponent('総務部 山田')}&corp=1234567890123&occurred=${encodeURIComponent('2026年4月8日 15時ごろ')}&category=leak&entrusted=as_principal`;
    const pdf = await admin.getBytes(q.replace('/incident?', '/incident/print.pdf?'));
    expect(pdf.status).toBe(200);
    const doc = pdfPages(pdf.body, 'incident-aid');
    const text = flat(doc.pages.join(''));
    for (const piece of ['報告者（担当者）総務部山田', '法人番号1234567890123', '発生日時2026年4月8日15時ごろ', '発覚日時（事態を知った日）2026年4月10日', '事態の区分漏えい（又はそのおそれ）', '委託関係委託元として（委託先で発生）', '漏えい等したもの出力したCSVファイル（暗号化なし）', '報告の要否報告が必要', '4.本人への通知（案）', '番号法7条2項', '漏洩太郎1', '漏洩太郎2']) {
      expect(text).toContain(piece);
    }
    expect(text).not.toContain('漏洩太郎3');
    expectNoNumbers(doc.pages.join('\n'), NUMBERS);
  }, 60_000);
});
