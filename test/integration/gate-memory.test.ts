import { describe, expect, it } from 'vitest';
import { newTestVault } from '../helpers/vault.js';
import { addStaff, Browser, coreOf, HANDLER, testApp } from '../helpers/web.js';

/** A handler files an entry request over HTTP; returns the request id from the waiting page's address. */
async function fileEntry(app: ReturnType<typeof testApp>): Promise<number> {
  const handler = new Browser(app);
  await handler.signIn(HANDLER.login, HANDLER.password);
  await handler.get('/entries/new');
  const asked = await handler.post('/entries', { purpose: 'entry_maintenance' });
  expect(asked.status).toBe(303);
  return Number(/(\d+)(?:[/?#].*)?$/u.exec(asked.headers.location!)![1]);
}

describe('the gate keeps what it remembers per open vault', () => {
  it('a short approval window in one vault does not end the request of the same id in another vault of the process', async () => {
    const a = await newTestVault();
    const b = await newTestVault();
    await addStaff(a.vault);
    await addStaff(b.vault);
    const appB = testApp(b.vault);
    const appA = testApp(a.vault, { gateWindows: { approvalMs: 30, viewMs: 60_000 } });
    // Each vault numbers its requests from 1: B's request is asked first, with the default five minutes.
    const inB = await fileEntry(appB);
    const inA = await fileEntry(appA);
    expect(inA).toBe(inB);
    await new Promise((r) => setTimeout(r, 80));
    const handlerB = b.vault.users.byLogin(HANDLER.login)!;
    const handlerA = a.vault.users.byLogin(HANDLER.login)!;
    expect(coreOf(appA).gatePages.recentOf(handlerA.id, 10)[0]).toMatchObject({ id: inA, state: 'expired' });
    expect(coreOf(appB).gatePages.recentOf(handlerB.id, 10)[0]).toMatchObject({ id: inB, state: 'requested' });
  });
});
