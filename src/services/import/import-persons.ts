import type { Actor, AuditSubject } from '../../domain/audit-events.js';
import { japanDate } from '../../domain/dates.js';
import { isPurposeCode, PURPOSES } from '../../domain/purposes.js';
import { type NumberState, type Person, type PersonId, type PersonKind } from '../../domain/persons.js';
import { refreshRetentionDue } from '../retention-due.js';
import { DEFAULT_AUTOCHECKPOINT_PAGES, releaseMemory, setAutoCheckpoint, setSynchronous, withPageCache, writeTransaction } from '../../storage/database.js';
import { registerKey, type CountGroup, type ImportBatch, type NewNumberRecord } from '../../storage/persons-repo.js';
import type { PurposeNoticeRow } from '../../storage/purpose-notices-repo.js';
import { LongWriter } from '../../storage/write-turns.js';
import { Sealer } from '../../vault/sealed-box.js';
import { sealNumberInBatch } from '../../vault/number-seal.js';
import { numberRecordId, NUMBER_FIELD } from '../numbers.js';
import type { Vault } from '../vault.js';
import { mapHeader } from './columns.js';
import { detectEncoding, type CsvEncoding } from './decode.js';
import { checkRecords, decodeAndParse, type CheckContext, type Checked, type RowError } from './check-rows.js';
import { fromWire, splitPoint, startSecondPart, toWire, type PartReply } from './check-parallel.js';
import { dropEndedRetention } from './retention-check.js';

/** What an import reads and writes: the persons, their numbers sealed with the public key, the audit trail. */
export type ImportStore = Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'roles' | 'retention' | 'auditRepo' | 'audit' | 'clock'>;

/**
 * One number, one record (番号法20条: no second copy of a number is kept): a
 * person who is also a payee or another employee's dependant holds that as a
 * further role on their one record, added on the person page, never as a second row.
 */
const OTHER_ROLE = '同じ人が別の役割（従業員で支払先でもある、別の従業員の扶養親族でもある など）を持つときは、行を分けずに、人物の画面の「役割（1人1番号）」から役割を追加してください。';

export type { RowError };

export type ImportPhase = 'parse' | 'check' | 'store';

export interface ImportOptions {
  actor: Actor;
  client?: string | null;
  /** Import the good rows and list the bad ones, instead of importing nothing. */
  skipInvalid?: boolean;
  /**
   * The purposes notified to the persons of this upload (a per-upload choice);
   * each row gets those that concern its kind. A 利用目的 column overrides it
   * per row. A row whose number has no notified purpose is refused; a file
   * with neither a column nor a choice is refused whole (no kind's defaults).
   */
  purposes?: string[];
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
  /** A file this large or larger is checked on two cores (check-parallel.ts); tests lower it. */
  parallelFromBytes?: number;
}

export interface ImportReport {
  encoding: CsvEncoding | null;
  /** Data rows in the file. */
  rows: number;
  committed: boolean;
  imported: Record<PersonKind, number> & { notProvided: number };
  errors: RowError[];
  /** Rows imported (or importable) that the handler should look at again (a placeholder number). */
  warnings: RowError[];
  auditSeq: number | null;
  /** Milliseconds the store gave way to other writers between its chunks (write-turns.ts). */
  gaveWayMs: number;
  /** Threads that checked the rows: 2 when a worker took the second part of a large file (check-parallel.ts). */
  checkThreads: number;
}

const PROGRESS_EVERY = 5000;
/** The page cache of an import's transaction, in MB: its memory is handed back when it ends. */
const IMPORT_PAGE_CACHE_MB = 256;
/** The header line's cap: every column name at its longest is far below it; a longer first line is refused before any parsing. */
const MAX_HEADER_BYTES = 2048;

function headerTooLong(bytes: Uint8Array): boolean {
  if (bytes.length <= MAX_HEADER_BYTES) return false;
  const head = bytes.subarray(0, MAX_HEADER_BYTES + 1);
  return head.indexOf(0x0a) < 0 && head.indexOf(0x0d) < 0;
}

