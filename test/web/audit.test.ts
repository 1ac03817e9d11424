import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/chain.js';
import { fixedClock } from '../../src/domain/ports.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { Vault } from '../../src/services/vault.js';
import { auditEvents } from '../helpers/audit.js';
import { scanDataDir, windows } from '../helpers/canary.js';
import { keyApproval, KEY_APPROVAL_NUMBER } from '../helpers/key-approval.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, coreOf, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBERS = [syntheticNumber(7_310_000_001, 1), syntheticNumber(7_310_000_001, 2)];

function noNumber(text: string, numbers: readonly string[] = NUMBERS): void {
  for (const n of numbers) for (const w of windows(n)) expect(text).not.toContain(w);
}

/** Staff, two persons with numbers, and 130 events over April and May (Japan time). */
async function setUp(): Promise<{ vault: Vault; dataDir: string; app: ReturnType<typeof testApp> }> {
  const { vault, dataDir } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBERS[0]}\n従業員,E2,鈴木 花子,${NUMBERS[1]}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const yamada = vault.persons.codes('employee').get('E1')!;
  const clock = fixedClock('2026-04-10T00:00:00Z');
  const trail = new AuditTrail(vault.auditRepo, vault.keys.audit, clock);
  const handler = vault.users.byLogin(HANDLER.login)!;
  writeTransaction(vault.db, () => {
    for (let i = 0; i < 130; i++) {
      clock.advance(9 * 3600_000);
      trail.append({
        actor: { id: handler.id, name: handler.displayName },
        action: i % 2 ? 'number.revealed' : 'door.opened',
        subjects: i % 2 ? [{ id: yamada, name: '山田 太郎' }] : [],
        purpose: i % 2 ? 'withholding_slip' : null,
        device: i % 2 ? 'pinpad:test' : 'door:main',
        detail: { i },
      });
    }
  });
  return { vault, dataDir, app: testApp(vault) };
}

const seqs = (html: string) => [...html.matchAll(/<td><a href="\/audit\/(\d+)">/gu)].map((m) => Number(m[1]));

