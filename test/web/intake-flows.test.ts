import { readdirSync, readFileSync, statSync } from 'node:fs';
import { shownSubjects } from '../../src/storage/audit-names-repo.js';
import { join } from 'node:path';
import type request from 'supertest';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { purposeCodesFor } from '../../src/domain/purposes.js';
import { actorOf } from '../../src/services/accounts.js';
import { issueIntakeCode } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { M } from '../../src/web/messages.js';
import { syntheticNumber, validNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES, ALL_PURPOSES_QUERY, codeForm, defaultCodePurposes } from '../helpers/purposes.js';

const HOUR = 3600_000;
const TODAY = '2026-04-01';
const identity = { method: 'in_person', numberDocument: 'my_number_card', checkedOn: TODAY };

/** A Browser that keeps every response it got, to check afterwards that no page showed a number. */
class RecordingBrowser extends Browser {
  readonly responses: request.Response[] = [];

  override async get(path: string): Promise<request.Response> {
    const r = await super.get(path);
    this.responses.push(r);
    return r;
  }

  override async post(path: string, form: Record<string, string | string[]> = {}, csrf: string | null = this.csrf): Promise<request.Response> {
    const r = await super.post(path, form, csrf);
    this.responses.push(r);
    return r;
  }

  override async upload(path: string, bytes: Buffer, csrf: string | null = this.csrf): Promise<request.Response> {
    const r = await super.upload(path, bytes, csrf);
    this.responses.push(r);
    return r;
  }

  /** Everything the server sent back: bodies and headers. */
  everything(): string[] {
    return this.responses.map((r) => `${JSON.stringify(r.headers)}\n${r.text ?? ''}`);
  }
}

/** The ways a number could be written on a page: plain, grouped, hyphenated, full-width. */
function spellings(n: string): string[] {
  const grouped = `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;
  const full = n.replace(/[0-9]/gu, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
  return [n, grouped, grouped.replaceAll(' ', '-'), full];
}

function expectNoNumber(texts: readonly string[], numbers: readonly string[], where: string): void {
  for (const [i, t] of texts.entries()) {
    for (const n of numbers) for (const s of spellings(n)) expect(t.includes(s), `${where} #${i} contains a number (${s.length} chars)`).toBe(false);
  }
}

async function handlerBrowser(vault: Vault): Promise<RecordingBrowser> {
  const b = new RecordingBrowser(testApp(vault));
  const r = await b.signIn(HANDLER.login, HANDLER.password);
  expect(r.status).toBe(303);
  expect((await b.get('/')).status).toBe(200);
  return b;
}

const idFrom = (location: string | undefined): number => {
  const m = /^\/persons\/(\d+)$/u.exec(location ?? '');
  expect(m, `redirect to a person page, got ${location}`).not.toBeNull();
  return Number(m![1]);
};

