import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrypt } from 'node:crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import { pinPadSocketPath, startServer } from '../src/cli/serve.js';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { createUser, setUserPin } from '../src/services/accounts.js';
import { completeApproval, downloadExport, requestExport, RevealStore } from '../src/services/gate.js';
import { importPersons } from '../src/services/import/import-persons.js';
import { initDevVault } from '../src/services/init-vault.js';
import { numberRecordId, NUMBER_FIELD } from '../src/services/numbers.js';
import type { Vault } from '../src/services/vault.js';
import { Opener } from '../src/vault/sealed-box.js';
import { PRODUCTION_PIN_COST, TEST_PIN_COST, unlockSlot, type ScryptParams } from '../src/vault/slots.js';
import type { Row } from './row.js';
import { syntheticCsv } from './synthetic.js';
import { BENCH_PURPOSES } from './bench-purposes.js';

/**
 * The gate's figures (issue: reveal latency and export):
 *  - reveal: from the PIN pad's final Enter to the number in a real browser
 *    (Chromium, the waiting page's own script), p50 and p95 over 50 reveals,
 *    with the handler's PIN slot at production cost; the KDF on its own line
 *    and the server's part without it;
 *  - export of 10,000 persons after approval, against opening the same
 *    sealed numbers alone.
 */

