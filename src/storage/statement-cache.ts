import type Database from 'better-sqlite3-multiple-ciphers';

type Db = Database.Database;
type Statement = Database.Statement;

/** Distinct SQL texts kept compiled per connection; the least recently used goes first. */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * Makes `db.prepare` reuse compiled statements. The repositories prepare
 * their SQL on each call (`this.db.prepare(sql).get(...)`), which compiles it
 * anew every time: about 15% of the server's CPU on a register page. After
 * this, the second and later prepares of one SQL text return one cached
 * statement, its result mode reset (no pluck, raw or expand), so a caller
 * that sets no mode gets rows as objects as before.
 *
 * Contracts that keep it safe:
 * - The first prepare of a text returns a statement of its own, never
 *   handed to anyone else: a repository that prepares once and keeps the
 *   statement (with its mode) is not disturbed by later callers.
 * - A cached statement still running (`iterate()` not finished) is never
 *   handed out: the caller gets a fresh one.
 * - No statement is ever bound once for good (`bind()`); nothing in the
 *   code does, and a cached statement must not be.
 * - A schema change (an index dropped and built again by an import) is
 *   SQLite's to handle: a statement is compiled again when its schema moved.
 */
export function cacheStatements(db: Db, size = STATEMENT_CACHE_SIZE): void {
  const prepare = db.prepare.bind(db);
  const seen = new Set<string>();
  const cache = new Map<string, Statement>();
  const cached = (source: string): Statement => {
    const hit = cache.get(source);
    if (hit !== undefined && !hit.busy) {
      // Most recently used last: Map keeps insertion order.
      cache.delete(source);
      cache.set(source, hit);
      // Every mode a caller may have set goes back to the default (no code sets defaultSafeIntegers).
      hit.safeIntegers(false);
      if (hit.reader) hit.pluck(false).expand(false).raw(false);
      return hit;
    }
    if (hit !== undefined) return prepare(source);
    if (!seen.has(source)) {
      if (seen.size >= size * 4) seen.clear();
      seen.add(source);
      return prepare(source);
    }
    const stmt = prepare(source);
    cache.set(source, stmt);
    if (cache.size > size) cache.delete(cache.keys().next().value!);
    return stmt;
  };
  db.prepare = cached as Db['prepare'];
}