function events(vault: Vault, action: string): { actorId: string; subjects: { id: number; name: string }[]; detail: Record<string, unknown> }[] {
  return (vault.db.prepare(`SELECT actor_id, ${shownSubjects('e')} AS subjects, detail FROM audit_events e WHERE action = ? ORDER BY seq`).all(action) as { actor_id: string; subjects: string; detail: string }[]).map((r) => ({
    actorId: r.actor_id,
    subjects: JSON.parse(r.subjects) as { id: number; name: string }[],
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}

/** The text of the field-error paragraph beside a field, if any. */
function fieldError(html: string, field: string): string | undefined {
  return new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`, 'u').exec(html)?.[1];
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function expectNoNumberInFiles(dataDir: string, numbers: readonly string[]): string[] {
  const files = filesUnder(dataDir);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const n of numbers) {
      expect(bytes.includes(Buffer.from(n, 'latin1')), `${file} holds a number in ASCII`).toBe(false);
      expect(bytes.includes(Buffer.from(n, 'utf16le')), `${file} holds a number in UTF-16LE`).toBe(false);
    }
  }
  return files;
}

describe('intake by a handler', () => {
  it('registers an employee and two dependants, records the number with purposes and 本人確認: the page shows 登録済 and the check, never the digits, and both events are audited', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const handlerId = vault.users.byLogin(HANDLER.login)!.id;
    const b = await handlerBrowser(vault);
    const number = syntheticNumber(11, 5);

    await b.get('/persons/new');
    const created = await b.post('/persons', { kind: 'employee', code: 'E100', name: '鈴木 一郎', kana: 'スズキ イチロウ', birthDate: '1980-05-05' });
    expect(created.status).toBe(303);
    const id = idFrom(created.headers.location);
    expect(events(vault, 'person.registered').at(-1)).toMatchObject({ actorId: handlerId, subjects: [{ id, name: '鈴木 一郎' }] });

    await b.get(`/persons/${id}/dependants/new`);
    for (const [name, kana, relationship] of [
      ['鈴木 花子', 'スズキ ハナコ', '配偶者'],
      ['鈴木 健太', 'スズキ ケンタ', '子'],
    ] as const) {
      const r = await b.post(`/persons/${id}/dependants`, { name, kana, relationship, birthDate: '2010-06-06' });
      expect(r.status, name).toBe(303);
      expect(r.headers.location).toBe(`/persons/${id}`);
    }
    const dependants = vault.persons.dependantsOf(id);
    expect(dependants.map((d) => [d.name, d.relationship, d.kind])).toEqual([
      ['鈴木 花子', '配偶者', 'dependant'],
      ['鈴木 健太', '子', 'dependant'],
    ]);

    const form = await b.get(`/persons/${id}/intake`);
    expect(form.status).toBe(200);
    const auditBefore = vault.auditRepo.count();
    const r = await b.post(`/persons/${id}/intake`, { purposes: purposeCodesFor('employee'), number, ...identity });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/persons/${id}`);
    expect(vault.auditRepo.count()).toBe(auditBefore + 2);

    const page = await b.get(`/persons/${id}`);
    expect(page.status).toBe(200);
    const state = /<td class="state">([^<]*)<\/td>/u.exec(page.text)?.[1];
    expect(state).toBe('登録済');
    expect(page.text).toContain('鈴木 花子');
    expect(page.text).toContain('鈴木 健太');
    // The identity check: date (with 和暦), method, document, checker.
    expect(page.text).toContain('2026年4月1日（令和8年）');
    expect(page.text).toContain(`<td>${M.identityMethod.in_person}</td>`);
    expect(page.text).toContain(M.numberDocuments.my_number_card);
    expect(page.text).toContain('担当 花子');
    expect(page.text).not.toContain(M.person.noIdentityChecks);
    expect(page.text).toContain(M.actions['number.recorded']);
    expect(page.text).toContain(M.actions['identity.checked']);
    // Held now: no second intake, the identity-check link instead.
    expect(page.text).not.toContain(`href="/persons/${id}/intake"`);
    expect(page.text).toContain(`href="/persons/${id}/identity-check"`);

    const recorded = events(vault, 'number.recorded');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ actorId: handlerId, subjects: [{ id, name: '鈴木 一郎' }] });
    expect(String(recorded[0]!.detail.purposes).split(',').sort()).toEqual([...purposeCodesFor('employee')].sort());
    const checked = events(vault, 'identity.checked');
    expect(checked).toHaveLength(1);
    expect(checked[0]).toMatchObject({ actorId: handlerId, subjects: [{ id, name: '鈴木 一郎' }], detail: { method: 'in_person', number_document: 'my_number_card' } });

    const n = vault.persons.numberOf(id)!;
    expect(n.state).toBe('held');
    expect([...n.purposes].sort()).toEqual([...purposeCodesFor('employee')].sort());
    expect(n.sealed!.includes(Buffer.from(number, 'latin1'))).toBe(false);

    // A second intake for the same person is refused: the number is already held.
    const again = await b.post(`/persons/${id}/intake`, { purposes: purposeCodesFor('employee'), number: syntheticNumber(12, 5), ...identity });
    expect(again.status).toBe(409);

    expectNoNumber(b.everything(), [number, syntheticNumber(12, 5)], 'handler response');
    expect(JSON.stringify(vault.db.prepare('SELECT * FROM audit_events').all())).not.toContain(number);
  });

  it('an intake with a refusal reason shows 未提供（理由） on the list page and the person page', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = await handlerBrowser(vault);
    const created = await b.post('/persons', { kind: 'employee', code: 'E200', name: '拒否 三郎', kana: 'キョヒ サブロウ' });
    const id = idFrom(created.headers.location);
    await b.get(`/persons/${id}/intake`);
    const r = await b.post(`/persons/${id}/intake`, { purposes: purposeCodesFor('employee'), refusalReason: '本人が提供を拒否', method: '', numberDocument: '' });
    expect(r.status).toBe(303);
    const list = await b.get('/persons');
    expect(list.text).toMatch(/<td class="state state-not_provided"[^>]*>未提供（本人が提供を拒否）<\/td>/u);
    const page = await b.get(`/persons/${id}`);
    expect(page.text).toContain('未提供（本人が提供を拒否）');
    expect(vault.persons.numberOf(id)).toMatchObject({ state: 'not_provided', refusalReason: '本人が提供を拒否' });
    expect(events(vault, 'number.refused').at(-1)).toMatchObject({ subjects: [{ id, name: '拒否 三郎' }] });
    expect(events(vault, 'identity.checked')).toHaveLength(0);
  });
});

