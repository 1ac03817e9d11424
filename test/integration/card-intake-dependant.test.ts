import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { cardHolderProblem } from '../../src/domain/card-holder.js';
import { Secret } from '../../src/domain/secret.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk, type CardIntakeView } from '../../src/services/card-intake-desk.js';
import { registerPerson } from '../../src/services/persons.js';
import { auditEvents } from '../helpers/audit.js';
import { usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

// pcscd + vpcd + the smartcard binding + the codec, driven through HTTP as the handler does.
const pcsc = usePcscd();
const SPOUSE_NUMBER = '987654321018';

async function until(desk: CardIntakeDesk, id: string, ok: (v: CardIntakeView) => boolean): Promise<CardIntakeView> {
  for (let i = 0; i < 200; i++) {
    const v = desk.view(id)!;
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`state not reached: ${JSON.stringify(desk.view(id))}`);
}

describe('a dependant\'s card read at the appliance, with the employee as 代理人 (第3号・被扶養者)', () => {
  it('asks the 代理権 and the proxy\'s identity, reads the dependant\'s card with the PIN typed by the employee, and records the check as by a 代理人', async () => {
    const { vault } = await newTestVault();
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const employee = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1980-01-02' }, null, null);
    const spouse = registerPerson(vault, actor, { kind: 'dependant', name: '山田 花子', birthDate: '1982-03-04', relationship: '配偶者' }, employee, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const admin = new Browser(testApp(vault, { cards: desk }));
    await admin.signIn(ADMIN.login, ADMIN.password);

    const page = await admin.get(`/persons/${spouse}/card-intake`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('代理人（扶養している従業員: 山田 太郎）');
    const purposes = ['health_dependant_change'];
    const noAuthority = await admin.post(`/persons/${spouse}/card-intake`, { purposes, holder: 'proxy', proxyDocuments: 'known_by_employer' });
    expect(noAuthority.status).toBe(400);
    expect(noAuthority.text).toContain('代理権を確認した書類');

    const card = await pcsc.insert({ number: SPOUSE_NUMBER, basicFour: { name: '山田 花子', address: '東京都千代田区', birthDate: '1982-03-04', sex: '2' }, pin: '4321' });
    try {
      const started = await admin.post(`/persons/${spouse}/card-intake`, {
        purposes,
        holder: 'proxy',
        authorityDocument: 'power_of_attorney',
        proxyDocuments: 'known_by_employer',
      });
      expect(started.status).toBe(303);
      const cid = String(started.headers.location).split('/').pop()!;
      const waiting = await until(desk, cid, (v) => v.state === 'waiting_pin' || v.state === 'failed');
      expect(waiting.state).toBe('waiting_pin');
      await until(desk, cid, () => desk.has(waiting.code, vault.clock.now().getTime()));
      // The employee types the dependant's card PIN on the appliance's PIN pad.
      desk.complete(waiting.code, new Secret('4321'));
      expect((await until(desk, cid, (v) => v.state !== 'waiting_pin')).state).toBe('review');
      const review = await admin.get(`/persons/${spouse}/card-intake/${cid}`);
      expect(review.text).toContain('カードの内容と登録内容の比較');
      expect(review.text).not.toContain(SPOUSE_NUMBER);
      expect((await admin.post(`/persons/${spouse}/card-intake/${cid}/confirm`, {})).status).toBe(303);
    } finally {
      await card.remove();
    }

    expect(vault.persons.numberOf(spouse)?.state).toBe('held');
    const [check] = vault.identityChecks.forPerson(spouse);
    expect(check).toMatchObject({ route: 'proxy', numberDocument: 'my_number_card_ic', detail: { authority_document: 'power_of_attorney', proxy_documents: ['known_by_employer'], proxy_person_id: employee } });
    expect(check!.note).toContain('代理人（扶養している従業員）: 山田 太郎');
    const checked = auditEvents(vault).filter((e) => e.action === 'identity.checked');
    expect(checked.at(-1)).toMatchObject({ device: 'Virtual PCD 00 00', detail: { route: 'proxy', authority_document: 'power_of_attorney', proxy_documents: 'known_by_employer', proxy_person_id: employee } });
    expect(JSON.stringify(auditEvents(vault))).not.toContain(SPOUSE_NUMBER);
  }, 60_000);

  it('takes only the supporting employee, in service, as the 代理人, and only for a dependant', async () => {
    const { vault } = await newTestVault();
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const employee = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1980-01-02' }, null, null);
    const other = registerPerson(vault, actor, { kind: 'employee', code: 'E2', name: '佐藤 一郎', birthDate: '1981-01-02' }, null, null);
    const spouse = registerPerson(vault, actor, { kind: 'dependant', name: '山田 花子', birthDate: '1982-03-04', relationship: '配偶者' }, employee, null);
    const p = (id: number) => vault.persons.byId(id)!;
    const proxy = (proxyPersonId: number) => ({ route: 'proxy' as const, proxyPersonId, authorityDocument: 'family_register', proxyDocuments: ['known_by_employer'] });
    expect(cardHolderProblem(p(spouse), p(employee), proxy(employee), ['health_dependant_change'])).toBeUndefined();
    expect(cardHolderProblem(p(spouse), p(other), proxy(other), ['health_dependant_change'])?.message).toContain('扶養している従業員だけ');
    expect(cardHolderProblem(p(employee), p(other), proxy(other), [])?.message).toContain('扶養親族だけ');
    expect(cardHolderProblem(p(spouse), p(employee), { ...proxy(employee), proxyDocuments: [] }, [])?.field).toBe('proxyDocuments');
    expect(cardHolderProblem(p(spouse), undefined, { route: 'direct' }, ['health_dependant_change'])).toBeUndefined();
  });
});
