import type { PersonId, PersonKind } from '../domain/persons.js';
import { codeLike, queryGrams, searchKey } from '../domain/search-text.js';
import type { Db } from './database.js';

/**
 * 未取得 (no number record), 本人確認未了 (a held number without its identity check), 未提供 (a refusal on record),
 * 保存期間経過 (a held number past its retention end: persons.retention_due, migration 190).
 */
export type RegisterFilter = 'missing' | 'unchecked' | 'not_provided' | 'retention_due';

/** The register_counts filter key of a filter: 未提供 is the number state's own count. */
const countKey = (f: RegisterFilter | undefined): string => (f === undefined ? '*' : f === 'not_provided' ? 'n:not_provided' : f);

/** A person of an import not yet published (an import_batches range) is in no view. */
export const VISIBLE = (p: string): string => `NOT EXISTS (SELECT 1 FROM import_batches b WHERE ${p}.id BETWEEN b.first_id AND b.last_id)`;

/** A row's place in register order: (register_key, id). */
export interface RegisterCursor {
  key: string;
  id: PersonId;
}

export interface RegisterPageQuery {
  q?: string;
  kind?: PersonKind;
  status?: 'active' | 'retired';
  filter?: RegisterFilter;
  /** Keyset paging: the rows after this one, or before it (the previous page), or the last page. */
  after?: RegisterCursor;
  before?: RegisterCursor | 'end';
  perPage: number;
}

export interface RegisterPage {
  ids: PersonId[];
  total: number;
  totalCapped: boolean;
  /** Where the previous and the next page start, when there is one. */
  prev?: RegisterCursor;
  next?: RegisterCursor;
  /** A one-character search looked at SHORT_QUERY_SCAN persons for this page and stopped there. */
  scanBounded: boolean;
}

/** A search counts its matches up to here and then says 「以上」. */
export const SEARCH_COUNT_CAP = 1000;
/** A code prefix matching more persons than this is paged along the register order instead of sorted. */
const CODE_SORT_LIMIT = 1000;
/**
 * A one-character query has no gram: it walks the register order and checks
 * each person, at most this many per page; the next page goes on from there.
 */
export const SHORT_QUERY_SCAN = 100_000;
/** A one-character query merges the rows of at most this many distinct grams starting with it. */
const CHAR_GRAMS = 400;
/** A gram's rows are counted up to here when choosing the rarest gram of a query. */
const GRAM_COUNT_CAP = 20_000;
const MAX_CODE = String.fromCodePoint(0x10ffff);
/** Codes are indexed per kind (persons_code): a prefix is one range seek in each kind. */
const KIND_SEEK = "p.kind IN ('employee', 'dependant', 'payee')";

interface Keyed {
  key: string;
  id: PersonId;
}

type Direction = 'forward' | 'backward';

/**
 * The register's page queries. Every page is a keyset seek along an index in
 * register order (kana, then id), never OFFSET; counts come from the counts the
 * triggers maintain; a search seeks one gram's rows, which are stored in
 * register order, and checks each candidate against the whole normalised key.
 */
export class RegisterQuery {
  private readonly shortQueryScan: number;
  private readonly charGrams: number;

  constructor(
    private readonly db: Db,
    limits: { shortQueryScan?: number; charGrams?: number } = {},
  ) {
    this.shortQueryScan = limits.shortQueryScan ?? SHORT_QUERY_SCAN;
    this.charGrams = limits.charGrams ?? CHAR_GRAMS;
  }

  page(s: RegisterPageQuery): RegisterPage {
    const direction: Direction = s.before ? 'backward' : 'forward';
    const cursor = s.before === 'end' ? undefined : (s.before ?? s.after);
    const key = s.q ? searchKey(s.q) : '';
    const code = s.q ? s.q.normalize('NFKC').trim() : '';
    const found = key ? this.searchPage(key, code, s, direction, cursor) : { rows: this.registerPage(s, direction, cursor), resume: undefined };
    const more = found.rows.length > s.perPage;
    const rows = found.rows.slice(0, s.perPage);
    // Past the last row shown: more rows, or a bounded scan that stopped before finding them.
    const onward = more ? rows[rows.length - 1] : found.resume;
    if (direction === 'backward') rows.reverse();
    const total = key ? this.searchCount(key, code, s) : { n: this.count({ kind: s.kind, status: s.status, filterKey: countKey(s.filter) }), capped: false };
    const first = rows[0];
    const last = rows[rows.length - 1];
    const backwardEdge = direction === 'backward' ? onward : cursor && first ? first : cursor;
    const forwardEdge = direction === 'forward' ? onward : s.before === 'end' ? undefined : last ?? cursor;
    return {
      ids: rows.map((r) => r.id),
      total: total.n,
      totalCapped: total.capped || found.resume !== undefined,
      prev: backwardEdge && (direction === 'backward' || cursor) ? cursorOf(backwardEdge) : undefined,
      next: forwardEdge ? cursorOf(forwardEdge) : undefined,
      scanBounded: found.resume !== undefined,
    };
  }