describe('bad intake input', () => {
  const good = syntheticNumber(21, 5);
  const wrongCheckDigit = good.slice(0, 11) + String((Number(good[11]) + 1) % 10);
  const cases: { name: string; form: Record<string, string | string[]>; field: string; message: RegExp; secret: string }[] = [
    { name: 'a wrong check digit', form: { number: wrongCheckDigit, ...identity }, field: 'number', message: /チェックデジット/u, secret: wrongCheckDigit },
    { name: '11 digits', form: { number: good.slice(0, 11), ...identity }, field: 'number', message: /12桁ですが、11桁/u, secret: good.slice(0, 11) },
    {
      name: 'a resident record with only one non-photo document (the driving licence not ticked)',
      form: { number: good, method: 'in_person', numberDocument: 'resident_record', identityDocuments: ['health_insurance'], checkedOn: TODAY },
      field: 'identityDocuments',
      message: /写真付きの書類1点、または写真のない書類2点/u,
      secret: good,
    },
    {
      name: 'a notification card with no identity document at all',
      form: { number: good, method: 'in_person', numberDocument: 'notification_card', checkedOn: TODAY },
      field: 'identityDocuments',
      message: /写真付きの書類1点、または写真のない書類2点/u,
      secret: good,
    },
    {
      name: 'no number document chosen',
      form: { number: good, method: 'in_person', numberDocument: '', identityDocuments: ['drivers_license'], checkedOn: TODAY },
      field: 'identityDocuments',
      message: /番号確認の書類を一覧から選んでください/u,
      secret: good,
    },
    { name: 'a check date in the future', form: { number: good, ...identity, checkedOn: '2026-04-02' }, field: 'checkedOn', message: /未来の日付/u, secret: good },
    { name: 'no purpose ticked', form: { number: good, ...identity }, field: 'purposes', message: /利用目的を1つ以上/u, secret: good },
  ];

  it.each(cases)('$name → 400 with the message beside the field, the number not echoed, nothing stored', async ({ form, field, message, secret, name }) => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = await handlerBrowser(vault);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const id = registerPerson(vault, actorOf(admin), { kind: 'employee', code: 'E300', name: '誤入 力男' }, null, null);
    await b.get(`/persons/${id}/intake`);
    const before = { audit: vault.auditRepo.count(), numbers: vault.db.prepare('SELECT count(*) FROM person_numbers').pluck().get(), checks: vault.db.prepare('SELECT count(*) FROM identity_checks').pluck().get() };
    const purposes: Record<string, string[]> = name === 'no purpose ticked' ? {} : { purposes: purposeCodesFor('employee') };
    const r = await b.post(`/persons/${id}/intake`, { ...purposes, ...form });
    expect(r.status).toBe(400);
    expect(fieldError(r.text, field)).toMatch(message);
    expect(r.text).toContain('<input id="number" name="number" value=""');
    expectNoNumber([r.text], [secret, good], 'the error page');
    expect({ audit: vault.auditRepo.count(), numbers: vault.db.prepare('SELECT count(*) FROM person_numbers').pluck().get(), checks: vault.db.prepare('SELECT count(*) FROM identity_checks').pluck().get() }).toEqual(before);
    expect(vault.persons.numberOf(id)).toBeUndefined();
    // The rest of the form is kept so the handler can fix only the wrong field.
    if (form.numberDocument) expect(r.text).toContain(`<option value="${form.numberDocument}" selected>`);
  });

  it('a number and a refusal reason together are refused, without echoing the number', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = await handlerBrowser(vault);
    const id = registerPerson(vault, actorOf(vault.users.byLogin(ADMIN.login)!), { kind: 'employee', code: 'E301', name: '両方 入力' }, null, null);
    await b.get(`/persons/${id}/intake`);
    const r = await b.post(`/persons/${id}/intake`, { purposes: purposeCodesFor('employee'), number: good, refusalReason: '後日提出', ...identity });
    expect(r.status).toBe(400);
    expect(fieldError(r.text, 'number')).toMatch(/両方/u);
    expectNoNumber([r.text], [good], 'the error page');
    expect(vault.persons.numberOf(id)).toBeUndefined();
  });
});

