import { join } from 'node:path';
import { AuditTrail } from '../src/audit/chain.js';
import type { AuditAction } from '../src/domain/audit-events.js';
import { actionsOfGroup } from '../src/domain/audit-labels.js';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { initDevVault } from '../src/services/init-vault.js';
import type { Vault } from '../src/services/vault.js';
import { AuditBrowseRepo, type AuditCursor, type AuditFilter } from '../src/storage/audit-browse-repo.js';
import { releaseMemory, writeTransaction } from '../src/storage/database.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import { AUDIT_PAGE_SIZE, toLine } from '../src/web/audit-view.js';
import { namedAuditRow } from '../src/storage/audit-repo.js';
import type { Row } from './row.js';

/**
 * The audit browse at a million events (issue 5): p95 of one page through
 * the real repository and the page's view model, for each filter, first page
 * and a deep page, against a floor measured in the same run: 50 rows read by
 * a primary-key range (the least any page of 50 events can cost).
 */

const ACTORS = 20;
const PERSONS = 20_000;
const START = Date.parse('2025-04-01T00:00:00Z');
/** One event every 30 s: a million cover about eleven and a half months. */
const STEP_MS = 30_000;

/** A plausible mix: mostly sign-ins, door events and entries, numbers and persons less often, alarms rarely. */
const MIX: { action: AuditAction; weight: number; person?: boolean; purpose?: boolean; device?: string }[] = [
  { action: 'auth.signed_in', weight: 20 },
  { action: 'auth.signed_out', weight: 15 },
  { action: 'door.opened', weight: 12, device: 'door:main' },
  { action: 'door.closed', weight: 12, device: 'door:main' },
  { action: 'gate.requested', weight: 8, person: true, purpose: true },
  { action: 'gate.entry', weight: 8, person: true, purpose: true, device: 'pinpad:0c45:7403' },
  { action: 'number.revealed', weight: 6, person: true, purpose: true, device: 'pinpad:0c45:7403' },
  { action: 'person.updated', weight: 8, person: true },
  { action: 'identity.checked', weight: 4, person: true },
  { action: 'number.recorded', weight: 4, person: true, purpose: true },
  { action: 'auth.sign_in_failed', weight: 2 },
  { action: 'door.held', weight: 1, device: 'door:main' },
];
const PURPOSE_CODES = ['withholding_slip', 'salary_payment_report', 'health_pension_insurance', 'payment_record_fees'];

function plan(): typeof MIX {
  const out: typeof MIX = [];
  for (const m of MIX) for (let i = 0; i < m.weight; i++) out.push(m);
  return out;
}

async function fill(vault: Vault, n: number): Promise<void> {
  let t = START;
  const clock = { now: () => new Date(t) };
  const trail = new AuditTrail(vault.auditRepo, vault.keys.audit, clock);
  const wheel = plan();
  const batch = 50_000;
  for (let done = vault.auditRepo.count(); done < n; ) {
    const k = Math.min(batch, n - done);
    writeTransaction(vault.db, () => {
      for (let i = 0; i < k; i++) {
        const x = done + i;
        const m = wheel[(x * 7919) % wheel.length]!;
        const person = (x * 2_654_435_761) % PERSONS;
        t += STEP_MS;
        trail.append({
          actor: { id: `user-${x % ACTORS}`, name: `担当 ${x % ACTORS}` },
          action: m.action,
          subjects: m.person ? [{ id: person + 1, name: `人物 ${person + 1}` }] : [],
          purpose: m.purpose ? PURPOSE_CODES[x % PURPOSE_CODES.length]! : null,
          client: '192.168.10.23',
          device: m.device ?? null,
          detail: m.person ? { request_id: x } : {},
        });
      }
    });
    releaseMemory(vault.db);
    done += k;
  }
}