const ADMIN = { login: 'bench', password: 'bench-password-long', pin: '135790' };
/** The benches' handler (担当 花子), with a PIN slot; the gate and filing benches sign in and approve as her. */
export const HANDLER = { login: 'tanto', password: 'handler-password-long', pin: '482915' };
const USAGE: Record<string, number> = { '0': 0x62, '1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e, '7': 0x5f, '8': 0x60, '9': 0x61, '\n': 0x58 };
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const keys = (text: string) => Buffer.concat([...text].flatMap((c) => [Buffer.from([0, 0, USAGE[c]!, 0, 0, 0, 0, 0]), Buffer.alloc(8)]));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

/**
 * A development vault for the benches: the admin, the handler with her PIN at
 * `handlerCost`, and `persons` synthetic persons imported with the benches' purposes.
 */
export async function gateVault(dir: string, persons: number, handlerCost: typeof PRODUCTION_PIN_COST | typeof TEST_PIN_COST): Promise<Vault> {
  const { vault, recoveryCode } = await initDevVault({
    dataDir: dir,
    admin: { login: ADMIN.login, password: new Secret(ADMIN.password), pin: new Secret(ADMIN.pin) },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  recoveryCode.wipe();
  const admin = vault.users.byLogin(ADMIN.login)!;
  const h = await createUser(vault, { id: admin.id, name: admin.displayName }, { login: HANDLER.login, displayName: '担当 花子', role: 'handler', password: new Secret(HANDLER.password) }, null);
  await setUserPin(vault, admin, h.id, new Secret(ADMIN.pin), new Secret(HANDLER.pin), null, handlerCost);
  const report = importPersons(vault, Buffer.from(syntheticCsv(persons)), { actor: { id: 'bench', name: 'bench' }, purposes: BENCH_PURPOSES });
  if (!report.committed) throw new Error('bench vault: import failed');
  return vault;
}

/** A synchronous=FULL commit of one small row and one sealed-box open: what an approval cannot do without. */
function commitAndOpenFloor(vault: Vault, personId: number, runs: number): number {
  const path = join(vault.dataDir, '..', 'floor.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const sealed = vault.persons.numberOf(personId)!.sealed!;
  const times: number[] = [];
  const opener = new Opener(Buffer.alloc(32), vault.publicKey);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    db.transaction(() => ins.run('x'.repeat(300)))();
    try {
      opener.open(sealed, numberRecordId(personId), NUMBER_FIELD);
    } catch {
      // A zero key fails the tag after the same work; the cost is what is measured.
    }
    times.push((performance.now() - t) / 1000);
  }
  opener.wipe();
  db.close();
  times.sort((a, b) => a - b);
  return percentile(times, 95);
}

async function kdfTimes(vault: Vault, runs: number): Promise<{ slot: number[]; bare: number[] }> {
  const slot = vault.slots.pinSlotOf(vault.users.byLogin(HANDLER.login)!.id)!;
  const params = (slot.params as { scrypt: ScryptParams }).scrypt;
  const out = { slot: [] as number[], bare: [] as number[] };
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    (await unlockSlot(slot, { kind: 'pin', pin: new Secret(HANDLER.pin) }, vault.keys.pepper)).wipe();
    out.slot.push((performance.now() - t) / 1000);
    t = performance.now();
    await new Promise<void>((resolve, reject) =>
      scrypt(HANDLER.pin, Buffer.from(params.salt, 'base64'), 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 }, (err) => (err ? reject(err) : resolve())),
    );
    out.bare.push((performance.now() - t) / 1000);
  }
  out.slot.sort((a, b) => a - b);
  out.bare.sort((a, b) => a - b);
  return out;
}

async function benchReveal(root: string, reveals: number): Promise<Row[]> {
  const { chromium } = await import('playwright-core');
  const vault = await gateVault(join(root, 'gate-reveal', 'data'), 1_000, PRODUCTION_PIN_COST);
  const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', http: true, simulateDevices: true, gateWindows: { approvalMs: 120_000, viewMs: 30_000 } });
  const approvedAt = new Map<number, { at: number; kdfMs: number }>();
  serving.reveals.onApproved((r, timing) => approvedAt.set(r.id, { at: performance.now(), kdfMs: timing.kdfMs ?? 0 }));
  const profile = mkdtempSync(join(tmpdir(), 'mnvault-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, locale: 'ja-JP' });
  let pad: Socket | undefined;
  const total: number[] = [];
  const server: number[] = [];
  const kdfInline: number[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const base = serving.url.replace(/\/$/u, '');
    await page.goto(`${base}/login`);
    await page.fill('#login', HANDLER.login);
    await page.fill('#password', HANDLER.password);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    pad = connect(pinPadSocketPath(vault.dataDir));
    await new Promise((r) => pad!.once('connect', r));
    const persons = vault.persons.exportSet('employees').slice(0, reveals + 5);
    for (let i = 0; i < reveals + 3; i++) {
      await page.goto(`${base}/persons/${persons[i]}`);
      await Promise.all([page.waitForURL(/\/gate\/\d+$/u), page.click('.reveal-form button[type=submit]')]);
      const id = Number(/\/gate\/(\d+)$/u.exec(page.url())![1]);
      const code = (await page.locator('.request-code').innerText()).trim();
      // Let the page's long poll reach the server before typing, as a person walking to the appliance would.
      await page.waitForTimeout(30);
      pad.write(keys(`${code}\n${HANDLER.pin}`));
      await new Promise((r) => setTimeout(r, 20));
      const enter = performance.now();
      pad.write(keys('\n'));
      await page.locator('#revealed').filter({ hasText: /\d{4} \d{4} \d{4}/u }).waitFor({ timeout: 10_000 });
      const shown = performance.now();
      if (i < 3) continue; // warm-up
      total.push((shown - enter) / 1000);
      const approval = approvedAt.get(id)!;
      // The server's own part: from the Enter to the committed approval, less this approval's own KDF.
      server.push((approval.at - enter - approval.kdfMs) / 1000);
      kdfInline.push(approval.kdfMs / 1000);
    }
    const kdf = await kdfTimes(vault, 10);
    kdfInline.sort((a, b) => a - b);
    const kdfMedian = percentile(kdfInline, 50);
    const serverOwn = server.sort((a, b) => a - b);
    total.sort((a, b) => a - b);
    const floor = commitAndOpenFloor(vault, persons[0]!, 50);
    return [
      { operation: `reveal: final Enter → number in Chromium (p95; p50 ${ms(percentile(total, 50))})`, n: total.length, seconds: percentile(total, 95), floor: `PIN-slot KDF alone (median)`, floorSeconds: kdfMedian, target: '≤ 1 s p95' },
      { operation: `reveal: the server's part without the KDF (p95; p50 ${ms(percentile(serverOwn, 50))})`, n: serverOwn.length, seconds: percentile(serverOwn, 95), floor: 'one FULL-sync commit + one sealed-box open, p95', floorSeconds: floor, target: '≤ 50 ms p95' },
      { operation: `PIN-slot KDF in those approvals: scrypt N=2^${Math.log2(PRODUCTION_PIN_COST.N)} r=${PRODUCTION_PIN_COST.r} + HKDF + unwrap (median; p95 ${ms(percentile(kdfInline, 95))})`, n: kdfInline.length, seconds: kdfMedian, floor: 'node:crypto scrypt alone, same parameters (median)', floorSeconds: percentile(kdf.bare, 50), target: 'figure' },
    ];
  } finally {
    pad?.destroy();
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await serving.stop();
  }
}

async function benchExport(root: string, persons: number): Promise<Row> {
  const vault = await gateVault(join(root, 'gate-export', 'data'), Math.ceil(persons / 0.9) + 10, TEST_PIN_COST);
  const store = new RevealStore();
  try {
    const handler = vault.users.byLogin(HANDLER.login)!;
    const slot = vault.slots.pinSlotOf(handler.id)!;
    let ours = Infinity;
    let count = 0;
    for (let run = 0; run < 3; run++) {
      const r = requestExport(vault, store.requests, handler, { set: 'employees', purpose: 'withholding_slip', encoding: 'shift_jis' }, null);
      count = r.personIds.length;
      const key = await unlockSlot(slot, { kind: 'pin', pin: new Secret(HANDLER.pin) }, vault.keys.pepper);
      const t = performance.now();
      await completeApproval(vault, store, r, key, { kind: 'pin', device: 'bench' });
      const file = downloadExport(vault, store, handler, r.id, null);
      ours = Math.min(ours, (performance.now() - t) / 1000);
      file.bytes.fill(0);
    }
    const ids = vault.persons.exportSet('employees');
    let floor = Infinity;
    for (let run = 0; run < 3; run++) {
      const key = await unlockSlot(slot, { kind: 'pin', pin: new Secret(HANDLER.pin) }, vault.keys.pepper);
      const t = performance.now();
      const opener = new Opener(key.expose(), vault.publicKey);
      for (const id of ids) opener.open(vault.persons.numberOf(id)!.sealed!, numberRecordId(id), NUMBER_FIELD).fill(0);
      opener.wipe();
      floor = Math.min(floor, (performance.now() - t) / 1000);
      key.wipe();
    }
    return { operation: `export after approval: open, CSV (Shift_JIS), audit naming everyone, download`, n: count, seconds: ours, floor: 'read and open the same sealed numbers only', floorSeconds: floor, target: 'ratio reported' };
  } finally {
    store.clear();
    vault.close();
  }
}

export async function benchGate(root: string, opts: { reveals: number; exportPersons: number }): Promise<Row[]> {
  const rows = await benchReveal(root, opts.reveals);
  rows.push(await benchExport(root, opts.exportPersons));
  return rows;
}