/**
 * Imports persons and their numbers from a CSV file. Every bad row
 * is reported with its line and a Japanese reason; with any bad row nothing is
 * stored unless skipInvalid. Numbers are sealed with the vault public key only.
 * The rows and one 'persons.imported' event naming the persons commit together.
 */
export function importPersons(vault: ImportStore, bytes: Uint8Array, opts: ImportOptions): ImportReport {
  const progress = opts.onProgress ?? (() => {});
  const report: ImportReport = {
    encoding: null,
    rows: 0,
    committed: false,
    imported: { employee: 0, dependant: 0, payee: 0, notProvided: 0 },
    errors: [],
    warnings: [],
    auditSeq: null,
    gaveWayMs: 0,
    checkThreads: 1,
  };
  if (headerTooLong(bytes)) {
    report.errors.push({ line: 1, message: `1行目（列名の行）が長すぎます（${MAX_HEADER_BYTES.toLocaleString('en-US')}バイトまで）。1行目には列名だけを入れ、2行目から1人1行で入れてください。` });
    return report;
  }
  const encoding = detectEncoding(bytes);
  report.encoding = encoding;
  // A large file is checked on both cores: this thread takes the first part, a worker the rest (check-parallel.ts).
  const split = splitPoint(bytes, opts.parallelFromBytes);
  const parsed = decodeAndParse(split === null ? bytes : bytes.subarray(0, split.at), encoding);
  if (parsed.records === null) {
    report.errors.push({ line: parsed.line, message: UNREADABLE });
    return report;
  }
  const records = parsed.records;
  const header = records[0];
  if (header === undefined) {
    report.errors.push({ line: 1, message: 'ファイルが空です。1行目に列名、2行目から1人1行で入れてください。' });
    return report;
  }
  const { columns, problems } = mapHeader(header.record);
  if (problems.length > 0) {
    for (const message of problems) report.errors.push({ line: 1, message });
    return report;
  }
  // 利用目的 recorded as notified must be those the handler chose (issue 11 point 3; 個人情報保護法21条,
  // guideline 事業者編 利用目的の特定・通知): a file without a 利用目的 column needs the per-upload choice.
  if (!columns.includes('purposes') && (opts.purposes === undefined || opts.purposes.length === 0)) {
    report.errors.push({ line: 1, message: NO_PURPOSE_CHOICE });
    return report;
  }
  const unknown = (opts.purposes ?? []).filter((c) => !isPurposeCode(c));
  if (unknown.length > 0) {
    report.errors.push({ line: 1, message: `選ばれた利用目的に、ない利用目的（${unknown.length}件）が含まれています。利用目的のコード（${PURPOSES.map((p) => p.code).join(', ')}）から選んでください。` });
    return report;
  }
  if (records.length === 1 && split === null) {
    report.errors.push({ line: 2, message: 'データ行がありません。2行目から1人1行で入れてください。' });
    return report;
  }

  // 1. Each row on its own.
  const today = japanDate(vault.clock.now());
  const ctx: CheckContext = { columns, headerLength: header.record.length, today, purposes: opts.purposes, indexKey: vault.keys.index };
  const second = split === null ? null : startSecondPart(bytes, split, encoding, ctx);
  const started = performance.now();
  const firstRows = records.length - 1;
  const checks = checkRecords(records, 1, 0, ctx, (i) => {
    if (i % PROGRESS_EVERY === 0) progress('parse', i, firstRows);
  });
  // The parsed file is not needed any more: at a million rows it is most of the heap, and every
  // collection during the store would walk it again.
  records.length = 0;
  let total = firstRows;
  if (split !== null) {
    const answer: PartReply = second === null ? { kind: 'failed', reason: 'no worker' } : second(performance.now() - started);
    // Without a worker (run from sources) or when it failed, this thread checks the second part too.
    const reply = answer.kind === 'failed' ? checkHere(bytes.subarray(split.at), split.lineOffset, encoding, ctx) : answer;
    if (answer.kind !== 'failed') report.checkThreads = 2;
    if (reply.kind === 'unreadable') {
      report.errors = [{ line: reply.line, message: UNREADABLE }];
      return report;
    }
    total += reply.rows;
    for (const d of reply.drafts) checks.drafts.push(fromWire(d));
    checks.errors.push(...reply.errors);
    checks.warnings.push(...reply.warnings);
    for (const [code, line] of reply.badEmployees) if (!checks.badEmployees.has(code)) checks.badEmployees.set(code, line);
  }
  report.rows = total;
  report.errors.push(...checks.errors);
  report.warnings.push(...checks.warnings);
  const { drafts, badEmployees } = checks;
  if (total === 0) {
    report.errors.push({ line: 2, message: 'データ行がありません。2行目から1人1行で入れてください。' });
    return report;
  }
  progress('parse', total, total);

  // 2. Across rows and against the vault (reads only: a write racing in is caught by the unique indexes).
  const registered = vault.persons.codes('employee');
  const good = dropEndedRetention(vault, checkAgainstFileAndVault(vault, drafts, registered, badEmployees, report.errors), registered, today, report.errors);
  progress('check', total, total);
  if ((report.errors.length > 0 && !opts.skipInvalid) || good.length === 0) {
    report.errors.sort((a, b) => a.line - b.line);
    return report;
  }
  // 3. Store in committed chunks, hidden until the batch is published with its audit event (storeInChunks).
  // A large file writes into every register index at random places: a big page cache while it lasts.
  report.auditSeq = withPageCache(vault.db, IMPORT_PAGE_CACHE_MB, () =>
    storeInChunks(vault, good, registered, report, opts.actor, (done) => progress('store', done, good.length), (subjects) =>
      vault.audit.append({
        actor: opts.actor,
        action: 'persons.imported',
        subjects,
        client: opts.client ?? null,
        detail: {
          rows: total,
          imported: subjects.length,
          skipped_rows: total - subjects.length,
          not_provided: report.imported.notProvided,
          encoding,
        },
      }).seq,
    ),
  );
  report.committed = true;
  // The leavers' retention ends (persons.retention_end), so the first home page after the import need not compute them.
  refreshRetentionDue(vault);
  // A 100,000-row import leaves ~150 MB of page cache behind in a long-running server.
  releaseMemory(vault.db);
  report.errors.sort((a, b) => a.line - b.line);
  return report;
}




