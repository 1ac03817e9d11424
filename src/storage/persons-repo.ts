import type { NumberState, Person, PersonId, PersonKind } from '../domain/persons.js';
import type { Db } from './database.js';
import { RegisterQuery, VISIBLE, type RegisterCursor, type RegisterPageQuery } from './register-query.js';
import { personGrams, searchIndexOf, searchText } from '../domain/search-text.js';
import { MultiRowInsert } from './multi-row-insert.js';

export type { RegisterCursor, RegisterFilter } from './register-query.js';

/** The register's search and page: the query RegisterQuery answers. */
export type PersonSearch = RegisterPageQuery;

export interface PersonSearchResult {
  rows: PersonListRow[];
  /** Exact for the register and its filters (maintained counts); for a search, capped at `SEARCH_COUNT_CAP`. */
  total: number;
  totalCapped: boolean;
  /** Where the previous and next pages start, when there are such pages. */
  prev?: RegisterCursor;
  next?: RegisterCursor;
  /** A one-character search stopped after SHORT_QUERY_SCAN persons on this page. */
  scanBounded: boolean;
}

export interface PersonListRow {
  id: PersonId;
  kind: PersonKind;
  code: string | null;
  name: string;
  kana: string | null;
  status: 'active' | 'retired';
  dependantUntil: string | null;
  relationship: string | null;
  supporterName: string | null;
  /** False while a held number still lacks its 本人確認 record. */
  identityChecked: boolean;
  numberState: NumberState | null;
  refusalReason: string | null;
  /** When the number was destroyed, for state 'disposed'. */
  disposedAt: string | null;
}

export interface NumberRow {
  personId: PersonId;
  state: NumberState;
  sealed: Buffer | null;
  refusalReason: string | null;
  acquiredAt: string;
  /** When the number was destroyed (削除・廃棄), for state 'disposed'. */
  disposedAt: string | null;
  /** Purpose codes notified when the number was taken. */
  purposes: string[];
}

type PersonRow = Record<string, string | null> & { id: number; supporter_id: number | null };

function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    kind: r.kind as PersonKind,
    code: r.code ?? null,
    name: r.name!,
    kana: r.kana ?? null,
    birthDate: r.birth_date ?? null,
    relationship: r.relationship ?? null,
    supporterId: r.supporter_id ?? null,
    corporateNumber: r.corporate_number ?? null,
    status: r.status as Person['status'],
    retiredOn: r.retired_on ?? null,
  };
}

/** persons (個人情報) and person_numbers (特定個人情報: sealed numbers and their keyed index). */
export class PersonsRepo {
  private readonly insertPersonStmt;
  private readonly insertNumberStmt;
  private readonly indexExistsStmt;
  private readonly gramInserts = new Map<number, ReturnType<Db['prepare']>>();
  /** Where grams go: the index itself, or during a large bulk insert a heap sorted into it at the end. */
  private gramTarget: 'person_grams' | 'temp.bulk_grams' = 'person_grams';
  /** An import's grams waiting in memory until its persons are all stored (insertHidden, flushBatchGrams). */
  private batchGrams: BatchGrams | null = null;
  private gramsHidden = false;
  private readonly gramsFlush: MultiRowInsert;
  private droppedIndexes: { name: string; sql: string }[] = [];
  private readonly deleteGramStmt;
  private readonly searchTextStmt;
  private readonly register: RegisterQuery;
  private readonly personsInsert: MultiRowInsert;
  private readonly numbersInsert: MultiRowInsert;
  private readonly gramsInserts = new Map<string, MultiRowInsert>();

