import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { stateAt } from '../../src/gate/requests.js';
import { RequestMemory } from '../../src/gate/request-memory.js';
import { createBackup } from '../../src/services/backup.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { RevealStore } from '../../src/services/gate.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { Vault } from '../../src/services/vault.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

/**
 * A clock stepped back (an injected clock here) must not delete a fresh
 * backup, reorder the trail, stretch a session or a window, or make a
 * disposal due early.
 */
const HOUR = 3600_000;
const CLI = { id: 'cli', name: 'test' };
const appendOne = (vault: Vault) => writeTransaction(vault.db, () => vault.audit.append({ actor: CLI, action: 'settings.updated', detail: {} }));

describe('a clock stepped back', () => {
  it('a backup made while the clock is behind keeps the file it just wrote (rotation by audit seq)', async () => {
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault } = await newTestVault(clock);
    const folder = tempDir();
    const first = await createBackup(vault, { folder, keep: 1, actor: CLI, client: null, trigger: 'cli' });
    clock.advance(-24 * HOUR);
    const second = await createBackup(vault, { folder, keep: 1, actor: CLI, client: null, trigger: 'cli' });
    const files = readdirSync(folder).filter((f) => f.endsWith('.db'));
    expect(files).toEqual([second.path.split('/').pop()]);
    expect(second.removed).toEqual([first.path.split('/').pop()]);
  });

  it('appended times never go back; the step is audited once', async () => {
    const clock = fixedClock('2026-04-01T12:00:00Z');
    const { vault } = await newTestVault(clock);
    appendOne(vault);
    const before = vault.audit.lastAt()!;
    clock.advance(-2 * HOUR);
    appendOne(vault);
    appendOne(vault);
    const rows = vault.auditRepo.latest(4).reverse();
    const times = rows.map((r) => r[1]);
    expect([...times].sort()).toEqual(times);
    expect(rows.filter((r) => r[4] === 'clock.behind')).toHaveLength(1);
    expect(JSON.parse(rows.find((r) => r[4] === 'clock.behind')![9])).toMatchObject({ previous_event_at: before, clock: '2026-04-01T10:00:00.000Z' });
    clock.advance(3 * HOUR);
    appendOne(vault);
    expect(vault.audit.lastAt()).toBe('2026-04-01T13:00:00.000Z');
  });

  it('ends a session whose stored times lie in the future instead of stretching it', async () => {
    const clock = fixedClock('2026-04-01T12:00:00Z');
    const { vault } = await newTestVault(clock);
    const b = new Browser(testApp(vault));
    expect((await b.signIn(ADMIN.login, ADMIN.password)).status).toBe(303);
    expect((await b.get('/')).status).toBe(200);
    clock.advance(-HOUR);
    const r = await b.get('/');
    expect(r.status).toBe(303);
    expect(r.headers.location).toMatch(/^\/login/u);
  });

  it('an approval window ends when its request was made "in the future", and on the monotonic clock', async () => {
    const created = '2026-04-01T12:00:00.000Z';
    const r = { id: 987_654, state: 'requested' as const, createdAt: created, approveBy: '2026-04-01T12:05:00.000Z', viewUntil: null, approvedAt: null };
    const memory = new RequestMemory();
    expect(stateAt(r, new Date('2026-04-01T12:01:00Z'), memory)).toBe('requested');
    expect(stateAt(r, new Date('2026-04-01T11:00:00Z'), memory)).toBe('expired');
    memory.startApprovalWindow(r.id, 20);
    await new Promise((res) => setTimeout(res, 40));
    expect(stateAt(r, new Date('2026-04-01T12:01:00Z'), memory)).toBe('expired');
  });

  it('a viewing window ends on the monotonic clock even if the wall clock stands still or goes back', async () => {
    const store = new RevealStore();
    const wall = Date.parse('2026-04-01T12:00:00Z');
    store.put(1, Buffer.from('x'), wall + 30, wall);
    expect(store.has(1, wall)).toBe(true);
    await new Promise((res) => setTimeout(res, 60));
    expect(store.has(1, wall - HOUR)).toBe(false);
  });

  it('refuses to propose or approve a disposal while the clock is behind the newest audit event', async () => {
    const clock = fixedClock('2035-04-01T00:00:00Z');
    const { vault } = await newTestVault(clock);
    const admin = vault.users.byLogin(ADMIN.login)!;
    appendOne(vault);
    clock.advance(-48 * HOUR);
    expect(() => proposeDisposal(vault, admin, { personIds: ['1'] }, null)).toThrow(/時計/u);
    expect(() => approveDisposal(vault, admin, 1, null)).toThrow(/時計/u);
  });
});
