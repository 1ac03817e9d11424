import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { Secret } from '../../src/domain/secret.js';
import { actorOf } from '../../src/services/accounts.js';
import { CardIntakeDesk, type CardIntakeView } from '../../src/services/card-intake-desk.js';
import { registerPerson } from '../../src/services/persons.js';
import { auditEvents } from '../helpers/audit.js';
import { TEST_CARD, usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

// pcscd + vpcd + the smartcard binding + the codec + the desk, as at the appliance.
const pcsc = usePcscd();
const READER = 'Virtual PCD 00 00';

async function until(desk: CardIntakeDesk, id: string, ok: (v: CardIntakeView) => boolean): Promise<CardIntakeView> {
  // A deadline, not a count of polls: on a loaded machine each poll may sleep far longer than asked.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const v = desk.view(id)!;
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`state not reached: ${JSON.stringify(desk.view(id))}`);
}

const done = (v: CardIntakeView) => v.state === 'failed' || v.state === 'review';

describe('failed card readings at the appliance are audited and listed in 取扱状況記録 and 入退室記録 (issue 11 point 11)', () => {
  it('records a wrong PIN, a lock, a card pulled mid-read, a failed signature and a refused name, naming the reader, never the number or the PIN', async () => {
    const { vault } = await newTestVault();
    const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
    const yamada = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name: '山田 太郎', birthDate: '1990-01-02' }, null, null);
    const sato = registerPerson(vault, actor, { kind: 'employee', code: 'E2', name: '佐藤 花子', birthDate: '1985-05-05' }, null, null);
    const desk = new CardIntakeDesk(vault, new RequestMemory(), pcsc.readers);
    const attempt = async (personId: number, card: Parameters<typeof pcsc.insert>[0], pin: string | null, removeAfterReads?: number) => {
      const inserted = await pcsc.insert(card, 0, removeAfterReads);
      try {
        const started = desk.start(actor, personId, { purposes: ['withholding_slip'], confirmLastTry: false });
        if (pin !== null) {
          const w = await until(desk, started.id, (v) => v.state === 'waiting_pin' || done(v));
          if (w.state === 'waiting_pin') {
            await until(desk, started.id, () => desk.has(started.code, vault.clock.now().getTime()));
            desk.complete(started.code, new Secret(pin));
          }
        }
        return await until(desk, started.id, done);
      } finally {
        await inserted.remove();
      }
    };

    const wrong = await attempt(yamada, {}, '0000');
    expect(wrong.state).toBe('failed');
    expect(wrong.message).toContain('あと2回');
    expect((await attempt(yamada, { triesLeft: 0 }, null)).message).toContain('ロックされています');
    expect((await attempt(yamada, {}, '1234', 1)).message).toContain('離れました');
    const forged = await attempt(yamada, { signature: 'invalid' }, '1234');
    expect(forged.state).toBe('failed');
    expect(forged.message).toContain('署名と一致しません');
    const other = await attempt(sato, {}, '1234');
    expect(other.state).toBe('failed');
    expect(other.review?.match.acceptable).toBe(false);
    expect(vault.persons.numberOf(yamada)).toBeUndefined();
    expect(vault.persons.numberOf(sato)).toBeUndefined();

    const failed = auditEvents(vault).filter((e) => e.action === 'card.read_failed');
    expect(failed.map((e) => [e.detail.reason, e.detail.tries_left, e.device, e.subjects[0]?.id, e.actorId])).toEqual([
      ['wrong_pin', 2, READER, yamada, actor.id],
      ['card_locked', undefined, READER, yamada, actor.id],
      ['card_removed', undefined, READER, yamada, actor.id],
      ['signature_invalid', undefined, READER, yamada, actor.id],
      ['name_mismatch', undefined, READER, sato, actor.id],
    ]);
    // Which part of the signature check failed (device/card-readers.md: what a real card must confirm).
    expect(failed[3]!.detail.signature_reason).toBe('basic four file does not match its hash');
    expect(failed.filter((e) => e.detail.signature_reason !== undefined)).toHaveLength(1);
    const trail = JSON.stringify(auditEvents(vault));
    expect(trail).not.toContain(TEST_CARD.number);
    expect(trail).not.toMatch(/"(0000|1234)"/u);

    // The admin reads them in the 入退室記録 and the 取扱状況記録, with the reader and the reason.
    const admin = new Browser(testApp(vault));
    await admin.signIn(ADMIN.login, ADMIN.password);
    const entries = await admin.get('/entries?month=2026-04');
    expect(entries.status).toBe(200);
    for (const piece of ['マイナンバーカード読み取りの失敗', 'カードの暗証番号の誤り 残り 2 回', '読み取り中にカードが離れた', '署名の不一致', '氏名・生年月日の不一致']) {
      expect(entries.text).toContain(piece);
    }
    const activity = await admin.get('/reports/activity?month=2026-04');
    expect(activity.status).toBe(200);
    expect(activity.text).toContain('カード読み取りの失敗');
    expect(activity.text).toContain(`${READER} カードの暗証番号がロック済み`);
    expect(activity.text).not.toContain(TEST_CARD.number);
  }, 60_000);
});
