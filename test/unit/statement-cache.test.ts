import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { cacheStatements } from '../../src/storage/statement-cache.js';

function db() {
  const d = new Database(':memory:');
  d.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  cacheStatements(d, 4);
  return d;
}

describe('statement cache (db.prepare reused per SQL text)', () => {
  it('compiles a text once from its second prepare on', () => {
    const d = db();
    const sql = 'SELECT v FROM t WHERE id = ?';
    d.prepare(sql);
    const second = d.prepare(sql);
    expect(d.prepare(sql)).toBe(second);
    expect(d.prepare(sql).get(2)).toEqual({ v: 'b' });
  });

  it('resets the result mode: a caller that sets none gets objects', () => {
    const d = db();
    const sql = 'SELECT v FROM t WHERE id = ?';
    d.prepare(sql);
    expect(d.prepare(sql).pluck().get(1)).toBe('a');
    expect(d.prepare(sql).get(1)).toEqual({ v: 'a' });
    expect(d.prepare(sql).raw().get(1)).toEqual(['a']);
    expect(d.prepare(sql).get(1)).toEqual({ v: 'a' });
  });

  it('resets safe integers too: a caller that asked for BigInt does not hand them to the next', () => {
    const d = db();
    const sql = 'SELECT id FROM t WHERE id = ?';
    d.prepare(sql);
    expect(d.prepare(sql).safeIntegers().get(1)).toEqual({ id: 1n });
    expect(d.prepare(sql).get(1)).toEqual({ id: 1 });
  });

  it('never disturbs the first prepare, which a repository may keep with its mode', () => {
    const d = db();
    const sql = 'SELECT v FROM t WHERE id = ?';
    const kept = d.prepare(sql).pluck();
    d.prepare(sql).get(1);
    d.prepare(sql).get(1);
    expect(kept.get(3)).toBe('c');
  });

  it('hands out a fresh statement while the cached one is still iterating', () => {
    const d = db();
    const sql = 'SELECT id FROM t ORDER BY id';
    d.prepare(sql);
    const outer = d.prepare(sql).pluck();
    const seen: number[][] = [];
    for (const id of outer.iterate() as IterableIterator<number>) seen.push([id, ...(d.prepare(sql).pluck().all() as number[])]);
    expect(seen).toEqual([
      [1, 1, 2, 3],
      [2, 1, 2, 3],
      [3, 1, 2, 3],
    ]);
  });

  it('keeps at most its size of texts, dropping the least recently used', () => {
    const d = db();
    const texts = Array.from({ length: 6 }, (_, i) => `SELECT ${i} AS n`);
    const cached = texts.map((s) => (d.prepare(s), d.prepare(s)));
    expect(d.prepare(texts[5]!)).toBe(cached[5]);
    expect(d.prepare(texts[0]!)).not.toBe(cached[0]);
    expect(d.prepare(texts[0]!).get()).toEqual({ n: 0 });
  });

  it('follows a schema change (an index dropped and built again)', () => {
    const d = db();
    const sql = 'SELECT id FROM t WHERE v = ?';
    d.prepare(sql);
    expect(d.prepare(sql).pluck().get('b')).toBe(2);
    d.exec('CREATE INDEX t_v ON t(v)');
    d.exec('ALTER TABLE t ADD COLUMN w TEXT');
    expect(d.prepare(sql).pluck().get('c')).toBe(3);
    d.exec('DROP INDEX t_v');
    expect(d.prepare(sql).pluck().get('a')).toBe(1);
  });
});