describe('self-intake with a one-time code', () => {
  it('the person sees only their own and their dependants\' names, submits the numbers once; reuse, expiry and wrong codes are refused; the handler completes 本人確認; no number reaches a page or a file', async () => {
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault, dataDir } = await newTestVault(clock);
    await addStaff(vault);
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const employee = registerPerson(vault, actor, { kind: 'employee', code: 'E400', name: '高橋 一郎', kana: 'タカハシ イチロウ' }, null, null);
    const spouse = registerPerson(vault, actor, { name: '高橋 美咲', kana: 'タカハシ ミサキ', relationship: '配偶者' }, employee, null);
    const child = registerPerson(vault, actor, { name: '高橋 翔', kana: 'タカハシ ショウ', relationship: '子' }, employee, null);
    const stranger = registerPerson(vault, actor, { kind: 'employee', code: 'E401', name: '伊藤 他人', kana: 'イトウ タニン' }, null, null);
    const strangerDependant = registerPerson(vault, actor, { name: '伊藤 家族', kana: 'イトウ カゾク', relationship: '配偶者' }, stranger, null);
    registerPerson(vault, actor, { kind: 'payee', code: 'P1', name: '渡辺 支払' }, null, null);

    const own = syntheticNumber(31, 6);
    const spouseNumber = syntheticNumber(32, 6);
    const childNumber = syntheticNumber(33, 6);
    const typo = own.slice(0, 11) + String((Number(own[11]) + 1) % 10);
    const strangerNumber = syntheticNumber(35, 6);
    const numbers = [own, spouseNumber, childNumber, typo, strangerNumber];

    const h = await handlerBrowser(vault);
    await h.get(`/persons/${employee}`);
    // A first code, superseded by the one issued next.
    const first = await h.post(`/persons/${employee}/intake-codes`, codeForm(vault, employee));
    const staleCode = /<p class="code">([A-Z0-9-]{14})<\/p>/u.exec(first.text)?.[1];
    expect(staleCode).toBeDefined();
    const slip = await h.post(`/persons/${employee}/intake-codes`, codeForm(vault, employee));
    expect(slip.status).toBe(200);
    const code = /<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})<\/p>/u.exec(slip.text)?.[1];
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/u);
    expect(slip.text).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]{100,}"/u);
    expect(slip.text).toContain(`/intake?code=${code}`);
    expect(events(vault, 'intake_code.issued').at(-1)).toMatchObject({ subjects: [{ id: employee, name: '高橋 一郎' }] });
    // Only a hash of the code is stored.
    expect(JSON.stringify(vault.db.prepare('SELECT * FROM intake_codes').all())).not.toContain(code!.replaceAll('-', ''));

    const s = new RecordingBrowser(testApp(vault));
    expect(code).not.toBe(staleCode);
    const stale = await s.get(`/intake?code=${staleCode}`);
    expect(stale.status).toBe(403);
    const start = await s.get('/intake');
    expect(start.status).toBe(200);
    expect(start.text).toContain(M.selfIntake.codePrompt);
    const form = await s.get(`/intake?code=${code}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('高橋 一郎');
    expect(form.text).toContain('高橋 美咲');
    expect(form.text).toContain('高橋 翔');
    for (const other of ['伊藤 他人', '伊藤 家族', '渡辺 支払', '担当 花子', 'kanri', '監査 次郎', 'E400', 'E401']) expect(form.text, other).not.toContain(other);
    expect(form.text).not.toContain('href="/persons');
    expect(form.text).toContain(`name="dependant_${spouse}"`);
    expect(form.text).toContain(`name="dependant_${child}"`);

    // A typo first: 400 beside the field, nothing echoed, nothing stored, the code still usable.
    const bad = await s.post('/intake', { code: code!, own: typo, [`dependant_${spouse}`]: spouseNumber, acknowledged: 'yes' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'own')).toMatch(/チェックデジット/u);
    expect(vault.db.prepare('SELECT count(*) FROM person_numbers').pluck().get()).toBe(0);

    // Without the acknowledgement: refused too.
    const unacknowledged = await s.post('/intake', { code: code!, own });
    expect(unacknowledged.status).toBe(400);
    expect(fieldError(unacknowledged.text, 'acknowledged')).toBeDefined();
    expect(vault.db.prepare('SELECT count(*) FROM person_numbers').pluck().get()).toBe(0);

    // A field naming someone else's dependant is ignored.
    const done = await s.post('/intake', {
      code: code!,
      own,
      [`dependant_${spouse}`]: spouseNumber,
      [`dependant_${child}`]: childNumber,
      [`dependant_${strangerDependant}`]: strangerNumber,
      acknowledged: 'yes',
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain(M.selfIntake.done);
    for (const id of [employee, spouse, child]) expect(vault.persons.numberOf(id)?.state, `person ${id}`).toBe('held');
    expect(vault.persons.numberOf(stranger)).toBeUndefined();
    expect(vault.persons.numberOf(strangerDependant)).toBeUndefined();
    const submitted = events(vault, 'intake.self_submitted');
    expect(submitted).toHaveLength(1);
    expect(submitted[0]!.actorId).toBe(`person:${employee}`);
    expect(submitted[0]!.subjects.map((x) => x.id).sort()).toEqual([employee, spouse, child].sort());

    // The code is used up.
    const reuse = await s.get(`/intake?code=${code}`);
    expect(reuse.status).toBe(403);
    expect(reuse.text).toContain('既に使われています');
    const resubmit = await s.post('/intake', { code: code!, own, acknowledged: 'yes' });
    expect(resubmit.status).toBe(403);
    expect(resubmit.text).toContain('既に使われています');

    // A wrong code.
    const wrong = await s.get('/intake?code=ABCD-EFGH-JKLM');
    expect(wrong.status).toBe(404);
    expect(wrong.text).toContain('入力コードが正しくありません');

    // The handler completes 本人確認 for the self-submitted number.
    const page = await h.get(`/persons/${employee}`);
    expect(page.text).toContain('登録済');
    expect(page.text).toContain(M.person.noIdentityChecks);
    await h.get(`/persons/${employee}/identity-check`);
    const check = await h.post(`/persons/${employee}/identity-check`, identity);
    expect(check.status).toBe(303);
    expect(check.headers.location).toBe(`/persons/${employee}`);
    const checkedPage = await h.get(`/persons/${employee}`);
    expect(checkedPage.text).toContain('2026年4月1日（令和8年）');
    expect(checkedPage.text).toContain(M.numberDocuments.my_number_card);
    expect(checkedPage.text).not.toContain(M.person.noIdentityChecks);
    expect(events(vault, 'identity.checked').at(-1)).toMatchObject({ subjects: [{ id: employee, name: '高橋 一郎' }] });

    // A code expires 72 hours after it was issued.
    await h.get(`/persons/${stranger}`);
    const slip2 = await h.post(`/persons/${stranger}/intake-codes`, codeForm(vault, stranger));
    const code2 = /<p class="code">([A-Z0-9-]{14})<\/p>/u.exec(slip2.text)?.[1];
    expect(code2).toBeDefined();
    clock.advance(72 * HOUR - 1000);
    expect((await s.get(`/intake?code=${code2}`)).status).toBe(200);
    clock.advance(2000);
    const expired = await s.get(`/intake?code=${code2}`);
    expect(expired.status).toBe(403);
    expect(expired.text).toContain('有効期限が切れています');
    const lateSubmit = await s.post('/intake', { code: code2!, own: syntheticNumber(34, 6), acknowledged: 'yes' });
    expect(lateSubmit.status).toBe(403);
    expect(vault.persons.numberOf(stranger)).toBeUndefined();

    // Canary: no response and no file in the data folder holds any number used.
    expectNoNumber([...h.everything(), ...s.everything()], [...numbers, syntheticNumber(34, 6)], 'response');
    const files = expectNoNumberInFiles(dataDir, numbers);
    expect(files.some((f) => f.endsWith('-wal'))).toBe(true);
    vault.close(); // checkpoint the WAL into the database file, then look again
    expectNoNumberInFiles(dataDir, numbers);
  });
});

describe('self-intake code guessing', () => {
  it('after 20 wrong codes from one address even the right code is refused, until the window passes', async () => {
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault } = await newTestVault(clock);
    await addStaff(vault);
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const id = registerPerson(vault, actor, { kind: 'employee', code: 'E500', name: '推測 対象' }, null, null);
    const { code } = issueIntakeCode(vault, actor, id, null, defaultCodePurposes(vault, id));
    const s = new Browser(testApp(vault));
    for (let i = 0; i < 20; i++) {
      const r = await s.get(`/intake?code=WRNG-CODE-${String(i).padStart(4, '2').replace(/[01]/gu, '3')}`);
      expect(r.status, `wrong code ${i}`).toBe(404);
    }
    const blocked = await s.get(`/intake?code=${code}`);
    expect(blocked.status).toBeGreaterThanOrEqual(400);
    expect(blocked.text).toContain('入力コードの誤りが多すぎます');
    expect(blocked.text).not.toContain('推測 対象');
    clock.advance(15 * 60_000 + 1000);
    const later = await s.get(`/intake?code=${code}`);
    expect(later.status).toBe(200);
    expect(later.text).toContain('推測 対象');
  });
});

describe('CSV upload', () => {
  it('a good CSV is committed (200 JSON); a bad row rejects the whole file (422, line and message, nothing stored) unless ?skip=1; without the CSRF header → 403', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const b = await handlerBrowser(vault);
    const page = await b.get('/imports');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-csrf="[^"]+"/u);

    const n = (i: number) => syntheticNumber(i, 8);
    const goodCsv = ['種別,社員番号,氏名,フリガナ,個人番号,続柄,扶養元社員番号', `従業員,E1,佐藤 太郎,サトウ タロウ,${n(1)},,`, `扶養親族,,佐藤 花子,サトウ ハナコ,${n(2)},配偶者,E1`, `支払先,P1,田中 一郎,タナカ イチロウ,${n(3)},,`].join('\n') + '\n';
    const bad = n(5).slice(0, 11) + String((Number(n(5)[11]) + 1) % 10);
    const badCsv = ['種別,社員番号,氏名,個人番号', `従業員,E10,良い 行,${n(4)}`, `従業員,E11,悪い 行,${bad}`, `従業員,E12,,${n(6)}`].join('\n') + '\n';

    // Without the CSRF header (or with a wrong one): 403, nothing stored.
    for (const token of [null, 'x'.repeat(43)]) {
      const r = await b.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from(goodCsv), token);
      expect(r.status).toBe(403);
      expect(vault.persons.count().persons).toBe(0);
    }

    const ok = await b.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from(goodCsv));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/application\/json/u);
    expect(ok.body).toMatchObject({ committed: true, rows: 3, imported: { employee: 1, dependant: 1, payee: 1 }, errors: [] });
    expect(vault.persons.count()).toMatchObject({ persons: 3, held: 3 });
    expect(events(vault, 'persons.imported')).toHaveLength(1);

    const auditBefore = vault.auditRepo.count();
    const rejected = await b.upload(`/imports?${ALL_PURPOSES_QUERY}`, Buffer.from(badCsv));
    expect(rejected.status).toBe(422);
    expect(rejected.body.committed).toBe(false);
    const errors = rejected.body.errors as { line: number; message: string }[];
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
    expect(errors[0]!.message).toMatch(/チェックデジット/u);
    expect(errors[1]!.message).toMatch(/氏名が空/u);
    expect(vault.persons.count().persons).toBe(3);
    expect(vault.auditRepo.count()).toBe(auditBefore);

    const skipped = await b.upload(`/imports?skip=1&${ALL_PURPOSES_QUERY}`, Buffer.from(badCsv));
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ committed: true, imported: { employee: 1 } });
    expect((skipped.body.errors as { line: number }[]).map((e) => e.line)).toEqual([3, 4]);
    expect(vault.persons.count()).toMatchObject({ persons: 4, held: 4 });
    expect(vault.persons.search({ q: '良い', perPage: 10 }).total).toBe(1);
    expect(vault.persons.search({ q: '悪い', perPage: 10 }).total).toBe(0);

    // The list shows the imported persons as 登録済; no response carried a number.
    const list = await b.get('/persons');
    expect(list.text).toContain('佐藤 太郎');
    expect(list.text).toContain('良い 行');
    expectNoNumber(b.everything(), [n(1), n(2), n(3), n(4), bad, n(6)], 'response');
  });

  it('the auditor may not upload, and an anonymous upload is sent to sign-in; nothing is stored', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    await addStaff(vault);
    const csv = Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,佐藤 太郎,${validNumber('12345678901')}\n`);
    const anon = new Browser(testApp(vault));
    await anon.get('/login');
    const a = await anon.upload(`/imports?${ALL_PURPOSES_QUERY}`, csv);
    expect(a.status).toBe(303);
    expect(a.headers.location).toBe('/login');
    const auditor = new Browser(testApp(vault));
    await auditor.signIn('kansa', 'auditor password 1');
    await auditor.get('/');
    const r = await auditor.upload(`/imports?${ALL_PURPOSES_QUERY}`, csv);
    expect(r.status).toBe(403);
    expect(vault.persons.count().persons).toBe(0);
  });
});