  /** One maintained count: kind (or all), status (or all), and a number filter key ('*', 'missing', 'unchecked', 'n:held', …). */
  count(c: { kind?: PersonKind; status?: 'active' | 'retired'; filterKey: string }): number {
    // 保存期間経過 is counted with the retention ends (retention_counts, migration 190).
    const due = c.filterKey === 'retention_due';
    const k = `k=${c.kind ?? '*'};s=${c.status ?? '*'};f=${due ? 'due' : c.filterKey}`;
    return (this.db.prepare(`SELECT n FROM ${due ? 'retention_counts' : 'register_counts'} WHERE key = ?`).pluck().get(k) as number | undefined) ?? 0;
  }

  private registerPage(s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined): Keyed[] {
    const { where, args } = filterClause(s, 'p');
    if (cursor) {
      where.push(`(p.register_key, p.id) ${direction === 'forward' ? '>' : '<'} (?, ?)`);
      args.push(cursor.key, cursor.id);
    }
    const order = direction === 'forward' ? 'ASC' : 'DESC';
    return this.db
      .prepare(`SELECT p.register_key AS key, p.id FROM persons p ${orderIndex(s)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY p.register_key ${order}, p.id ${order} LIMIT ?`)
      .all(...args, s.perPage + 1) as Keyed[];
  }