  constructor(private readonly db: Db) {
    this.register = new RegisterQuery(db);
    this.personsInsert = new MultiRowInsert(db, `INSERT INTO persons (${PERSON_COLUMNS})`, 15, ROWS_PER_INSERT);
    this.numbersInsert = new MultiRowInsert(db, `INSERT INTO person_numbers (${NUMBER_COLUMNS})`, 7, ROWS_PER_INSERT);
    this.gramsFlush = new MultiRowInsert(db, 'INSERT OR IGNORE INTO person_grams (gram, register_key, person_id)', 3, GRAMS_PER_FLUSH_INSERT);
    this.deleteGramStmt = db.prepare('DELETE FROM person_grams WHERE gram = ? AND register_key = ? AND person_id = ?');
    this.searchTextStmt = db.prepare('UPDATE persons SET search_text = ? WHERE id = ?');
    this.insertPersonStmt = db.prepare(`INSERT INTO persons (${PERSON_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertNumberStmt = db.prepare(`INSERT INTO person_numbers (${NUMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.indexExistsStmt = db.prepare('SELECT 1 FROM person_numbers WHERE number_index = ?').pluck();
  }

  /**
   * Inserts a person and the grams the register finds them by. `numberState`
   * is the state of the number record the caller inserts next in the same
   * transaction (a bulk import), so the register's counts move once; the
   * number's own trigger corrects it either way.
   */
  insertPerson(p: Person, at: string, numberState: NumberState | null = null): void {
    const index = searchIndexOf(p.name, p.kana);
    this.insertPersonStmt.run(
      p.id, p.kind, p.code, p.name, p.kana, p.birthDate, p.relationship, p.supporterId,
      p.corporateNumber, p.status, p.retiredOn, at, at, index.text, numberState,
    );
    this.insertGramRows(p.id, p.kana, index.grams);
  }

  /**
   * Inserts many new persons, with their grams, a few statements for all of
   * them (a bulk import: see MultiRowInsert); each row as insertPerson would.
   * A row may name as supporter a person earlier in `rows`.
   */
  insertPersons(rows: readonly { person: Person; numberState: NumberState | null }[], at: string): void {
    const values: unknown[] = [];
    const grams: unknown[] = [];
    const batch = this.gramsHidden ? this.batchGrams : null;
    for (const { person: p, numberState } of rows) {
      const index = searchIndexOf(p.name, p.kana);
      values.push(p.id, p.kind, p.code, p.name, p.kana, p.birthDate, p.relationship, p.supporterId, p.corporateNumber, p.status, p.retiredOn, at, at, index.text, numberState);
      const key = registerKey(p.kana);
      if (batch !== null) batch.add(index.grams, key, p.id);
      else for (const g of index.grams) grams.push(g, key, p.id);
    }
    this.personsInsert.run(values);
    if (grams.length > 0) this.gramsInsert().run(grams);
  }

  /** Inserts the number records of persons just inserted (held and sealed, or refused), a few statements for all. */
  insertNumbers(rows: readonly NewNumberRecord[], at: string): void {
    const values: unknown[] = [];
    for (const r of rows) {
      if (r.state === 'held') values.push(r.personId, 'held', r.sealed, r.index, null, at, JSON.stringify(r.purposes));
      else values.push(r.personId, 'not_provided', null, null, r.refusalReason, at, JSON.stringify(r.purposes));
    }
    this.numbersInsert.run(values);
  }

  private gramsInsert(): MultiRowInsert {
    let insert = this.gramsInserts.get(this.gramTarget);
    if (insert === undefined) {
      insert = new MultiRowInsert(this.db, `INSERT ${this.gramTarget !== 'temp.bulk_grams' ? 'OR IGNORE ' : ''}INTO ${this.gramTarget} (gram, register_key, person_id)`, 3, GRAMS_PER_INSERT);
      this.gramsInserts.set(this.gramTarget, insert);
    }
    return insert;
  }

  /**
   * Gives the search text and grams to persons that lack them (registered
   * before the register's search existed), in the caller's transaction.
   * Returns how many; a vault opened after an upgrade calls it once.
   */
  indexMissing(): number {
    const rows = this.db.prepare("SELECT id, name, kana FROM persons WHERE search_text = ''").all() as { id: PersonId; name: string; kana: string | null }[];
    for (const r of rows) {
      this.searchTextStmt.run(searchText(r.name, r.kana), r.id);
      this.insertGrams(r.id, r.name, r.kana);
    }
    return rows.length;
  }

  private insertGrams(id: PersonId, name: string, kana: string | null): void {
    this.insertGramRows(id, kana, personGrams(name, kana));
  }

  private insertGramRows(id: PersonId, kana: string | null, grams: readonly string[]): void {
    if (grams.length === 0) return;
    const key = registerKey(kana);
    const args: unknown[] = [];
    for (const g of grams) args.push(g, key, id);
    this.gramInsert(grams.length).run(args);
  }

  /** One multi-row INSERT per gram count, prepared once: a person's grams go in one call. */
  private gramInsert(count: number) {
    let stmt = this.gramInserts.get(count);
    if (!stmt) {
      stmt = this.db.prepare(`INSERT ${this.gramTarget !== 'temp.bulk_grams' ? 'OR IGNORE ' : ''}INTO ${this.gramTarget} (gram, register_key, person_id) VALUES ${Array.from({ length: count }, () => '(?, ?, ?)').join(', ')}`);
      this.gramInserts.set(count, stmt);
    }
    return stmt;
  }

  private reindex(id: PersonId, old: { name: string; kana: string | null }, name: string, kana: string | null): void {
    const oldKey = registerKey(old.kana);
    for (const g of personGrams(old.name, old.kana)) this.deleteGramStmt.run(g, oldKey, id);
    this.searchTextStmt.run(searchText(name, kana), id);
    this.insertGrams(id, name, kana);
  }

  insertSealedNumber(personId: PersonId, sealed: Buffer, index: Buffer, at: string, purposes: readonly string[]): void {
    this.insertNumberStmt.run(personId, 'held', sealed, index, null, at, JSON.stringify(purposes));
  }

  insertNotProvided(personId: PersonId, reason: string, at: string, purposes: readonly string[]): void {
    this.insertNumberStmt.run(personId, 'not_provided', null, null, reason, at, JSON.stringify(purposes));
  }

  /** Replaces whatever number record a person has (a refusal becomes a number, or the reverse). */
  deleteNumber(personId: PersonId): void {
    this.db.prepare('DELETE FROM person_numbers WHERE person_id = ?').run(personId);
  }

  updatePerson(p: Pick<Person, 'id' | 'code' | 'name' | 'kana' | 'birthDate' | 'relationship' | 'corporateNumber'>, at: string): void {
    const old = this.db.prepare('SELECT name, kana FROM persons WHERE id = ?').get(p.id) as { name: string; kana: string | null } | undefined;
    this.db
      .prepare('UPDATE persons SET code = ?, name = ?, kana = ?, birth_date = ?, relationship = ?, corporate_number = ?, updated_at = ? WHERE id = ?')
      .run(p.code, p.name, p.kana, p.birthDate, p.relationship, p.corporateNumber, at, p.id);
    if (old) this.reindex(p.id, old, p.name, p.kana);
  }

  retire(id: PersonId, retiredOn: string, at: string): void {
    this.db.prepare("UPDATE persons SET status = 'retired', retired_on = ?, updated_at = ? WHERE id = ?").run(retiredOn, at, id);
  }

  endDependant(id: PersonId, until: string, at: string): void {
    this.db.prepare('UPDATE persons SET dependant_until = ?, updated_at = ? WHERE id = ?').run(until, at, id);
  }

  dependantUntil(id: PersonId): string | null {
    return (this.db.prepare('SELECT dependant_until FROM persons WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  dependantsOf(id: PersonId): PersonListRow[] {
    return this.listRows(`WHERE p.supporter_id = ? AND ${VISIBLE('p')}`, [id], 'ORDER BY p.id', 1000, 0);
  }

  /**
   * Persons with a held number for an export set: active employees and their
   * current dependants, or active payees; supporters first, in register order.
   * With a year, also those who retired, ended or stopped being a dependant
   * during that year (their filings of the year are still due).
   */
  exportSet(set: 'employees' | 'payees', year?: number): PersonId[] {
    const from = year === undefined ? '9999-12-31' : `${year}-01-01`;
    const current = (alias: string) => `(${alias}.status = 'active' OR ${alias}.retired_on >= @from)`;
    // A role held beyond the primary one (person_roles) puts the person in the set too.
    const role = (kind: string, extra: string) => `EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = '${kind}' AND (r.ended_on IS NULL OR r.ended_on >= @from)${extra})`;
    const supporterCurrent = (col: string) => `EXISTS (SELECT 1 FROM persons s WHERE s.id = ${col} AND ${current('s')})`;
    const where =
      set === 'employees'
        ? `(p.kind = 'employee' AND ${current('p')}) OR (p.kind = 'dependant' AND (p.dependant_until IS NULL OR p.dependant_until >= @from) AND ${supporterCurrent('p.supporter_id')})
           OR ${role('employee', '')} OR ${role('dependant', ` AND ${supporterCurrent('r.supporter_id')}`)}`
        : `(p.kind = 'payee' AND ${current('p')}) OR ${role('payee', '')}`;
    return this.db
      .prepare(`SELECT p.id FROM persons p JOIN person_numbers n ON n.person_id = p.id AND n.state = 'held' WHERE (${where}) AND ${VISIBLE('p')} ORDER BY coalesce(p.supporter_id, p.id), p.supporter_id IS NOT NULL, p.id`)
      .pluck()
      .all({ from }) as PersonId[];
  }

  /** The register: search by name, kana or code, filter, one page by keyset; plus the total. */
  search(s: PersonSearch): PersonSearchResult {
    const page = this.register.page(s);
    const byId = new Map(this.listRows(`WHERE p.id IN (${page.ids.map(() => '?').join(',') || 'NULL'})`, page.ids, '', page.ids.length || 1, 0).map((r) => [r.id, r]));
    const rows = page.ids.map((id) => byId.get(id)).filter((r): r is PersonListRow => r !== undefined);
    return { rows, total: page.total, totalCapped: page.totalCapped, prev: page.prev, next: page.next, scanBounded: page.scanBounded };
  }

  /**
   * Runs fn, which inserts about `rows` new persons (and nothing else), inside
   * the caller's transaction. The per-row counting stops; for a
   * large batch the register's order indexes are dropped and each person's
   * grams are gathered in memory, so both are built once, sorted, at the end
   * instead of by a random insert per row into every index (at a million
   * persons that is the difference between minutes and most of an hour).
   */
  insertBulk<T>(rows: number, fn: () => T): T {
    const from = this.nextId();
    try {
      this.beginBulk(rows);
      const result = fn();
      this.endBulk(from, this.nextId() - 1);
      return result;
    } finally {
      // On a throw the transaction rolls back the dropped indexes and the temporary table with it.
      this.gramTarget = 'person_grams';
      this.gramInserts.clear();
      this.gramsInserts.clear();
      this.droppedIndexes = [];
    }
  }

  private beginBulk(rows: number): void {
    this.db.prepare('INSERT OR IGNORE INTO register_counts_paused (one) VALUES (1)').run();
    const persons = this.db.prepare("SELECT n FROM register_counts WHERE key = 'k=*;s=*;f=*'").pluck().get() as number | undefined;
    if (rows < BULK_MIN_ROWS || rows < (persons ?? 0) / 4) return;
    this.droppedIndexes = this.db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' AND name LIKE 'persons_register%'")
      .all() as { name: string; sql: string }[];
    for (const i of this.droppedIndexes) this.db.exec(`DROP INDEX ${i.name}`);
    // A temporary table lives in memory (temp_store = MEMORY): the grams never reach an unencrypted file.
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS bulk_grams (gram TEXT NOT NULL, register_key TEXT NOT NULL, person_id INTEGER NOT NULL)');
    this.gramTarget = 'temp.bulk_grams';
  }

  /** Ends a bulk insert: the grams and indexes built sorted, the counts of ids from..to added. */
  private endBulk(from: PersonId, to: PersonId): void {
    if (this.gramTarget !== 'person_grams') {
      this.db.exec('INSERT OR IGNORE INTO person_grams (gram, register_key, person_id) SELECT gram, register_key, person_id FROM temp.bulk_grams ORDER BY 1, 2, 3');
      this.db.exec('DROP TABLE temp.bulk_grams');
      this.gramTarget = 'person_grams';
      this.gramInserts.clear();
      this.gramsInserts.clear();
    }
    for (const i of this.droppedIndexes) this.db.exec(i.sql);
    this.droppedIndexes = [];
    this.resumeCounts(from, to);
  }

  /** Adds the counts of the persons with ids from..to (just inserted) and counts per row again. */
  private resumeCounts(from: PersonId, to: PersonId, groups?: readonly CountGroup[]): void {
    // The groups as the caller counted them while inserting (a batch: no pass over its rows under the
    // publish's lock), or one pass over the range into its few (kind, status, number state, checked)
    // groups; the groups, not the rows, are spread over the count keys.
    const source =
      groups === undefined
        ? 'SELECT kind AS k, status AS s, number_state AS ns, identity_checked AS ic, count(*) AS c FROM persons WHERE id BETWEEN @from AND @to GROUP BY 1, 2, 3, 4'
        : "SELECT value ->> '$[0]' AS k, value ->> '$[1]' AS s, value ->> '$[2]' AS ns, value ->> '$[3]' AS ic, value ->> '$[4]' AS c FROM json_each(@groups)";
    this.db
      .prepare(
        `WITH g AS (${source})
         INSERT INTO register_counts (key, n)
         SELECT 'k=' || (CASE WHEN any_kind THEN '*' ELSE k END) || ';s=' || (CASE WHEN any_status THEN '*' ELSE s END) || ';f=' || f, sum(c)
           FROM (SELECT k, s, '*' AS f, c FROM g
                 UNION ALL
                 SELECT k, s, CASE WHEN ns IS NULL THEN 'missing' WHEN ns = 'held' AND ic = 0 THEN 'unchecked' END, c FROM g
                 UNION ALL
                 SELECT k, s, 'n:' || ns, c FROM g)
           CROSS JOIN (SELECT 0 AS any_kind UNION ALL SELECT 1)
           CROSS JOIN (SELECT 0 AS any_status UNION ALL SELECT 1)
          WHERE f IS NOT NULL
          GROUP BY 1
         ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`,
      )
      .run(groups === undefined ? { from, to } : { groups: JSON.stringify(groups.map((g) => [g.kind, g.status, g.numberState, g.identityChecked ? 1 : 0, g.count])) });
    this.db.prepare('DELETE FROM register_counts_paused').run();
  }

  /**
   * One page: the ids are picked from persons alone (along the register-order
   * index), then only those rows are joined to their numbers (a deferred join).
   */
  private listRows(clause: string, args: unknown[], order: string, limit: number, offset: number): PersonListRow[] {
    const raw = this.db
      .prepare(
        `SELECT p.id, p.kind, p.code, p.name, p.kana, p.status, p.dependant_until, n.state, n.refusal_reason, p.relationship,
                (SELECT s.name FROM persons s WHERE s.id = p.supporter_id),
                p.identity_checked, n.disposed_at
         FROM (SELECT p.id FROM persons p ${clause} ${order} LIMIT ? OFFSET ?) page
         JOIN persons p ON p.id = page.id LEFT JOIN person_numbers n ON n.person_id = p.id ${order}`,
      )
      .raw()
      .all(...args, limit, offset) as [number, PersonKind, string | null, string, string | null, 'active' | 'retired', string | null, NumberState | null, string | null, string | null, string | null, number, string | null][];
    return raw.map((r) => ({
      id: r[0], kind: r[1], code: r[2], name: r[3], kana: r[4], status: r[5], dependantUntil: r[6], numberState: r[7], refusalReason: r[8], relationship: r[9], supporterName: r[10], identityChecked: r[11] === 1, disposedAt: r[12],
    }));
  }

  /** Whether any number record has a keyed index (one seek on the unique index). */
  anyIndexed(): boolean {
    return this.db.prepare('SELECT 1 FROM person_numbers WHERE number_index IS NOT NULL LIMIT 1').pluck().get() !== undefined;
  }

  indexExists(index: Buffer): boolean {
    return this.indexExistsStmt.get(index) !== undefined;
  }

  /** The keyed index of the person's held number, if any. */
  indexOf(personId: PersonId): Buffer | undefined {
    return (this.db.prepare("SELECT number_index FROM person_numbers WHERE person_id = ? AND state = 'held'").pluck().get(personId) as Buffer | null | undefined) ?? undefined;
  }

  /** The person whose number has this keyed index, if any. */
  personWithIndex(index: Buffer): PersonId | undefined {
    return this.db.prepare('SELECT person_id FROM person_numbers WHERE number_index = ?').pluck().get(index) as PersonId | undefined;
  }

  /** Whether a person of this kind already has this code (one seek on the unique index). */
  codeExists(kind: PersonKind, code: string): boolean {
    return this.db.prepare('SELECT 1 FROM persons WHERE kind = ? AND code = ?').pluck().get(kind, code) !== undefined;
  }

  /** Code → id of every registered person of a kind (for linking and duplicate checks in a whole import). */
  codes(kind: PersonKind): Map<string, PersonId> {
    const rows = this.db.prepare('SELECT code, id FROM persons WHERE kind = ? AND code IS NOT NULL').raw().all(kind) as [string, number][];
    return new Map(rows);
  }

  byId(id: PersonId): Person | undefined {
    const r = this.db.prepare(`SELECT * FROM persons p WHERE id = ? AND ${VISIBLE('p')}`).get(id) as PersonRow | undefined;
    return r && toPerson(r);
  }

  /** Every person with the date they stopped being a dependant, by id (one query, for batch decisions). */
  allById(): Map<PersonId, { person: Person; dependantUntil: string | null }> {
    const rows = this.db.prepare(`SELECT * FROM persons p WHERE ${VISIBLE('p')}`).all() as PersonRow[];
    return new Map(rows.map((r) => [r.id, { person: toPerson(r), dependantUntil: r.dependant_until ?? null }]));
  }

  /** The first person whose sealed number is held (a restore's drill opens it). */
  firstHeldNumber(): PersonId | undefined {
    return this.db.prepare("SELECT person_id FROM person_numbers WHERE state = 'held' AND sealed IS NOT NULL ORDER BY person_id LIMIT 1").pluck().get() as PersonId | undefined;
  }

  heldNumberCount(): number {
    return this.db.prepare("SELECT count(*) FROM person_numbers WHERE state = 'held'").pluck().get() as number;
  }

  /** Held sealed numbers after a person id, in order: a key rotation walks them in batches. */
  heldSealedAfter(cursor: PersonId, limit: number): { person_id: PersonId; sealed: Buffer }[] {
    return this.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE person_id > ? AND state = 'held' ORDER BY person_id LIMIT ?").all(cursor, limit) as { person_id: PersonId; sealed: Buffer }[];
  }

  replaceSealed(personId: PersonId, sealed: Buffer): void {
    this.db.prepare("UPDATE person_numbers SET sealed = ? WHERE person_id = ? AND state = 'held'").run(sealed, personId);
  }

  iterateHeldSealed(): IterableIterator<Buffer> {
    return this.db.prepare("SELECT sealed FROM person_numbers WHERE state = 'held'").pluck().iterate() as IterableIterator<Buffer>;
  }

  numberOf(id: PersonId): NumberRow | undefined {
    const r = this.db
      .prepare('SELECT person_id, state, sealed, refusal_reason, acquired_at, disposed_at, purposes FROM person_numbers WHERE person_id = ?')
      .get(id) as { person_id: number; state: NumberState; sealed: Buffer | null; refusal_reason: string | null; acquired_at: string; disposed_at: string | null; purposes: string | null } | undefined;
    return r && { personId: r.person_id, state: r.state, sealed: r.sealed, refusalReason: r.refusal_reason, acquiredAt: r.acquired_at, disposedAt: r.disposed_at, purposes: r.purposes ? (JSON.parse(r.purposes) as string[]) : [] };
  }

  /** The id the next inserted person gets (past any import's reserved range); call inside the write transaction. */
  nextId(): PersonId {
    return this.db.prepare('SELECT max(coalesce((SELECT max(id) FROM persons), 0), coalesce((SELECT max(last_id) FROM import_batches), 0)) + 1').pluck().get() as number;
  }

  /**
   * Reserves ids for an import stored in committed chunks (see
   * migrations/120_import_batches.sql): until publishBatch its persons are in
   * no register view, no count and no byId. Call inside a write transaction.
   */
  reserveBatch(rows: number, at: string): ImportBatch {
    const from = this.nextId();
    const to = from + Math.max(rows, 1) - 1;
    const id = Number(this.db.prepare('INSERT INTO import_batches (first_id, last_id, started_at, pid) VALUES (?, ?, ?, ?)').run(from, to, at, process.pid).lastInsertRowid);
    return { id, from, to };
  }

  /**
   * Runs fn, which inserts persons of a reserved batch (and nothing else),
   * inside the caller's transaction, without counting them: the register's
   * counts take the whole batch at publishBatch.
   */
  insertHidden<T>(fn: () => T): T {
    this.db.prepare('INSERT OR IGNORE INTO register_counts_paused (one) VALUES (1)').run();
    // The grams wait in this process's memory (never a file), gathered by gram as the persons come, and go
    // into the register's gram index in order at the end (flushBatchGrams).
    this.batchGrams ??= new BatchGrams();
    this.gramsHidden = true;
    try {
      return fn();
    } finally {
      this.gramsHidden = false;
      this.db.prepare('DELETE FROM register_counts_paused').run();
    }
  }

  /**
   * Puts the batch's grams in order for flushBatchGrams. Call after the last
   * insertHidden and outside any write transaction (at a million persons it
   * orders ten million grams; another writer need not wait for it).
   */
  sortBatchGrams(): void {
    this.batchGrams?.sort();
  }

  /**
   * Moves up to `limit` of the batch's grams, in order, from memory into the
   * register's gram index (a sorted run instead of a random insert per gram);
   * true when none are left. Call in a write transaction, in a loop, after sortBatchGrams and before publishBatch.
   */
  flushBatchGrams(limit: number): boolean {
    if (this.batchGrams === null) return true;
    const values = this.batchGrams.take(limit);
    if (values.length > 0) this.gramsFlush.run(values);
    if (this.batchGrams.left() > 0) return false;
    this.batchGrams = null;
    return true;
  }

  /** Forgets the grams of a batch not flushed (a failed import). */
  dropBatchGrams(): void {
    this.batchGrams = null;
  }

  /**
   * Makes a batch's persons visible: counted, in the register, found by id. In the transaction of the
   * import's audit event. `groups`, when given, are the batch's persons counted by the caller as it
   * inserted them (every one, each in one group); otherwise the batch's rows are read and counted here.
   */
  publishBatch(batch: ImportBatch, groups?: readonly CountGroup[]): void {
    this.resumeCounts(batch.from, batch.to, groups);
    this.db.prepare('DELETE FROM import_batches WHERE id = ?').run(batch.id);
  }

  /**
   * Deletes up to `limit` of the highest ids of an unpublished batch (dependants
   * before their supporters) with all that an import writes for them; true
   * when the batch is empty and its row gone. Call in a write transaction, in
   * a loop, so no single transaction holds the lock for long.
   */
  discardBatchStep(batch: ImportBatch, limit: number): boolean {
    const lo = this.db.prepare('SELECT id FROM persons WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT 1 OFFSET ?').pluck().get(batch.from, batch.to, limit - 1) as number | undefined;
    const from = lo ?? batch.from;
    this.db.prepare('INSERT OR IGNORE INTO register_counts_paused (one) VALUES (1)').run();
    // Grams by their key (the gram index has no person_id order): those flushed before the failure.
    const persons = this.db.prepare('SELECT id, name, kana FROM persons WHERE id BETWEEN ? AND ?').all(from, batch.to) as { id: PersonId; name: string; kana: string | null }[];
    for (const p of persons) for (const g of personGrams(p.name, p.kana)) this.deleteGramStmt.run(g, registerKey(p.kana), p.id);
    for (const table of ['person_numbers', 'purpose_notices', 'person_final_payments', 'person_trail_salts']) {
      this.db.prepare(`DELETE FROM ${table} WHERE person_id BETWEEN ? AND ?`).run(from, batch.to);
    }
    this.db.prepare('DELETE FROM persons WHERE id BETWEEN ? AND ?').run(from, batch.to);
    this.db.prepare('DELETE FROM register_counts_paused').run();
    if (lo !== undefined && lo > batch.from) {
      batch.to = lo - 1;
      return false;
    }
    this.db.prepare('DELETE FROM import_batches WHERE id = ?').run(batch.id);
    return true;
  }

  /** Imports not yet published (their persons hidden), with the process storing them. */
  pendingBatches(): (ImportBatch & { pid: number })[] {
    return this.db.prepare('SELECT id, first_id AS "from", last_id AS "to", pid FROM import_batches ORDER BY id').all() as (ImportBatch & { pid: number })[];
  }

  /** The home page's counts, from the maintained register counts (no scan). */
  count(): { persons: number; held: number; notProvided: number; missing: number; unchecked: number } {
    const c = (f: string) => this.register.count({ filterKey: f });
    return { persons: c('*'), held: c('n:held'), notProvided: c('n:not_provided'), missing: c('missing'), unchecked: c('unchecked') };
  }
}

/** Register order's key for a person: kana, and persons without kana last (the column's expression). */
/** An import's reserved range of person ids (migrations/120_import_batches.sql). */
export interface ImportBatch {
  id: number;
  from: PersonId;
  to: PersonId;
}

/** The columns an inserted person row names, in the order insertPerson binds them. */
const PERSON_COLUMNS = 'id, kind, code, name, kana, birth_date, relationship, supporter_id, corporate_number, status, retired_on, created_at, updated_at, search_text, number_state';
const NUMBER_COLUMNS = 'person_id, state, sealed, number_index, refusal_reason, acquired_at, purposes';
/** Rows per statement of insertPersons / insertNumbers (15 and 7 values a row), and grams per statement. */
const ROWS_PER_INSERT = 50;
const GRAMS_PER_INSERT = 100;
/** Grams per statement when an import's sorted grams go into the index. */
const GRAMS_PER_FLUSH_INSERT = 250;

/**
 * An import's grams (gram, register key, person id) gathered in memory by
 * gram, in the order its persons are stored, then read out in the order of
 * the gram index, so they go into it as sorted runs. Each gram's persons come
 * in register order already (the import stores its rows so), apart from where
 * the import's groups meet; a gram's list is sorted only when it is out of order.
 * Keys are the persons' own register-key strings, shared by their grams: about
 * 16 bytes a gram (a million persons, ten million grams: about 160 MB).
 */
class BatchGrams {
  private readonly byGram = new Map<string, { keys: string[]; ids: number[] }>();
  private grams: string[] = [];
  private count = 0;
  private sorted = false;
  private at = { gram: 0, entry: 0 };

  add(grams: readonly string[], key: string, id: number): void {
    for (const g of grams) {
      let list = this.byGram.get(g);
      if (list === undefined) this.byGram.set(g, (list = { keys: [], ids: [] }));
      list.keys.push(key);
      list.ids.push(id);
    }
    this.count += grams.length;
    this.sorted = false;
  }

  sort(): void {
    this.grams = [...this.byGram.keys()].sort(byCodeUnits);
    for (const list of this.byGram.values()) sortEntries(list);
    this.at = { gram: 0, entry: 0 };
    this.sorted = true;
  }

  /** Up to `limit` grams, in order, as flat (gram, key, id) values. */
  take(limit: number): unknown[] {
    if (!this.sorted) this.sort();
    const values: unknown[] = [];
    let n = 0;
    while (n < limit && this.at.gram < this.grams.length) {
      const gram = this.grams[this.at.gram]!;
      const list = this.byGram.get(gram)!;
      const end = Math.min(list.ids.length, this.at.entry + (limit - n));
      for (let i = this.at.entry; i < end; i++) values.push(gram, list.keys[i], list.ids[i]);
      n += end - this.at.entry;
      this.count -= end - this.at.entry;
      if (end === list.ids.length) {
        this.byGram.delete(gram);
        this.at = { gram: this.at.gram + 1, entry: 0 };
        this.grams[this.at.gram - 1] = '';
      } else this.at.entry = end;
    }
    return values;
  }

  left(): number {
    return this.count;
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts one gram's (key, id) pairs, unless they are in order already (the common case). */
function sortEntries(list: { keys: string[]; ids: number[] }): void {
  const { keys, ids } = list;
  let sorted = true;
  for (let i = 1; i < ids.length && sorted; i++) sorted = keys[i - 1]! < keys[i]! || (keys[i - 1] === keys[i] && ids[i - 1]! < ids[i]!);
  if (sorted) return;
  const order = ids.map((_, i) => i).sort((a, b) => byCodeUnits(keys[a]!, keys[b]!) || ids[a]! - ids[b]!);
  list.keys = order.map((i) => keys[i]!);
  list.ids = order.map((i) => ids[i]!);
}

/** Persons of one kind, status and number state (and identity check), counted: a batch's counts at its publish. */
export interface CountGroup {
  kind: PersonKind;
  status: 'active' | 'retired';
  numberState: NumberState | null;
  identityChecked: boolean;
  count: number;
}

/** A number record for insertNumbers: a sealed number held, or the reason none was provided. */
export type NewNumberRecord =
  | { personId: PersonId; state: 'held'; sealed: Buffer; index: Buffer; purposes: readonly string[] }
  | { personId: PersonId; state: 'not_provided'; refusalReason: string; purposes: readonly string[] };

/** A bulk insert this large or larger (and at least a quarter of the register) rebuilds the order indexes once. */
const BULK_MIN_ROWS = 10_000;

export function registerKey(kana: string | null): string {
  return kana ?? String.fromCodePoint(0x10ffff);
}
