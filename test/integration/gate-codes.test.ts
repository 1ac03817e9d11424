import { describe, expect, it, vi } from 'vitest';

// The codes drawn, in order: the enrolment takes the first, and a request then draws it again.
const draws = vi.hoisted(() => ({ next: [123456, 123456, 654321] as number[] }));
vi.mock('node:crypto', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:crypto')>();
  const randomInt = (...a: Parameters<typeof orig.randomInt>) => (draws.next.length ? draws.next.shift()! : (orig.randomInt as (...x: unknown[]) => number)(...a));
  return { ...orig, default: { ...orig, randomInt }, randomInt };
});

const { codeReserved } = await import('../../src/gate/requests.js');
const { requestEntry } = await import('../../src/services/gate.js');
const { EnrolmentDesk } = await import('../../src/services/key-enrolment.js');
const { newTestVault, ADMIN } = await import('../helpers/vault.js');
const { addStaff, HANDLER } = await import('../helpers/web.js');

describe('PIN pad codes', () => {
  it('a request never takes the code of a waiting enrolment, so a handler’s code and PIN cannot reach the admin’s enrolment', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const handler = vault.users.byLogin(HANDLER.login)!;
    const desk = new EnrolmentDesk(vault, { enrol: async () => { throw new Error('not used'); } } as never);
    const e = desk.start(admin, handler.id, 'キー', Date.now());
    expect(e.code).toBe('123456');
    expect(codeReserved('123456')).toBe(true);
    const r = requestEntry(vault, handler, { purpose: 'entry_maintenance' }, null);
    expect(r.code).toBe('654321');
    expect(desk.has(r.code, Date.now())).toBe(false);
    // The enrolment's code is freed when it expires.
    desk.get(e.id, admin.id, Date.now() + 6 * 60_000);
    expect(codeReserved('123456')).toBe(false);
  });
});