/** Duplicates in the file and in the vault, and supporters; returns the rows that may be stored. */
function checkAgainstFileAndVault(
  vault: Pick<Vault, 'persons'>,
  drafts: Checked[],
  registeredEmployees: Map<string, PersonId>,
  badEmployees: Map<string, number>,
  errors: RowError[],
): Checked[] {
  const registeredCodes: Record<'employee' | 'payee', Map<string, PersonId>> = {
    employee: registeredEmployees,
    payee: vault.persons.codes('payee'),
  };
  const fileCodes: Record<'employee' | 'payee', Map<string, number>> = { employee: new Map(), payee: new Map() };
  const fileNumbers = new Map<string, number>();
  // A vault without numbers (a first import) needs no lookup per row.
  const vaultHasNumbers = vault.persons.anyIndexed();
  const ok: Checked[] = [];
  const bad = new Set<Checked>();
  const fail = (d: Checked, message: string) => {
    errors.push({ line: d.line, message });
    bad.add(d);
  };
  for (const d of drafts) {
    if (d.kind !== 'dependant' && d.code !== null) {
      const label = d.kind === 'employee' ? '社員番号' : '取引先コード';
      const earlier = fileCodes[d.kind].get(d.code);
      if (earlier !== undefined) fail(d, `${label}「${d.code}」が${earlier}行目と重複しています。`);
      else if (registeredCodes[d.kind].has(d.code)) fail(d, `${label}「${d.code}」は既に登録されています。変更は人物の画面で行ってください。`);
      else fileCodes[d.kind].set(d.code, d.line);
    }
    if (d.index !== null) {
      const key = d.index.toString('latin1');
      const earlier = fileNumbers.get(key);
      if (earlier !== undefined) fail(d, `個人番号が${earlier}行目と重複しています。同じ人を2回入れていないか、番号の転記に誤りがないか確認してください。${OTHER_ROLE}`);
      else if (vaultHasNumbers && vault.persons.indexExists(d.index)) fail(d, `個人番号が既に登録済みの人と重複しています。同じ人を二重に登録していないか確認してください。${OTHER_ROLE}`);
      else fileNumbers.set(key, d.line);
    }
  }
  // Supporters: an employee stored by this file, or one already registered.
  const goodEmployees = new Set<string>();
  for (const d of drafts) if (d.kind === 'employee' && !bad.has(d) && d.code !== null) goodEmployees.add(d.code);
  for (const d of drafts) {
    if (bad.has(d)) continue;
    if (d.kind === 'dependant') {
      const code = d.supporterCode!;
      if (!goodEmployees.has(code) && !registeredCodes.employee.has(code)) {
        const inFile = fileCodes.employee.get(code) ?? badEmployees.get(code);
        fail(
          d,
          inFile !== undefined
            ? `扶養元（社員番号「${code}」、${inFile}行目）の行にエラーがあるため、この扶養親族も取り込めません。`
            : `扶養元の社員番号「${code}」の従業員が、このファイルにも登録済みの人にもいません。`,
        );
        continue;
      }
    }
    ok.push(d);
  }
  return ok;
}