  /** Name/kana matches (through the rarest gram) merged with code-prefix matches, in register order. */
  private searchPage(key: string, code: string, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined): { rows: Keyed[]; resume?: Keyed } {
    const limit = s.perPage + 1;
    const byName = queryGrams(key).length ? { rows: this.gramMatches(key, s, direction, cursor, limit) } : this.charMatches(key, s, direction, cursor, limit);
    const byCode = codeLike(code) ? this.codeMatches(code, s, direction, cursor, limit) : [];
    const sign = direction === 'forward' ? 1 : -1;
    const seen = new Set<PersonId>();
    const merged = [...byName.rows, ...byCode]
      .filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)))
      // Code matches past where a bounded scan stopped come on the page that goes on from there.
      .filter((r) => !byName.resume || compare(r, byName.resume) * sign <= 0)
      .sort((a, b) => compare(a, b) * sign);
    return { rows: merged.slice(0, limit), resume: merged.length >= limit ? undefined : byName.resume };
  }

  /**
   * A one-character query: every gram that starts with the character (found by
   * seeking from one distinct gram to the next), each read in register order
   * from the cursor, merged. A character that starts more than charGrams
   * distinct grams (a common kana) walks the register instead (shortMatches).
   */
  private charMatches(key: string, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined, limit: number): { rows: Keyed[]; resume?: Keyed } {
    const grams = this.gramsStartingWith(key, this.charGrams + 1);
    if (grams.length > this.charGrams) return this.shortMatches(key, s, direction, cursor, limit);
    const sign = direction === 'forward' ? 1 : -1;
    const seen = new Set<PersonId>();
    const rows = grams
      .flatMap((gram) => this.gramRows(gram, undefined, s, direction, cursor, limit))
      .filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)))
      .sort((a, b) => compare(a, b) * sign)
      .slice(0, limit);
    return { rows };
  }

  /** The distinct grams starting with `prefix`, in order, up to `max` (one seek each). */
  private gramsStartingWith(prefix: string, max: number): string[] {
    const first = this.db.prepare('SELECT gram FROM person_grams WHERE gram >= ? AND gram < ? ORDER BY gram LIMIT 1').pluck();
    const next = this.db.prepare('SELECT gram FROM person_grams WHERE gram > ? AND gram < ? ORDER BY gram LIMIT 1').pluck();
    const end = prefix + MAX_CODE;
    const out: string[] = [];
    let gram = first.get(prefix, end) as string | undefined;
    while (gram !== undefined && out.length < max) {
      out.push(gram);
      gram = next.get(gram, end) as string | undefined;
    }
    return out;
  }

  /**
   * A one-character query: the register in order (along the index of the
   * filters), each person's key checked, shortQueryScan persons at most; when
   * the scan stops there short of a full page, `resume` is the last person it looked at.
   */
  private shortMatches(key: string, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined, limit: number): { rows: Keyed[]; resume?: Keyed } {
    const { where, args } = filterClause(s, 'p');
    if (cursor) {
      where.push(`(p.register_key, p.id) ${direction === 'forward' ? '>' : '<'} (?, ?)`);
      args.push(cursor.key, cursor.id);
    }
    const order = direction === 'forward' ? 'ASC' : 'DESC';
    // Stepped lazily: the walk stops at the page's last match, not at the bound.
    const scan = this.db
      .prepare(`SELECT p.register_key AS key, p.id, instr(p.search_text, ?) > 0 AS hit FROM persons p ${orderIndex(s)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY p.register_key ${order}, p.id ${order} LIMIT ?`)
      .iterate(key, ...args, this.shortQueryScan) as IterableIterator<Keyed & { hit: number }>;
    const rows: Keyed[] = [];
    let seen = 0;
    let last: Keyed | undefined;
    for (const r of scan) {
      seen++;
      last = { key: r.key, id: r.id };
      if (r.hit) rows.push(last);
      if (rows.length === limit) {
        scan.return?.();
        return { rows };
      }
    }
    return seen === this.shortQueryScan && last ? { rows, resume: last } : { rows };
  }

  private gramMatches(key: string, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined, limit: number): Keyed[] {
    const gram = this.rarestGram(key);
    return gram === undefined ? [] : this.gramRows(gram, key, s, direction, cursor, limit);
  }

  /** One gram's persons in register order from the cursor, each checked to contain `check` when given. */
  private gramRows(gram: string, check: string | undefined, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined, limit: number): Keyed[] {
    const { where, args } = filterClause(s, 'p');
    if (check !== undefined) {
      where.unshift('instr(p.search_text, ?) > 0');
      args.unshift(check);
    }
    where.unshift('g.gram = ?');
    args.unshift(gram);
    if (cursor) {
      where.push(`(g.register_key, g.person_id) ${direction === 'forward' ? '>' : '<'} (?, ?)`);
      args.push(cursor.key, cursor.id);
    }
    const order = direction === 'forward' ? 'ASC' : 'DESC';
    return this.db
      .prepare(`SELECT g.register_key AS key, g.person_id AS id FROM person_grams g JOIN persons p ON p.id = g.person_id
                WHERE ${where.join(' AND ')} ORDER BY g.register_key ${order}, g.person_id ${order} LIMIT ?`)
      .all(...args, limit) as Keyed[];
  }

  /**
   * Persons whose code starts with the query. A narrow prefix (the usual case:
   * a whole 社員番号) is read from the code index and sorted here; a broad one
   * walks the register order and checks each code.
   */
  private codeMatches(code: string, s: RegisterPageQuery, direction: Direction, cursor: RegisterCursor | undefined, limit: number): Keyed[] {
    const { where, args } = filterClause(s, 'p');
    where.unshift(KIND_SEEK, 'p.code >= ?', 'p.code < ?');
    args.unshift(code, code + MAX_CODE);
    const narrow = this.db
      .prepare(`SELECT p.register_key AS key, p.id FROM persons p INDEXED BY persons_code WHERE ${where.join(' AND ')} LIMIT ?`)
      .all(...args, CODE_SORT_LIMIT + 1) as Keyed[];
    if (narrow.length <= CODE_SORT_LIMIT) {
      const sign = direction === 'forward' ? 1 : -1;
      return narrow
        .filter((r) => !cursor || compare(r, cursor) * sign > 0)
        .sort((a, b) => compare(a, b) * sign)
        .slice(0, limit);
    }
    if (cursor) {
      where.push(`(p.register_key, p.id) ${direction === 'forward' ? '>' : '<'} (?, ?)`);
      args.push(cursor.key, cursor.id);
    }
    const order = direction === 'forward' ? 'ASC' : 'DESC';
    return this.db
      .prepare(`SELECT p.register_key AS key, p.id FROM persons p INDEXED BY persons_register WHERE ${where.join(' AND ')}
                ORDER BY p.register_key ${order}, p.id ${order} LIMIT ?`)
      .all(...args, limit) as Keyed[];
  }

  /** The query's gram with the fewest rows (counted up to a cap), or undefined when a gram has none. */
  private rarestGram(key: string): string | undefined {
    const countStmt = this.db.prepare('SELECT count(*) FROM (SELECT 1 FROM person_grams WHERE gram = ? LIMIT ?)').pluck();
    let best: { gram: string; n: number } | undefined;
    for (const gram of queryGrams(key)) {
      const n = countStmt.get(gram, GRAM_COUNT_CAP) as number;
      if (n === 0) return undefined;
      if (!best || n < best.n) best = { gram, n };
    }
    return best?.gram;
  }

  /** How many persons a search finds, up to SEARCH_COUNT_CAP (then capped). */
  private searchCount(key: string, code: string, s: RegisterPageQuery): { n: number; capped: boolean } {
    const ids = new Set<PersonId>();
    const gram = queryGrams(key).length ? this.rarestGram(key) : undefined;
    if (!queryGrams(key).length) {
      const found = this.charMatches(key, s, 'forward', undefined, SEARCH_COUNT_CAP + 1);
      for (const r of found.rows) ids.add(r.id);
      if (found.resume) return { n: ids.size, capped: true };
    } else if (gram !== undefined) {
      const { where, args } = filterClause(s, 'p');
      where.unshift('g.gram = ?', 'instr(p.search_text, ?) > 0');
      args.unshift(gram, key);
      const rows = this.db
        .prepare(`SELECT g.person_id FROM person_grams g JOIN persons p ON p.id = g.person_id WHERE ${where.join(' AND ')} LIMIT ?`)
        .pluck()
        .all(...args, SEARCH_COUNT_CAP + 1) as PersonId[];
      for (const id of rows) ids.add(id);
    }
    if (codeLike(code) && ids.size <= SEARCH_COUNT_CAP) {
      const { where, args } = filterClause(s, 'p');
      where.unshift(KIND_SEEK, 'p.code >= ?', 'p.code < ?');
      args.unshift(code, code + MAX_CODE);
      const rows = this.db
        .prepare(`SELECT p.id FROM persons p INDEXED BY persons_code WHERE ${where.join(' AND ')} LIMIT ?`)
        .pluck()
        .all(...args, SEARCH_COUNT_CAP + 1) as PersonId[];
      for (const id of rows) ids.add(id);
    }
    return ids.size > SEARCH_COUNT_CAP ? { n: SEARCH_COUNT_CAP, capped: true } : { n: ids.size, capped: false };
  }
}

