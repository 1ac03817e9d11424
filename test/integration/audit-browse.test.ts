import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/chain.js';
import { verifyChain } from '../../src/audit/verify.js';
import { AUDIT_ACTION_LABEL, actionsOfGroup } from '../../src/domain/audit-labels.js';
import { fixedClock } from '../../src/domain/ports.js';
import { AuditBrowseRepo, type AuditFilter } from '../../src/storage/audit-browse-repo.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { Vault } from '../../src/services/vault.js';
import { newTestVault } from '../helpers/vault.js';

const ACTIONS = ['number.revealed', 'gate.entry', 'auth.signed_in', 'person.updated', 'door.opened'] as const;

/** 600 events over 60 days (one every 2.4 hours), from a fixed start, with actors, persons, purposes and devices in turn. */
async function seeded(): Promise<{ vault: Vault; repo: AuditBrowseRepo; first: number }> {
  const { vault } = await newTestVault();
  const clock = fixedClock('2026-05-01T00:00:00Z');
  const trail = new AuditTrail(vault.auditRepo, vault.keys.audit, clock);
  const first = vault.auditRepo.count() + 1;
  writeTransaction(vault.db, () => {
    for (let i = 0; i < 600; i++) {
      clock.advance(2.4 * 3600_000);
      trail.append({
        actor: { id: `u${i % 3}`, name: `担当${i % 3}` },
        action: ACTIONS[i % ACTIONS.length]!,
        subjects: i % 2 === 0 ? [{ id: 100 + (i % 7), name: `人物${i % 7}` }] : [],
        purpose: i % 4 === 0 ? 'withholding_slip' : null,
        device: i % 5 === 0 ? 'pinpad:test' : null,
        detail: { i },
      });
    }
  });
  return { vault, repo: new AuditBrowseRepo(vault.db), first };
}

function allMatching(vault: Vault, f: AuditFilter): number[] {
  const out: number[] = [];
  for (const r of vault.auditRepo.iterateRaw(1)) {
    if (f.actorId !== undefined && r[2] !== f.actorId) continue;
    if (f.actions && !f.actions.includes(r[4])) continue;
    if (f.purpose !== undefined && r[6] !== f.purpose) continue;
    if (f.device !== undefined && r[8] !== f.device) continue;
    if (f.from !== undefined && r[1] < f.from) continue;
    if (f.to !== undefined && r[1] >= f.to) continue;
    if (f.personIds && !(JSON.parse(r[5]) as { id: number }[]).some((s) => f.personIds!.includes(s.id))) continue;
    out.push(r[0]);
  }
  return out.reverse();
}

/** Walks every page older, then back newer, and returns the seqs seen going older. */
function walk(repo: AuditBrowseRepo, f: AuditFilter, size: number): { older: number[]; newer: number[] } {
  const older: number[] = [];
  let page = repo.page(f, {}, size);
  const pages = [page];
  older.push(...page.rows.map((r) => r[0]));
  while (page.older) {
    page = repo.page(f, { before: page.rows.at(-1)![0] }, size);
    pages.push(page);
    older.push(...page.rows.map((r) => r[0]));
  }
  const newer: number[] = [...page.rows.map((r) => r[0])];
  while (page.newer) {
    page = repo.page(f, { after: page.rows[0]![0] }, size);
    newer.unshift(...page.rows.map((r) => r[0]));
  }
  return { older, newer };
}