describe('self-intake does not tell a code holder whose numbers are registered', () => {
  it('answers a number held for someone else with a neutral message, uses up the code and audits it', async () => {
    const { newTestVault } = await import('../helpers/vault.js');
    const { importPersons } = await import('../../src/services/import/import-persons.js');
    const { issueIntakeCode, submitSelfIntake } = await import('../../src/services/intake.js');
    const { syntheticNumber } = await import('../helpers/numbers.js');
    const { vault } = await newTestVault();
    const taken = syntheticNumber(77, 3);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号,未提供理由\n従業員,E1,山田 太郎,${taken},\n従業員,E2,佐藤 花子,,未提出\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const sato = vault.persons.codes('employee').get('E2')!;
    const admin = vault.users.byLogin('kanri')!;
    const { code } = issueIntakeCode(vault, { id: admin.id, name: admin.displayName }, sato, null, defaultCodePurposes(vault, sato));
    let message = '';
    try {
      submitSelfIntake(vault, code, { own: taken, dependants: {}, acknowledged: true }, null);
    } catch (e) {
      message = (e as { publicMessage: string }).publicMessage;
    }
    expect(message).toContain('担当者にご連絡ください');
    expect(message).not.toContain('登録済');
    expect(vault.auditRepo.latest(1)[0]![4]).toBe('intake.self_rejected');
    expect(() => submitSelfIntake(vault, code, { own: syntheticNumber(78, 3), dependants: {}, acknowledged: true }, null)).toThrow(/既に使われています/u);
  });
});
