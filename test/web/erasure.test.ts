import { ALL_PURPOSES } from '../helpers/purposes.js';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser } from '../../src/services/accounts.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { addRole, endRole } from '../../src/services/roles.js';
import type { Vault } from '../../src/services/vault.js';
import { ERASURE } from '../../src/web/messages-erasure.js';
import { scanDataDir } from '../helpers/canary.js';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { pdfPages } from '../reports/pdf-helpers.js';

const N = [1, 2, 3].map((i) => syntheticNumber(i, 63));
const ERASED = { name: '消去 一郎', kana: 'ショウキョ イチロウ', birth: '1961-02-03' };
const flat = (s: string) => s.replace(/\s+/gu, '');

/** Every value of every table, as text (the db file itself is encrypted: its bytes say nothing). */
function everyValue(vault: Vault): string {
  const tables = vault.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  return tables.map((t) => JSON.stringify(vault.db.prepare(`SELECT * FROM "${t}"`).raw().all())).join('\n');
}

async function setUp() {
  const clock = fixedClock('2035-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  const system = { id: 'test', name: 'テスト' };
  const csv = [
    '種別,社員番号,氏名,フリガナ,生年月日,個人番号',
    `従業員,E1,${ERASED.name},${ERASED.kana},${ERASED.birth},${N[0]}`,
    `従業員,E2,役割 二郎,ヤクワリ ジロウ,1962-03-04,${N[1]}`,
    `従業員,E3,在職 三郎,ザイショク サブロウ,1963-04-05,${N[2]}`,
  ].join('\n');
  expect(importPersons(vault, Buffer.from(csv), { actor: system, purposes: ALL_PURPOSES }).committed).toBe(true);
  const ids = { e1: vault.persons.codes('employee').get('E1')!, e2: vault.persons.codes('employee').get('E2')!, e3: vault.persons.codes('employee').get('E3')! };
  retirePerson(vault, system, ids.e1, '2026-03-31', null);
  retirePerson(vault, system, ids.e2, '2026-03-31', null);
  // E2 is also a payee whose dealings ended this year: that role's papers are kept until 2041-01-31.
  addRole(vault, system, ids.e2, { role: 'payee', code: 'P2' }, null);
  endRole(vault, system, ids.e2, vault.roles.forPerson(ids.e2)[0]!.id, '2035-01-15', null);
  const app = testApp(vault);
  const as = async (who: { login: string; password: string }) => {
    const b = new Browser(app);
    await b.signIn(who.login, who.password);
    await b.get('/');
    return b;
  };
  return { vault, dataDir, ids, as, clock };
}

function dispose(vault: Vault, personIds: number[]): void {
  const admin = vault.users.byLogin(ADMIN.login)!;
  const id = proposeDisposal(vault, admin, { personIds: personIds.map(String) }, null);
  approveDisposal(vault, admin, id, null);
}

describe('erasure of a person after disposal (issue 11 point 12)', () => {
  it('refuses before the number is disposed and while a role is still kept, saying why and from when', async () => {
    const { vault, ids, as } = await setUp();
    const admin = await as(ADMIN);
    const held = await admin.get(`/persons/${ids.e1}/erase`);
    expect(held.status).toBe(200);
    expect(held.text).toContain('個人番号をまだ保管しています');
    const refused = await admin.post(`/persons/${ids.e1}/erase`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('番号を廃棄（廃棄の提案と承認）してから削除できます');

    // E2's payee role keeps the number until 2041-01-31 (retention per role), so it can be neither
    // disposed nor erased yet.
    expect(() => dispose(vault, [ids.e2])).toThrow(/保管期間が終わっていない/u);
    dispose(vault, [ids.e1]);
    const kept = await admin.get(`/persons/${ids.e2}/erase`);
    expect(kept.text).toContain('個人番号をまだ保管しています');
    expect((await admin.post(`/persons/${ids.e2}/erase`)).status).toBe(409);
    // A handler may not even look.
    const handler = await as(HANDLER);
    expect((await handler.get(`/persons/${ids.e1}/erase`)).status).toBe(403);
    expect(vault.persons.byId(ids.e2)!.name).toBe('役割 二郎');
  });

  it('erases name, kana and birth date everywhere, leaves 「削除済」, and the chain still verifies (web, reports, CLI)', async () => {
    const { vault, dataDir, ids, as } = await setUp();
    dispose(vault, [ids.e1]);
    const admin = await as(ADMIN);
    expect((await admin.get(`/persons/${ids.e1}`)).text).toContain(ERASURE.link);
    const page = await admin.get(`/persons/${ids.e1}/erase`);
    expect(flat(page.text)).toContain('削除できる日:2034年1月11日（令和16年）以降');
    const proposed = await admin.post(`/persons/${ids.e1}/erase`);
    expect(proposed.status).toBe(303);
    const path = proposed.headers.location!;
    expect(path).toMatch(/^\/erasures\/\d+$/u);
    await admin.get(path);
    const unconfirmed = await admin.post(`${path}/approve`);
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain(ERASURE.confirmRequired);
    expect(vault.persons.byId(ids.e1)!.name).toBe(ERASED.name);
    const approved = await admin.post(`${path}/approve`, { irreversible: '1' });
    expect(approved.status).toBe(303);
    expect((await admin.get(approved.headers.location!)).text).toContain(ERASURE.done);

    // Nowhere in the vault's tables, nor in any plaintext file of the data folder (ledger, witness, logs).
    const all = everyValue(vault);
    for (const s of [ERASED.name, ERASED.kana, ERASED.birth]) expect(all, s).not.toContain(s);
    expect(all).toContain('役割 二郎');
    expect(scanDataDir(dataDir, [ERASED.name, ERASED.kana, ERASED.birth]).hits).toEqual([]);

    // The tombstone on every page that named the person.
    const tomb = `削除済 #${ids.e1}`;
    const person = await admin.get(`/persons/${ids.e1}`);
    expect(person.text).toContain(tomb);
    const register = await admin.get('/persons');
    expect(register.text).toContain(tomb);
    expect(register.text).not.toContain(ERASED.name);
    const audit = await admin.get('/audit');
    expect(audit.text).toContain(tomb);
    expect(audit.text).toContain('個人データの削除（削除済）');
    expect(audit.text).not.toContain(ERASED.name);
    const personTrail = await admin.get(`/audit?person=${ids.e1}`);
    expect(personTrail.text).not.toContain(ERASED.name);
    // 廃棄証明書 and 取扱状況記録, printed to PDF and read back (the 管理台帳 names no person, only counts).
    for (const [url, name] of [['/reports/disposal.pdf?month=2035-04', 'erasure-disposal'], ['/reports/activity.pdf?month=2035-04', 'erasure-activity']] as const) {
      const pdf = await admin.getBytes(url);
      expect(pdf.status, url).toBe(200);
      const text = flat(pdfPages(pdf.body, name).pages.join(''));
      expect(text, url).toContain(flat(tomb));
      expect(text, url).not.toContain(flat(ERASED.name));
    }

    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: true });
    vault.close();
    const cli = mnvault(['audit', 'verify', '--data', dataDir]);
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('監査記録は正常です');
  });

  it('needs a second admin to approve when there is one (four-eyes, as disposal)', async () => {
    const { vault, ids, as } = await setUp();
    dispose(vault, [ids.e1]);
    const first = vault.users.byLogin(ADMIN.login)!;
    await createUser(vault, { id: first.id, name: first.displayName }, { login: 'kanri2', displayName: '責任者 二号', role: 'admin', password: new Secret('second admin pass 1') }, null);
    const admin = await as(ADMIN);
    const path = (await admin.post(`/persons/${ids.e1}/erase`)).headers.location!;
    expect((await admin.get(path)).text).toContain(ERASURE.cannotApproveOwn);
    expect((await admin.post(`${path}/approve`, { irreversible: '1' })).status).toBe(403);
    const second = await as({ login: 'kanri2', password: 'second admin pass 1' });
    await second.get(path);
    expect((await second.post(`${path}/approve`, { irreversible: '1' })).status).toBe(303);
    expect(vault.persons.byId(ids.e1)!.name).toBe(`削除済 #${ids.e1}`);
  });

  it('fails verification when a name kept beside the chain is changed or removed without an erasure', async () => {
    const { vault, ids } = await setUp();
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: true });
    const seq = vault.db.prepare('SELECT min(seq) FROM audit_subject_names WHERE person_id = ?').pluck().get(ids.e3) as number;
    vault.db.prepare('UPDATE audit_subject_names SET name = ? WHERE seq = ? AND person_id = ?').run('別人 花子', seq, ids.e3);
    expect(verifyChain(vault.auditRepo, vault.keys.audit)).toMatchObject({ ok: false, badSeq: seq });
    vault.db.prepare('DELETE FROM audit_subject_names WHERE seq = ? AND person_id = ?').run(seq, ids.e3);
    const gone = verifyChain(vault.auditRepo, vault.keys.audit);
    expect(gone).toMatchObject({ ok: false, badSeq: seq });
    expect(gone.ok ? '' : gone.reason).toContain('削除（person.erased）の記録がありません');
  });
});
