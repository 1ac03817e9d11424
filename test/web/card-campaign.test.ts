import { RequestMemory } from '../../src/gate/request-memory.js';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import type { Vault } from '../../src/services/vault.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk, type CardIntakeView } from '../../src/services/card-intake-desk.js';
import { recordIntake } from '../../src/services/intake.js';
import { registerPerson } from '../../src/services/persons.js';
import { auditEvents } from '../helpers/audit.js';
import { forms } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { TEST_CARD, usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';

// 「カードで取得」 from a collection campaign's list, through HTTP, pcscd + vpcd + the smartcard binding + the codec.
const pcsc = usePcscd();
const SPOUSE = { number: '987654321018', basicFour: { name: '山田 花子', address: '東京都千代田区', birthDate: '1992-03-04', sex: '2' as const }, pin: '4321' };

const counts = (html: string): Record<string, number> => Object.fromEntries([...html.matchAll(/<td data-state="([a-z]+)">(\d+)<\/td>/gu)].map((m): [string, number] => [m[1]!, Number(m[2])]));

async function until(desk: CardIntakeDesk, id: string, ok: (v: CardIntakeView) => boolean): Promise<CardIntakeView> {
  for (let i = 0; i < 400; i++) {
    const v = desk.view(id)!;
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`state not reached: ${JSON.stringify(desk.view(id))}`);
}

/** Follows a 「カードで取得」 link from the campaign page to the sealed number; returns where the confirmation leads. */
async function cardIntakeFrom(vault: Vault, browser: Browser, desk: CardIntakeDesk, link: string, pin: string, form: Record<string, string | string[]> = {}): Promise<string> {
  const page = await browser.get(link);
  expect(page.status, page.text.slice(0, 300)).toBe(200);
  const campaign = /name="campaign" value="(\d+)"/u.exec(page.text)![1]!;
  const purposes = [...page.text.matchAll(/name="purposes" value="([a-z_]+)" checked/gu)].map((m) => m[1]!);
  const started = await browser.post(link.split('?')[0]!, { purposes, campaign, ...form });
  expect(started.status, started.text?.slice(0, 300)).toBe(303);
  const statusPath = started.headers.location!;
  const cid = statusPath.split('/').pop()!;
  const waiting = await until(desk, cid, (v) => v.state === 'waiting_pin' || v.state === 'failed');
  expect(waiting.state).toBe('waiting_pin');
  // The status page leads back to the campaign.
  expect((await browser.get(statusPath)).text).toContain(`href="/campaigns/${campaign}"`);
  await until(desk, cid, () => desk.has(waiting.code, vault.clock.now().getTime()));
  desk.complete(waiting.code, new Secret(pin));
  expect((await until(desk, cid, (v) => v.state !== 'waiting_pin')).state).toBe('review');
  const done = await browser.post(`${statusPath}/confirm`, { confirmedDifferences: 'yes' });
  expect(done.status, done.text?.slice(0, 300)).toBe(303);
  return done.headers.location!;
}

describe('「カードで取得」 from a collection campaign', () => {
  it('links each waiting member (and the dependants it asks) to the card intake, returns to the campaign, and counts the card read in its progress', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const a = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: TEST_CARD.basicFour.birthDate }, null, null);
    const spouse = registerPerson(vault, actor, { kind: 'dependant', name: '山田 花子', birthDate: SPOUSE.basicFour.birthDate, relationship: '配偶者' }, a, null);
    const b = registerPerson(vault, actor, { kind: 'employee', code: 'E2', name: '伊藤 二郎', birthDate: '1985-05-05' }, null, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const browser = new Browser(testApp(vault, { cards: desk }));
    await browser.signIn(HANDLER.login, HANDLER.password);
    await browser.get('/campaigns');
    const created = await browser.post('/campaigns', {
      name: '2026年度 番号収集',
      filter: 'missing',
      validDays: '14',
      purposes_employee: ['withholding_slip', 'salary_payment_report'],
      purposes_dependant: ['withholding_slip'],
    });
    expect(created.status).toBe(303);
    const campaignPath = created.headers.location!;
    const id = Number(campaignPath.split('/').pop());
    expect((await browser.post(`${campaignPath}/issue`)).status).toBe(303);

    let page = await browser.get(campaignPath);
    expect(counts(page.text)).toMatchObject({ issued: 2, submitted: 0, verified: 0 });
    expect(page.text).toContain(`href="/persons/${a}/card-intake?campaign=${id}"`);
    expect(page.text).toContain(`href="/persons/${spouse}/card-intake?campaign=${id}"`);
    expect(page.text).toContain('カードで取得（山田 花子）');
    expect(page.text).toContain(`href="/persons/${b}/card-intake?campaign=${id}"`);

    // The form says where it came from and ticks the purposes the campaign notifies this kind.
    const form = await browser.get(`/persons/${a}/card-intake?campaign=${id}`);
    expect(form.text).toContain(`href="/campaigns/${id}"`);
    expect(form.text).toMatch(/value="withholding_slip" checked/u);
    expect(form.text).toMatch(/value="salary_payment_report" checked/u);
    expect(form.text).not.toMatch(/value="resident_tax[a-z_]*" checked/u);

    // The dependant's card first: the employee's own number is still asked, so the member stays open.
    const spouseCard = await pcsc.insert(SPOUSE);
    try {
      expect(await cardIntakeFrom(vault, browser, desk, `/persons/${spouse}/card-intake?campaign=${id}`, SPOUSE.pin, { holder: 'self' })).toBe(`/campaigns/${id}?notice=card`);
    } finally {
      await spouseCard.remove();
    }
    expect(vault.persons.numberOf(spouse)?.state).toBe('held');
    page = await browser.get(campaignPath);
    expect(counts(page.text)).toMatchObject({ issued: 2, submitted: 0, verified: 0 });
    expect(page.text).not.toContain(`href="/persons/${spouse}/card-intake?campaign=${id}"`);

    // The employee's own card: number in and identity checked by the card at once, so 本人確認済.
    const card = await pcsc.insert();
    try {
      const back = await cardIntakeFrom(vault, browser, desk, `/persons/${a}/card-intake?campaign=${id}`, TEST_CARD.pin);
      expect(back).toBe(`/campaigns/${id}?notice=card`);
      page = await browser.get(back);
    } finally {
      await card.remove();
    }
    expect(page.text).toContain('カードから個人番号を登録し');
    expect(counts(page.text)).toMatchObject({ issued: 1, submitted: 0, verified: 1, total: 2 });
    expect(page.text).not.toContain(`href="/persons/${a}/card-intake?campaign=${id}"`);
    expect(page.text).toContain(`href="/persons/${b}/card-intake?campaign=${id}"`);
    // The home page's campaign counts (kept by triggers) agree.
    expect(vault.db.prepare('SELECT issued, submitted, verified FROM campaign_counts WHERE campaign_id = ?').get(id)).toEqual({ issued: 1, submitted: 0, verified: 1 });
    const recorded = auditEvents(vault).filter((e) => e.action === 'number.recorded');
    expect(recorded.map((e) => e.detail)).toEqual([expect.objectContaining({ by: 'card', campaign: id }), expect.objectContaining({ by: 'card', campaign: id })]);
    for (const f of [...forms(TEST_CARD.number), ...forms(SPOUSE.number)]) {
      expect(page.text).not.toContain(f);
      expect(JSON.stringify(auditEvents(vault))).not.toContain(f);
    }

    // Someone the campaign does not ask is refused from it.
    const c = registerPerson(vault, actor, { kind: 'employee', code: 'E3', name: '上田 三郎', birthDate: '1970-07-07' }, null, null);
    const outside = await browser.get(`/persons/${c}/card-intake?campaign=${id}`);
    expect(outside.status).toBe(404);
    expect(outside.text).toContain('この収集キャンペーンの対象ではありません');
    expect((await browser.post(`/persons/${c}/card-intake`, { purposes: ['withholding_slip'], campaign: String(id) })).status).toBe(404);
  }, 90_000);

  it('makes a 扶養親族 campaign member 提出済 when the card of their last dependant without a number is sealed', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const a = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1980-01-02' }, null, null);
    recordIntake(
      vault,
      actor,
      a,
      { purposes: ['withholding_slip'], number: syntheticNumber(1, 7), identity: { method: 'in_person', numberDocument: 'my_number_card', identityDocuments: [], checkedOn: '2026-01-05' } },
      null,
    );
    const spouse = registerPerson(vault, actor, { kind: 'dependant', name: '山田 花子', birthDate: SPOUSE.basicFour.birthDate, relationship: '配偶者' }, a, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const browser = new Browser(testApp(vault, { cards: desk }));
    await browser.signIn(HANDLER.login, HANDLER.password);
    await browser.get('/campaigns');
    const created = await browser.post('/campaigns', { name: '扶養親族の番号', filter: 'dependants', validDays: '14', purposes_dependant: ['withholding_slip'] });
    expect(created.status, created.text?.slice(0, 300)).toBe(303);
    const id = Number(created.headers.location!.split('/').pop());
    let page = await browser.get(`/campaigns/${id}`);
    expect(counts(page.text)).toMatchObject({ pending: 1 });
    // The employee's number is held: only the dependant's card is offered.
    expect(page.text).not.toContain(`href="/persons/${a}/card-intake?campaign=${id}"`);
    expect(page.text).toContain(`href="/persons/${spouse}/card-intake?campaign=${id}"`);
    const card = await pcsc.insert(SPOUSE);
    try {
      await cardIntakeFrom(vault, browser, desk, `/persons/${spouse}/card-intake?campaign=${id}`, SPOUSE.pin, { holder: 'self' });
    } finally {
      await card.remove();
    }
    page = await browser.get(`/campaigns/${id}`);
    // As after the employee's own submission: 提出済, their identity check still to record.
    expect(counts(page.text)).toMatchObject({ pending: 0, submitted: 1, verified: 0 });
    expect(page.text).toContain(`/persons/${a}/identity-check`);
  }, 60_000);

  it('keeps a member waiting after their own card while the campaign still asks a dependant’s number, with the dependant’s link', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const a = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: TEST_CARD.basicFour.birthDate }, null, null);
    const spouse = registerPerson(vault, actor, { kind: 'dependant', name: '山田 花子', birthDate: SPOUSE.basicFour.birthDate, relationship: '配偶者' }, a, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const browser = new Browser(testApp(vault, { cards: desk }));
    await browser.signIn(HANDLER.login, HANDLER.password);
    await browser.get('/campaigns');
    const created = await browser.post('/campaigns', { name: '番号収集', filter: 'missing', validDays: '14', purposes_employee: ['withholding_slip'], purposes_dependant: ['withholding_slip'] });
    expect(created.status).toBe(303);
    const id = Number(created.headers.location!.split('/').pop());
    const card = await pcsc.insert();
    try {
      await cardIntakeFrom(vault, browser, desk, `/persons/${a}/card-intake?campaign=${id}`, TEST_CARD.pin);
    } finally {
      await card.remove();
    }
    let page = await browser.get(`/campaigns/${id}`);
    // The spouse's number is still owed: the member stays waiting, and the way in to the spouse's card stays on the list.
    expect(counts(page.text)).toMatchObject({ pending: 1, submitted: 0, verified: 0 });
    expect(page.text).toContain(`href="/persons/${spouse}/card-intake?campaign=${id}"`);
    const spouseCard = await pcsc.insert(SPOUSE);
    try {
      await cardIntakeFrom(vault, browser, desk, `/persons/${spouse}/card-intake?campaign=${id}`, SPOUSE.pin, { holder: 'self' });
    } finally {
      await spouseCard.remove();
    }
    page = await browser.get(`/campaigns/${id}`);
    expect(counts(page.text)).toMatchObject({ pending: 0, submitted: 1 });
  }, 90_000);
});
