import type { Db } from './database.js';

type Statement = ReturnType<Db['prepare']>;

/**
 * One INSERT of many rows (`VALUES (…), (…), …`), prepared once per row count.
 *
 * Why: on a table with triggers or foreign keys SQLite opens a statement
 * journal for each statement and copies into it every page the statement
 * changes. Inserting a bulk import's persons one statement a row paid that
 * for each row and each of the table's dozen indexes (a quarter of the
 * import's SQLite time at 200,000 persons, measured); one statement for
 * `rowsPerStatement` rows pays it once for all of them. Triggers still fire
 * for each row, in order, so a row sees the rows before it.
 */
export class MultiRowInsert {
  private readonly statements = new Map<number, Statement>();

  /** `head` is `INSERT [OR …] INTO table (col, …)`; each row has `columns` values. */
  constructor(
    private readonly db: Db,
    private readonly head: string,
    private readonly columns: number,
    private readonly rowsPerStatement: number,
  ) {}

  /** Inserts the rows whose values are laid end to end in `values` (a multiple of `columns`). */
  run(values: readonly unknown[]): void {
    const step = this.columns * this.rowsPerStatement;
    for (let from = 0; from < values.length; from += step) {
      const part = from === 0 && values.length <= step ? values : values.slice(from, from + step);
      this.statement(part.length / this.columns).run(part);
    }
  }

  private statement(rows: number): Statement {
    let stmt = this.statements.get(rows);
    if (stmt === undefined) {
      const row = `(${Array.from({ length: this.columns }, () => '?').join(', ')})`;
      stmt = this.db.prepare(`${this.head} VALUES ${Array.from({ length: rows }, () => row).join(', ')}`);
      this.statements.set(rows, stmt);
    }
    return stmt;
  }
}
