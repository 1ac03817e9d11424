import { afterEach } from 'vitest';
import { SoftAuthenticator } from '../../src/devices/soft-authenticator.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { requestReveal, RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { EnrolmentDesk } from '../../src/services/key-enrolment.js';
import { hidKeyOpener, SecurityKeyStation } from '../../src/services/security-key-station.js';
import type { Vault } from '../../src/services/vault.js';
import { auditEvents } from './audit.js';
import { syntheticNumber } from './numbers.js';
import { ADMIN, newTestVault } from './vault.js';
import { addStaff, HANDLER } from './web.js';
import { ALL_PURPOSES } from './purposes.js';

export const KEY_APPROVAL_NUMBER = syntheticNumber(5_120_377_001, 3);
const NUMBER = KEY_APPROVAL_NUMBER;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(ok: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A vault whose handler enrolled a software key and approved a reveal with a touch. */
export async function keyApproval(): Promise<{ vault: Vault; dataDir: string; entrySeq: number; store: RevealStore }> {
  const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };
  const clock = fixedClock('2026-04-01T00:00:00Z');
  const { vault, dataDir } = await newTestVault(clock);
  await addStaff(vault);
  importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  const store = new RevealStore();
  const key = new SoftAuthenticator({ touch: 'manual', keepaliveMs: 20, userPresenceTimeoutMs: 5_000 });
  const station = new SecurityKeyStation(vault, store, hidKeyOpener(key.transport), { windows, pollMs: 25, touchTimeoutMs: 5_000 });
  await station.start();
  cleanups.push(() => station.close(), () => store.clear());
  const desk = new EnrolmentDesk(vault, store.requests, station);
  const admin = vault.users.byLogin(ADMIN.login)!;
  const handler = vault.users.byLogin(HANDLER.login)!;
  const e = desk.start(admin, handler.id, '青いキー', Date.now());
  const touching = setInterval(() => key.waitingForTouch && key.touch(), 5);
  try {
    await desk.complete(e.code, new Secret(ADMIN.pin), Date.now());
  } finally {
    clearInterval(touching);
  }
  const r = requestReveal(vault, store.requests, handler, { personId: vault.persons.codes('employee').get('E1')!, purpose: 'withholding_slip' }, null, windows);
  await until(() => key.waitingForTouch, 'the key blinks');
  key.touch();
  await until(() => vault.gate.byId(r.id)!.state === 'approved', 'approved');
  const entrySeq = auditEvents(vault).find((x) => x.action === 'gate.entry' && x.detail.request_id === r.id)!.seq;
  return { vault, dataDir, entrySeq, store };
}