const UNREADABLE = 'CSVとして読めません（引用符「"」の閉じ忘れなど）。表計算ソフトでCSV形式として保存し直してください。';

/** The second part of a split file checked in this thread (no worker, or it failed), as the worker would. */
function checkHere(bytes: Uint8Array, lineOffset: number, encoding: CsvEncoding, ctx: CheckContext): Exclude<PartReply, { kind: 'failed' }> {
  const parsed = decodeAndParse(bytes, encoding);
  if (parsed.records === null) return { kind: 'unreadable', line: lineOffset + parsed.line };
  const checks = checkRecords(parsed.records, 0, lineOffset, ctx);
  return { kind: 'checked', rows: parsed.records.length, drafts: checks.drafts.map(toWire), errors: checks.errors, warnings: checks.warnings, badEmployees: [...checks.badEmployees] };
}

/** Refused before any row is read: nothing in the file or the upload says what was notified. */
export const NO_PURPOSE_CHOICE =
  'このファイルには「利用目的」の列がなく、取り込みのときに利用目的も選ばれていません。この人たちに通知した利用目的を選んでから取り込んでください（画面ではチェックを入れる、コマンドでは --purposes withholding_slip,payment_record_fees のようにコードをカンマ区切りで付ける）。「利用目的」の列を加えて行ごとに指定することもできます。';


/**
 * WAL pages (64 MB) the chunks may leave before a checkpoint: each chunk rewrites the hot pages of the
 * order and number indexes, and with SQLite's default (1,000 pages) nearly every commit checkpointed them
 * again (about half of the commits' CPU at 200,000 persons, measured).
 */
const IMPORT_AUTOCHECKPOINT_PAGES = 16_000;
/** Rows stored by one group of multi-row statements; the chunk's clock is read between groups. */
const ROWS_PER_GROUP = 50;
/** Grams moved, in order, into the register's index per step (a sorted run, a few tens of ms); a transaction takes steps while LongWriter.mayHold. */
const GRAMS_PER_FLUSH = 5_000;
/** Rows deleted per transaction when a batch is discarded. */
const DISCARD_ROWS = 2000;

/**
 * Stores the rows in committed chunks, each holding the write lock only
 * while nobody waits for it (up to 2 s) or briefly once somebody does: the
 * web server's writes (which wait for the lock synchronously, on its event
 * loop) get their turn between two chunks (write-turns.ts). All or nothing is kept by the batch: the ids are
 * reserved first (import_batches), every chunk's persons stay out of the
 * register, its counts and byId, and one last short transaction publishes
 * the batch together with the import's audit event (`publish` appends it).
 * On any failure the chunks are deleted again, also in short transactions;
 * after a crash the next open does it (discardPendingImports), audited.
 */