function percentile(ms: number[], p: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function measure(runs: number, fn: (i: number) => void): { p50: number; p95: number } {
  for (let i = 0; i < 5; i++) fn(i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn(i);
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function benchAudit(root: string, n = 1_000_000, runs = 200): Promise<Row[]> {
  const dir = join(root, 'audit-browse');
  const { vault, recoveryCode } = await initDevVault({
    dataDir: dir,
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  recoveryCode.wipe();
  try {
    const t0 = performance.now();
    await fill(vault, n);
    const fillSeconds = (performance.now() - t0) / 1000;
    const repo = new AuditBrowseRepo(vault.db);
    const head = vault.auditRepo.head()!.seq;
    const deep = Math.floor(head / 10);
    // Persons named by events: anywhere, and before the deep page's cursor.
    const sample = (below: number) => vault.db.prepare('SELECT person_id FROM audit_subjects WHERE seq < ? AND person_id % 97 = 0 LIMIT 200').pluck().all(below) as number[];
    const persons = sample(head + 1);
    const deepPersons = sample(deep);
    if (persons.length === 0 || deepPersons.length === 0) throw new Error('bench audit browse: no persons in the trail');
    // Periods inside the trail's span: a month (or a seventh of a shorter trail) at five places.
    const span = head * STEP_MS;
    const month = Math.min(30 * 24 * 3600_000, Math.floor(span / 7));
    const at = (i: number) => START + Math.floor(((i % 5) + 1) * (span / 7));
    const cases: { label: string; filter: (i: number) => AuditFilter; cursor?: (i: number) => AuditCursor }[] = [
      { label: 'no filter', filter: () => ({}) },
      { label: 'action (gate.entry)', filter: () => ({ actions: ['gate.entry'] }) },
      { label: 'action group (個人番号の利用・出力・取得, 7 actions)', filter: () => ({ actions: actionsOfGroup('numbers') }) },
      { label: 'actor', filter: (i) => ({ actorId: `user-${i % ACTORS}` }) },
      { label: 'person (1 of 20,000)', filter: (i) => ({ personIds: [persons[i % persons.length]!] }) },
      { label: 'person search → 20 persons', filter: (i) => ({ personIds: Array.from({ length: 20 }, (_, k) => ((i * 131 + k * 997) % PERSONS) + 1) }) },
      { label: 'purpose', filter: (i) => ({ purpose: PURPOSE_CODES[i % PURPOSE_CODES.length]! }) },
      { label: 'device', filter: () => ({ device: 'door:main' }) },
      { label: 'period (one month)', filter: (i) => ({ from: iso(at(i)), to: iso(at(i) + month) }) },
      { label: 'period + action + actor', filter: (i) => ({ from: iso(at(i)), to: iso(at(i) + month), actions: ['number.revealed'], actorId: `user-${i % ACTORS}` }) },
      { label: 'no filter, deep page', filter: () => ({}), cursor: (i) => ({ before: deep - i }) },
      { label: 'action, deep page', filter: () => ({ actions: ['gate.entry'] }), cursor: (i) => ({ before: deep - i }) },
      { label: 'actor, deep page', filter: (i) => ({ actorId: `user-${i % ACTORS}` }), cursor: (i) => ({ before: deep - i }) },
      { label: 'person, deep page (older than the 10% mark)', filter: (i) => ({ personIds: [deepPersons[i % deepPersons.length]!] }), cursor: (i) => ({ before: deep - i }) },
    ];
    // Floor: 50 rows of the same table read by a primary-key range.
    const floorStmt = vault.db.prepare('SELECT seq, at, actor_id, actor_name, action, subjects, purpose, client, device, detail, prev_hash, hash FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq DESC').raw();
    const floor = measure(runs, (i) => {
      const hi = head - ((i * 7_919) % (head - AUDIT_PAGE_SIZE));
      floorStmt.all(hi - AUDIT_PAGE_SIZE + 1, hi);
    });
    const rows: Row[] = [];
    for (const c of cases) {
      let shown = 0;
      const r = measure(runs, (i) => {
        const page = repo.page(c.filter(i), c.cursor?.(i) ?? {}, AUDIT_PAGE_SIZE);
        shown += page.rows.map((row) => toLine(namedAuditRow(row))).length;
      });
      if (shown === 0) throw new Error(`bench audit browse found nothing: ${c.label}`);
      rows.push({
        operation: `audit browse ${head.toLocaleString('en-US')} events: ${c.label} (p95 ${r.p95.toFixed(2)} ms; p50 ${r.p50.toFixed(2)} ms)`,
        n: runs,
        seconds: r.p95 / 1000,
        floor: `50 rows by seq range (p95 ${floor.p95.toFixed(2)} ms)`,
        floorSeconds: floor.p95 / 1000,
        target: '< 100 ms p95',
      });
    }
    rows.push({ operation: `audit browse: fill ${head.toLocaleString('en-US')} events through the chain (setup; 1 tx per 50k)`, n: head, seconds: fillSeconds, floor: '—', floorSeconds: fillSeconds, target: 'figure' });
    return rows;
  } finally {
    vault.close();
  }
}
