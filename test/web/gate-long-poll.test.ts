import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { approveWithPin, RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, HANDLER, testApp } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const NUMBER = syntheticNumber(3_905_118_274, 21);

describe("the waiting page's long poll", () => {
  it('answers the moment the approval commits, and after its window with the state unchanged', async () => {
    const { vault } = await newTestVault(systemClock);
    await addStaff(vault);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const personId = vault.persons.codes('employee').get('E1')!;
    const store = new RevealStore();
    const windows = { approvalMs: 1_500, viewMs: 60_000 };
    const app = testApp(vault, { reveals: store, gateWindows: windows });
    try {
      const handler = new Browser(app);
      await handler.signIn(HANDLER.login, HANDLER.password);
      await handler.get(`/persons/${personId}`);
      const asked = await handler.post('/gate/reveal', { personId: String(personId), purpose: 'withholding_slip' });
      const waiting = await handler.get(asked.headers.location!);
      const code = /class="request-code">(\d{6})</u.exec(waiting.text)![1]!;

      const started = performance.now();
      const poll = handler.get(`${asked.headers.location}/status?wait=approval`);
      await new Promise((r) => setTimeout(r, 200));
      const approvedAt = performance.now();
      await approveWithPin(vault, store, { code, pin: new Secret(HANDLER.pin), device: 'pinpad:test' }, windows);
      const answer = await poll;
      const answeredAt = performance.now();
      expect(answer.body.state).toBe('approved');
      expect(answer.body.number).toBe(`${NUMBER.slice(0, 4)} ${NUMBER.slice(4, 8)} ${NUMBER.slice(8)}`);
      // Held open until the approval (not answered at once), then answered without waiting for a poll interval.
      expect(approvedAt - started).toBeGreaterThanOrEqual(190);
      expect(answeredAt - approvedAt).toBeLessThan(500);

      // An unapproved request: the poll ends when the approval window does, reporting the expiry.
      const again = await handler.post('/gate/reveal', { personId: String(personId), purpose: 'withholding_slip' });
      const t0 = performance.now();
      const expired = await handler.get(`${again.headers.location}/status?wait=approval`);
      expect(expired.body.state).toBe('expired');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
    } finally {
      store.clear();
    }
  });
});