function storeInChunks(vault: Pick<Vault, 'db' | 'publicKey' | 'persons' | 'purposeNotices' | 'retention' | 'auditRepo' | 'clock'>, rows: Checked[], registered: Map<string, PersonId>, report: ImportReport, actor: Actor, progress: (done: number) => void, publish: (subjects: AuditSubject[]) => number): number {
  const at = vault.clock.now().toISOString();
  // In register order within each group: a chunk's rows then land side by side in the register's order
  // indexes, so each commit writes a few pages of them instead of one page per row.
  const byKey = (a: Checked, b: Checked) => (registerKey(a.kana) < registerKey(b.kana) ? -1 : registerKey(a.kana) > registerKey(b.kana) ? 1 : 0);
  const ordered = [...rows.filter((r) => r.kind !== 'dependant').sort(byKey), ...rows.filter((r) => r.kind === 'dependant').sort(byKey)];
  const fileEmployeeIds = new Map<string, PersonId>();
  const subjects: AuditSubject[] = [];
  // The batch's persons by kind, status and number state (none has an identity check yet): its counts at the publish.
  const groups = new Map<string, CountGroup>();
  const today = japanDate(vault.clock.now());
  const sealer = new Sealer(vault.publicKey);
  // Between chunks the store gives way to the writers waiting for the lock, and pauses for nobody else.
  const turns = new LongWriter(vault.db);
  const batch = writeTransaction(vault.db, () => vault.persons.reserveBatch(ordered.length, at));
  // The chunks need not be durable one by one (a crash discards the batch at the next open): no fsync per
  // chunk. The publish runs with synchronous = FULL again, and its fsync makes every chunk durable with it.
  setSynchronous(vault.db, 'NORMAL');
  setAutoCheckpoint(vault.db, IMPORT_AUTOCHECKPOINT_PAGES);
  try {
    let id = batch.from;
    let done = 0;
    // Each person's 最終支払日 and notice are written in batches (multi-row statements prepared once),
    // flushed before each chunk commits.
    const notices: Omit<PurposeNoticeRow, 'id'>[] = [];
    const lastPaid: { personId: PersonId; paidOn: string }[] = [];
    const flush = () => {
      vault.retention.setLastPaidOnMany(lastPaid, actor.id, at);
      vault.purposeNotices.insertMany(notices);
      lastPaid.length = 0;
      notices.length = 0;
    };
    while (done < ordered.length) {
      writeTransaction(vault.db, () =>
        vault.persons.insertHidden(() => {
          const started = performance.now();
          do {
            // A group of rows goes in a few multi-row statements (MultiRowInsert): persons, then their numbers.
            const end = Math.min(ordered.length, done + ROWS_PER_GROUP);
            const persons: { person: Person; numberState: NumberState | null }[] = [];
            const numbers: NewNumberRecord[] = [];
            for (let i = done; i < end; i++, id++) {
              const r = ordered[i]!;
              const supporterId = r.kind === 'dependant' ? (fileEmployeeIds.get(r.supporterCode!) ?? registered.get(r.supporterCode!)!) : null;
              const held = r.number !== null && r.index !== null;
              persons.push({
                person: {
                  id,
                  kind: r.kind,
                  code: r.code,
                  name: r.name,
                  kana: r.kana,
                  birthDate: r.birthDate,
                  relationship: r.relationship,
                  supporterId,
                  corporateNumber: r.corporateNumber,
                  status: r.retiredOn ? 'retired' : 'active',
                  retiredOn: r.retiredOn,
                },
                numberState: held ? 'held' : r.refusalReason !== null ? 'not_provided' : null,
              });
              const counted = persons[persons.length - 1]!;
              const groupKey = `${r.kind}|${counted.person.status}|${counted.numberState}`;
              const group = groups.get(groupKey);
              if (group) group.count++;
              else groups.set(groupKey, { kind: r.kind, status: counted.person.status, numberState: counted.numberState, identityChecked: false, count: 1 });
              if (r.kind === 'employee' && r.code !== null) fileEmployeeIds.set(r.code, id);
              if (r.lastPaidOn !== null) lastPaid.push({ personId: id, paidOn: r.lastPaidOn });
              if (held) {
                numbers.push({ personId: id, state: 'held', sealed: sealNumberInBatch(sealer, r.number!, numberRecordId(id), NUMBER_FIELD), index: r.index!, purposes: r.purposes! });
              } else if (r.refusalReason !== null) {
                numbers.push({ personId: id, state: 'not_provided', refusalReason: r.refusalReason, purposes: r.purposes! });
                report.imported.notProvided++;
              }
              // The notice the file stands for: dated the day of the import (the handler states what was notified).
              if (r.number !== null || r.refusalReason !== null) notices.push({ personId: id, role: r.kind, purposes: r.purposes!, notifiedOn: today, via: 'import', actorId: actor.id, createdAt: at });
              report.imported[r.kind]++;
              subjects.push({ id, name: r.name });
            }
            vault.persons.insertPersons(persons, at);
            // The salts of the import event's name digests, made now rather than in the publish's transaction.
            vault.auditRepo.names.createSalts(persons.map((p) => p.person.id));
            if (numbers.length > 0) vault.persons.insertNumbers(numbers, at);
            const before = done;
            done = end;
            if (Math.floor(done / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) progress(done);
          } while (done < ordered.length && turns.mayHold(started));
          flush();
        }),
      );
      if (done < ordered.length) turns.giveWay();
    }
    progress(done);
    vault.persons.sortBatchGrams();
    const flushGrams = () => {
      const started = performance.now();
      for (;;) {
        const flushed = vault.persons.flushBatchGrams(GRAMS_PER_FLUSH);
        if (flushed || !turns.mayHold(started)) return flushed;
      }
    };
    while (!writeTransaction(vault.db, flushGrams)) turns.giveWay();
    setSynchronous(vault.db, 'FULL');
    return writeTransaction(vault.db, () => {
      vault.persons.publishBatch(batch, [...groups.values()]);
      return publish(subjects);
    });
  } catch (err) {
    report.imported = { employee: 0, dependant: 0, payee: 0, notProvided: 0 };
    vault.persons.dropBatchGrams();
    discardBatch(vault, batch, turns);
    throw err;
  } finally {
    turns.end();
    report.gaveWayMs = Math.round(turns.pausedMs);
    setSynchronous(vault.db, 'FULL');
    setAutoCheckpoint(vault.db, DEFAULT_AUTOCHECKPOINT_PAGES);
    sealer.wipe();
  }
}

/** Deletes an unpublished batch in short transactions; a failure here is left to the next open. */
function discardBatch(vault: Pick<Vault, 'db' | 'persons'>, batch: ImportBatch, turns: LongWriter): void {
  try {
    while (!writeTransaction(vault.db, () => vault.persons.discardBatchStep(batch, DISCARD_ROWS))) turns.giveWay();
  } catch {
    // The batch stays hidden; discardPendingImports deletes it at the next open.
  }
}

/**
 * At open: deletes the persons of imports a crash left unpublished (hidden
 * all along, never in any view), so nothing partial stays stored; the last
 * step commits with its audit event. An import whose process still runs
 * (the CLI next to the server) is left alone.
 */
export function discardPendingImports(vault: Pick<Vault, 'db' | 'persons' | 'audit'>): number {
  const crashed = vault.persons.pendingBatches().filter((b) => !processAlive(b.pid));
  for (const batch of crashed) {
    const range = { first_id: batch.from, last_id: batch.to };
    for (;;) {
      const last = writeTransaction(vault.db, () => {
        const empty = vault.persons.discardBatchStep(batch, DISCARD_ROWS);
        if (empty) vault.audit.append({ actor: { id: 'system', name: 'mnvault' }, action: 'persons.import_discarded', detail: range });
        return empty;
      });
      if (last) break;
    }
  }
  return crashed.length;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
