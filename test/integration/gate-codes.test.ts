import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { requestEntry } from '../../src/services/gate.js';
import { EnrolmentDesk } from '../../src/services/key-enrolment.js';
import { randomCode } from '../../src/gate/codes.js';
import { newTestVault, ADMIN } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';

/** The codes drawn, in order, then the real source: the enrolment takes the first, and a request then draws it again. */
function scripted(...next: string[]): () => string {
  return () => next.shift() ?? randomCode();
}

describe('PIN pad codes', () => {
  it('a request never takes the code of a waiting enrolment, so a handler’s code and PIN cannot reach the admin’s enrolment', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const handler = vault.users.byLogin(HANDLER.login)!;
    const codes = scripted('123456', '123456', '654321');
    const requests = new RequestMemory();
    const desk = new EnrolmentDesk(
      vault,
      requests,
      {
        enrol: async () => {
          throw new Error('not used');
        },
      } as never,
      codes,
    );
    const e = desk.start(admin, handler.id, 'キー', Date.now());
    expect(e.code).toBe('123456');
    expect(requests.codeReserved('123456')).toBe(true);
    const r = requestEntry(vault, requests, handler, { purpose: 'entry_maintenance' }, null, undefined, codes);
    expect(r.code).toBe('654321');
    expect(desk.has(r.code, Date.now())).toBe(false);
    // The enrolment's code is freed when it expires.
    desk.get(e.id, admin.id, Date.now() + 6 * 60_000);
    expect(requests.codeReserved('123456')).toBe(false);
  });

  it('draws six decimal digits from the system source', () => {
    const drawn = Array.from({ length: 200 }, () => randomCode());
    expect(drawn.every((c) => /^[0-9]{6}$/u.test(c))).toBe(true);
    expect(new Set(drawn).size).toBeGreaterThan(190);
  });
});