describe('audit browse (keyset paging over the trail)', () => {
  const filters: [string, AuditFilter][] = [
    ['no filter', {}],
    ['one action', { actions: ['gate.entry'] }],
    ['an action group', { actions: ['gate.entry', 'door.opened', 'auth.signed_in'] }],
    ['an actor', { actorId: 'u1' }],
    ['one person', { personIds: [103] }],
    ['several persons', { personIds: [101, 104, 106] }],
    ['a purpose', { purpose: 'withholding_slip' }],
    ['a device', { device: 'pinpad:test' }],
    ['a period', { from: '2026-05-10T15:00:00.000Z', to: '2026-05-20T15:00:00.000Z' }],
    ['everything at once', { actions: ['number.revealed', 'gate.entry'], personIds: [100, 102, 104], actorId: 'u0', purpose: 'withholding_slip', from: '2026-05-05T00:00:00.000Z', to: '2026-06-25T00:00:00.000Z' }],
  ];

  it.each(filters)('pages through exactly the matching events, newest first, both ways: %s', async (_label, f) => {
    const { vault, repo } = await seeded();
    const expected = allMatching(vault, f);
    expect(expected.length).toBeGreaterThan(0);
    const { older, newer } = walk(repo, f, 7);
    expect(older).toEqual(expected);
    expect(newer).toEqual(expected);
  });

  it('finds nothing for a period without events, and an empty page has no links', async () => {
    const { repo } = await seeded();
    expect(repo.page({ from: '2030-01-01T00:00:00.000Z' }, {}, 50)).toEqual({ rows: [], newer: false, older: false });
    expect(repo.page({ to: '2020-01-01T00:00:00.000Z' }, {}, 50).rows).toEqual([]);
  });

  it('walks an index for every filter: no full scan, no sort of the matches', async () => {
    const { vault, repo } = await seeded();
    const head = vault.auditRepo.head()!.seq;
    const plans: Record<string, string> = {};
    const range = { lo: 1, hi: head };
    const cases: [string, AuditFilter, string][] = [
      ['action', { actions: ['gate.entry'] }, 'audit_events_action_seq'],
      ['actor', { actorId: 'u1' }, 'audit_events_actor_seq'],
      ['purpose', { purpose: 'withholding_slip' }, 'audit_events_purpose_seq'],
      ['device', { device: 'pinpad:test' }, 'audit_events_device_seq'],
      ['person', { personIds: [103] }, 'SEARCH s USING PRIMARY KEY (person_id=?'],
      ['person and action', { personIds: [103], actions: ['gate.entry'] }, 'SEARCH s USING PRIMARY KEY (person_id=?'],
      ['none', {}, 'INTEGER PRIMARY KEY'],
    ];
    for (const [name, f, index] of cases) {
      for (const cursor of [{}, { before: 300 }, { after: 300 }]) {
        for (const b of repo.branches(f, range, cursor, 51)) {
          const plan = (vault.db.prepare(`EXPLAIN QUERY PLAN ${b.sql}`).all(...b.args) as { detail: string }[]).map((p) => p.detail).join(' | ');
          plans[name] = plan;
          expect(plan, `${name}: ${plan}`).toContain(index);
          expect(plan, `${name}: ${plan}`).not.toMatch(/TEMP B-TREE/u);
          expect(plan, `${name}: ${plan}`).not.toMatch(/^SCAN (e|audit_events)$|\| SCAN (e|audit_events)$/u);
        }
      }
    }
    // The period's bounds are two seeks along audit_events(at).
    for (const sql of ['SELECT seq FROM audit_events WHERE at >= ? ORDER BY at, seq LIMIT 1', 'SELECT seq FROM audit_events WHERE at < ? ORDER BY at DESC, seq DESC LIMIT 1']) {
      const plan = (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('2026-05-10T00:00:00Z') as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan).toContain('audit_events_at');
      expect(plan).not.toMatch(/TEMP B-TREE/u);
    }
    expect(Object.keys(plans)).toHaveLength(cases.length);
  });

  it('lists distinct devices and actors by index seeks', async () => {
    const { repo } = await seeded();
    expect(repo.distinct('device')).toEqual(['pinpad:test']);
    expect(repo.distinct('actor_id')).toEqual(expect.arrayContaining(['u0', 'u1', 'u2']));
    expect(repo.actorName('u2')).toBe('担当2');
  });

  it('gives every action of the union a Japanese label and a group, and the chain still verifies', async () => {
    const { vault } = await seeded();
    for (const [a, l] of Object.entries(AUDIT_ACTION_LABEL)) {
      expect(l.label, a).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/u);
      expect(actionsOfGroup(l.group)).toContain(a);
    }
    expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
  });
});