describe('the audit views (/audit)', () => {
  it('admins and auditors browse the trail newest first, 50 a page, with keyset links both ways; handlers may not', async () => {
    const { vault, app } = await setUp();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const home = await auditor.get('/');
    expect(home.text).toContain('href="/audit"');
    const first = await auditor.get('/audit');
    expect(first.status).toBe(200);
    const head = vault.auditRepo.head()!;
    const page1 = seqs(first.text);
    expect(page1).toHaveLength(50);
    expect(page1[0]).toBe(head.seq);
    expect(page1).toEqual([...page1].sort((a, b) => b - a));
    expect(first.text).toContain(head.hash.toString('hex'));
    const older = /href="(\/audit\?before=\d+)" rel="next"/u.exec(first.text)![1]!;
    const second = await auditor.get(older);
    const page2 = seqs(second.text);
    expect(page2[0]).toBe(page1.at(-1)! - 1);
    const newer = /href="(\/audit\?after=\d+)" rel="prev"/u.exec(second.text)![1]!;
    expect(seqs((await auditor.get(newer)).text)).toEqual(page1);

    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    expect((await admin.get('/audit')).status).toBe(200);
    const handler = new Browser(app);
    await handler.signIn(HANDLER.login, HANDLER.password);
    expect((await handler.get('/')).text).not.toContain('href="/audit"');
    expect((await handler.get('/audit')).status).toBe(403);
    expect((await handler.get(`/audit/${head.seq}`)).status).toBe(403);
    expect((await handler.get('/audit/help/assertion')).status).toBe(403);
    expect((await handler.post('/audit/verify')).status).toBe(403);
  });

  it('filters by action, action group, actor, person (id or name), purpose, device and a Japan-time period', async () => {
    const { vault, app } = await setUp();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const events = auditEvents(vault);
    const yamada = vault.persons.codes('employee').get('E1')!;
    const expectMatches = async (query: string, pred: (e: (typeof events)[number]) => boolean) => {
      const res = await auditor.get(`/audit?${query}`);
      expect(res.status, query).toBe(200);
      const want = events.filter(pred).map((e) => e.seq).reverse().slice(0, 50);
      expect(want.length, query).toBeGreaterThan(0);
      expect(seqs(res.text), query).toEqual(want);
      return res;
    };
    await expectMatches('action=door.opened', (e) => e.action === 'door.opened');
    await expectMatches('action=group%3Adoor', (e) => e.action.startsWith('door.'));
    await expectMatches('action=group%3Aauth', (e) => e.action.startsWith('auth.') || e.action === 'network.denied');
    const handlerId = vault.users.byLogin(HANDLER.login)!.id;
    await expectMatches(`actor=${handlerId}`, (e) => e.actorId === handlerId);
    await expectMatches(`person=${yamada}`, (e) => e.subjects.some((s) => s.id === yamada));
    const byName = await expectMatches(`person=${encodeURIComponent('山田')}`, (e) => e.subjects.some((s) => s.id === yamada));
    expect(byName.text).toContain('「山田」に該当する人物 1 名');
    await expectMatches('purpose=withholding_slip', (e) => e.purpose === 'withholding_slip');
    await expectMatches('device=door%3Amain', (e) => e.device === 'door:main');
    // 2026-04-15 in Japan time is 2026-04-14T15:00Z to 2026-04-15T15:00Z.
    await expectMatches('from=2026-04-15&to=2026-04-15', (e) => e.at >= '2026-04-14T15:00:00.000Z' && e.at < '2026-04-15T15:00:00.000Z');
    await expectMatches('from=2026-04-15&to=2026-04-20&action=number.revealed&person=E1', (e) => e.action === 'number.revealed' && e.at >= '2026-04-14T15:00:00.000Z' && e.at < '2026-04-20T15:00:00.000Z');
    const nobody = await auditor.get(`/audit?person=${encodeURIComponent('該当なし')}`);
    expect(nobody.text).toContain('「該当なし」に該当する人物はいません');
    expect(seqs(nobody.text)).toEqual([]);
    // The select lists every group and the actions in the trail's catalogue.
    const page = await auditor.get('/audit');
    expect(page.text).toContain('<optgroup label="個人番号の利用・出力・取得">');
    expect(page.text).toContain('>管理区域での承認（入室）</option>');
    expect(page.text).toContain('<option value="door:main"');
  });

  it('says in Japanese what was wrong with a filter, and never echoes a number typed into it', async () => {
    const { app } = await setUp();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const cases: [string, string][] = [
      ['from=2026-02-30', 'YYYY-MM-DD の形式'],
      ['from=2026-05-01&to=2026-04-01', '開始日が終了日より後'],
      ['action=nope', '操作の指定が正しくありません'],
      ['purpose=nope', '目的の指定が正しくありません'],
      ['before=abc', 'ページの指定が正しくありません'],
      [`person=${'x'.repeat(101)}`, '100文字以内'],
      ['from=2026-04-01&from=2026-04-02', '使えない文字'],
    ];
    for (const [query, message] of cases) {
      const res = await auditor.get(`/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.text, query).toContain(message);
      expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/u);
    }
    const typed = await auditor.get(`/audit?person=${NUMBERS[0]}&device=x`);
    expect(typed.status).toBe(400);
    expect(typed.text).toContain('個人番号のような12桁の数字では検索できません');
    noNumber(typed.text);
  });

  it('shows one event in full: fields, decoded detail, subjects, hashes and its own link check', async () => {
    const { vault, app } = await setUp();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const e = auditEvents(vault).find((x) => x.action === 'number.revealed')!;
    const row = [...vault.auditRepo.iterateRaw(e.seq, e.seq)][0]!;
    const res = await auditor.get(`/audit/${e.seq}`);
    expect(res.status).toBe(200);
    for (const s of ['個人番号の表示', 'number.revealed', '担当 花子', 'pinpad:test', '山田 太郎', row[10].toString('hex'), row[11].toString('hex'), 'HMAC は正しく', '<code>i</code>']) expect(res.text).toContain(s);
    expect(res.text).toContain(`href="/persons/${e.subjects[0]!.id}"`);
    expect((await auditor.get('/audit/999999')).status).toBe(404);
    expect((await auditor.get('/audit/abc')).status).toBe(404);
    noNumber(res.text);
  });

  it('runs the full verification from the button (CSRF), off the request thread, shows and audits the result', async () => {
    const { vault, app } = await setUp();
    const admin = new Browser(app);
    await admin.signIn(ADMIN.login, ADMIN.password);
    const before = await admin.get('/audit');
    expect(before.text).toContain('まだ全件の検証は行われていません');
    expect((await admin.post('/audit/verify', {}, 'wrong')).status).toBe(403);
    const headBefore = vault.auditRepo.head()!;
    const posted = await admin.post('/audit/verify');
    expect(posted.status).toBe(303);
    expect(posted.headers.location).toBe('/audit#chain');
    for (let i = 0; i < 200 && coreOf(app).auditVerifier.status().state !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    const status = await admin.get('/audit/verify/status');
    expect(status.body).toMatchObject({ state: 'done', ok: true, count: headBefore.seq, headSeq: headBefore.seq, by: vault.users.byLogin(ADMIN.login)!.displayName });
    const verified = auditEvents(vault).at(-1)!;
    expect(verified).toMatchObject({ action: 'audit.verified', actorId: vault.users.byLogin(ADMIN.login)!.id, detail: { result: 'intact', count: headBefore.seq, head_seq: headBefore.seq, head_hash: headBefore.hash.toString('hex') } });
    const after = await admin.get('/audit');
    expect(after.text).toContain(`seq ${headBefore.seq} まで正常`);
    expect(after.text).toContain('すべて正常です');
    expect(after.text).toContain('src="/static/audit.js"');
  });

  it('records a broken chain as such and says so on the page', async () => {
    const { vault, app } = await setUp();
    vault.db.exec('DROP TRIGGER audit_events_no_update');
    vault.db.prepare("UPDATE audit_events SET actor_name = '別人' WHERE seq = 20").run();
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    await auditor.get('/audit');
    expect((await auditor.post('/audit/verify')).status).toBe(303);
    for (let i = 0; i < 200 && coreOf(app).auditVerifier.status().state !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(coreOf(app).auditVerifier.status()).toMatchObject({ state: 'done', ok: false, badSeq: 20 });
    expect(auditEvents(vault).at(-1)).toMatchObject({ action: 'audit.verified', detail: { result: 'broken', bad_seq: 20 } });
    const page = await auditor.get('/audit');
    expect(page.text).toContain('最後の検証で改ざんを検出しました');
    expect(page.text).toContain('seq 20 の内容が改ざんされています');
    expect((await auditor.get('/audit/20')).text).toContain('一致しません');
  });

  it('shows a security-key approval with its assertion, and the help page’s own commands verify it offline', async () => {
    const { vault, dataDir, entrySeq } = await keyApproval();
    const app = testApp(vault);
    const auditor = new Browser(app);
    await auditor.signIn(AUDITOR.login, AUDITOR.password);
    const res = await auditor.get(`/audit/${entrySeq}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('セキュリティキーによる承認（署名の記録）');
    expect(res.text).toContain('href="/audit/help/assertion"');
    expect(res.text).not.toContain('✗');
    expect(res.text).toContain('[&#34;mnvault/gate/v2&#34;,');
    const help = await auditor.get('/audit/help/assertion');
    expect(help.status).toBe(200);
    expect(help.text).toContain('mnvault.appliance');
    noNumber(res.text + help.text, [KEY_APPROVAL_NUMBER]);

    // Follow the help page by hand: commitment, then node's and openssl's verification.
    const entry = auditEvents(vault).find((e) => e.seq === entrySeq)!;
    const enrolled = auditEvents(vault).find((e) => e.action === 'security_key.enrolled')!;
    const record = JSON.stringify(['mnvault/gate/v2', entry.detail.request_id, entry.detail.requested_at, entry.detail.code, entry.detail.kind, entry.subjects.map((s) => s.id).sort((a, b) => a - b), entry.purpose, entry.actorId]);
    const pre = [...help.text.matchAll(/<pre class="command">([\s\S]*?)<\/pre>/gu)].map((m) => m[1]!.replaceAll('&#34;', '"').replaceAll('&#39;', "'").replaceAll('&gt;', '>').replaceAll('&lt;', '<').replaceAll('&amp;', '&'));
    const commitmentCmd = pre[1]!.replace(/JSON\.stringify\(\[.*?\]\)/u, `JSON.stringify(${record})`);
    const node = (cmd: string, args: string[] = []) => spawnSync('bash', ['-c', `${cmd} "$@"`, 'bash', ...args], { encoding: 'utf8' });
    const commitment = node(commitmentCmd).stdout.trim();
    expect(commitment).toBe(entry.detail.clientDataHash);
    // A base64url value may begin with '-': node must not read it as one of its own options.
    const b64uFn = pre[3]!.split('\n')[0]!;
    expect(spawnSync('bash', ['-c', `${b64uFn}\nb64u -_8 | od -An -tx1`], { encoding: 'utf8' }).stdout.trim()).toBe('fb ff');
    const verify = node(pre[2]!.replace(/ 公開鍵 authData 手順2のコミットメント signature$/u, ''), [String(enrolled.detail.public_key), String(entry.detail.authData), commitment, String(entry.detail.signature)]);
    expect(verify.stdout.trim()).toBe('署名は正しい');
    const dir = tempDir();
    const script = pre[3]!
      .replace('b64u 公開鍵', `b64u ${enrolled.detail.public_key}`)
      .replace('b64u authData', `b64u ${entry.detail.authData}`)
      .replace('b64u 手順2のコミットメント', `b64u ${commitment}`)
      .replace('b64u signature', `b64u ${entry.detail.signature}`);
    writeFileSync(join(dir, 'check.sh'), script);
    const openssl = spawnSync('bash', ['check.sh'], { cwd: dir, encoding: 'utf8' });
    expect(openssl.stdout.trim()).toBe('Verified OK');
    expect(scanDataDir(dataDir, [KEY_APPROVAL_NUMBER]).hits).toEqual([]);
  });
});