/** The kind, status and number filters as SQL on persons `p`; the partial indexes match these terms exactly. */
function filterClause(s: RegisterPageQuery, p: string): { where: string[]; args: unknown[] } {
  // An import still being stored in chunks is in no view of the register (persons-repo.ts VISIBLE).
  const where: string[] = [VISIBLE(p)];
  const args: unknown[] = [];
  if (s.kind) {
    where.push(`${p}.kind = ?`);
    args.push(s.kind);
  }
  if (s.status) {
    where.push(`${p}.status = ?`);
    args.push(s.status);
  }
  if (s.filter === 'missing') where.push(`${p}.number_state IS NULL`);
  if (s.filter === 'unchecked') where.push(`${p}.number_state = 'held' AND ${p}.identity_checked = 0`);
  // Matches the partial index persons_register_not_provided (migration 140).
  if (s.filter === 'not_provided') where.push(`${p}.number_state = 'not_provided'`);
  // Matches the partial index persons_register_retention_due (migration 190).
  if (s.filter === 'retention_due') where.push(`${p}.retention_due = 1`);
  return { where, args };
}

/**
 * 保存期間経過 walks its own partial index even with a kind or status: due persons are few among a
 * kind's, and the planner (without statistics) would otherwise walk every person of the kind.
 */
function orderIndex(s: RegisterPageQuery): string {
  return s.filter === 'retention_due' ? 'INDEXED BY persons_register_retention_due' : '';
}

const cursorOf = (r: Keyed): RegisterCursor => ({ key: r.key, id: r.id });

/** Register order on (key, id), as SQLite's BINARY collation compares the key's UTF-8 bytes. */
function compare(a: Keyed, b: Keyed): number {
  if (a.key !== b.key) return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
  return a.id - b.id;
}
