import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * Records the SQL and arguments of every statement read through db after this call (and of every write,
 * with `writes`), for EXPLAIN QUERY PLAN checks of exactly what a page or a service ran.
 */
export function recordQueries(db: Database.Database, opts: { writes?: boolean } = {}): { sql: string; args: unknown[] }[] {
  const seen: { sql: string; args: unknown[] }[] = [];
  const recorded = new Set<PropertyKey>(opts.writes ? ['all', 'get', 'iterate', 'run'] : ['all', 'get', 'iterate']);
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    const proxy: Database.Statement = new Proxy(stmt, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (recorded.has(prop)) {
          return (...args: unknown[]) => {
            if (!/^\s*EXPLAIN/u.test(sql)) seen.push({ sql, args });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        if (prop === 'pluck' || prop === 'raw') {
          return (...args: unknown[]) => {
            (value as (...a: unknown[]) => unknown).apply(target, args);
            return proxy;
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    return proxy;
  }) as typeof db.prepare;
  return seen;
}
