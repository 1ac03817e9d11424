import Database from 'better-sqlite3-multiple-ciphers';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canonical, GENESIS } from '../src/audit/chain.js';
import { verifyChain, verifyChainParallel } from '../src/audit/verify.js';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { importPersons } from '../src/services/import/import-persons.js';
import { initDevVault } from '../src/services/init-vault.js';
import { openVault, type Vault } from '../src/services/vault.js';
import { writeTransaction } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrate.js';
import { Opener, seal, Sealer } from '../src/vault/sealed-box.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import { generateX25519 } from '../src/vault/x25519.js';
import type { Row } from './row.js';
import { StreamingTable, type Report } from './table.js';
import { AppError } from '../src/domain/errors.js';
import { syntheticCsv } from './synthetic.js';
import { benchGate } from './gate-bench.js';
import { benchWeb } from './web-bench.js';
import { benchReports } from './report-bench.js';
import { benchAudit } from './audit-bench.js';
import { benchRotation } from './rotation-bench.js';
import { benchBackup } from './backup-bench.js';
import { benchCard } from './card-bench.js';
import { BENCH_PURPOSES } from './bench-purposes.js';
import { benchCampaign } from './campaign-bench.js';
import { benchFiling } from './filing-bench.js';

/**
 * `npm run bench`: each operation next to a floor measured in the same run on
 * the same machine, and their ratio (floor time / our time; 1.0 = as fast as the floor).
 * Prints figures only; it never fails on a timing.
 */

const now = () => performance.now() / 1000;

function time(fn: () => void): number {
  const t = now();
  fn();
  return now() - t;
}

function best(runs: number, fn: () => number): number {
  let b = Infinity;
  for (let i = 0; i < runs; i++) b = Math.min(b, fn());
  return b;
}

async function newVault(dir: string): Promise<Vault> {
  const { vault, recoveryCode } = await initDevVault({
    dataDir: dir,
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  recoveryCode.wipe();
  return vault;
}

function plainDb(path: string, key: string): Database.Database {
  const db = new Database(path);
  db.pragma("cipher='aegis'");
  db.pragma(`key="raw:${key}"`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = ON');
  return db;
}

async function benchImport(root: string, n: number): Promise<Row> {
  const csv = Buffer.from(syntheticCsv(n));
  let ours = Infinity;
  let rows: { personColumns: string; persons: unknown[][]; numbers: unknown[][] } | undefined;
  for (let run = 0; run < 2; run++) {
    const dir = join(root, `import-${run}`);
    const vault = await newVault(dir);
    const t = time(() => {
      const r = importPersons(vault, csv, { actor: { id: 'bench', name: 'bench' }, purposes: BENCH_PURPOSES });
      if (!r.committed || r.imported.employee + r.imported.dependant + r.imported.payee !== n) throw new Error('bench import failed');
    });
    ours = Math.min(ours, t);
    // The stored columns only (table_info leaves out generated ones, which an INSERT cannot name).
    const stored = (table: string) => (vault.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).join(', ');
    rows ??= {
      personColumns: stored('persons'),
      persons: vault.db.prepare(`SELECT ${stored('persons')} FROM persons ORDER BY id`).raw().all() as unknown[][],
      numbers: vault.db.prepare('SELECT * FROM person_numbers ORDER BY person_id').raw().all() as unknown[][],
    };
    vault.close();
  }
  // Floor: the very rows the import stored, inserted plainly into a fresh database of the same schema and cipher.
  const floor = best(2, () => {
    const db = plainDb(join(root, `floor-${randomUUID()}.db`), randomBytes(32).toString('hex'));
    migrate(db, new Date());
    const p = db.prepare(`INSERT INTO persons (${rows!.personColumns}) VALUES (${rows!.persons[0]!.map(() => '?').join(',')})`);
    const q = db.prepare(`INSERT INTO person_numbers VALUES (${rows!.numbers[0]!.map(() => '?').join(',')})`);
    const t = time(() =>
      db.transaction(() => {
        for (const r of rows!.persons) p.run(r);
        for (const r of rows!.numbers) q.run(r);
      })(),
    );
    db.close();
    return t;
  });
  return { operation: 'import CSV → sealed vault (end to end)', n, seconds: ours, floor: 'plain INSERT of the same rows', floorSeconds: floor, target: '≥ 0.25, < 10 s' };
}

async function benchVerify(root: string, n: number): Promise<Row[]> {
  const vault = await newVault(join(root, 'verify'));
  const actor = { id: randomUUID(), name: '事務 担当' };
  const batch = 50_000;
  for (let done = vault.auditRepo.count(); done < n; ) {
    const k = Math.min(batch, n - done);
    writeTransaction(vault.db, () => {
      for (let i = 0; i < k; i++) {
        vault.audit.append({
          actor,
          action: 'number.revealed',
          subjects: [{ id: done + i, name: '佐藤 花子' }],
          purpose: 'withholding_slip',
          client: '192.168.10.23',
          device: 'pinpad:0c45:7403',
          detail: { slot_id: 'c0ffee00-0000-4000-8000-000000000000', kind: 'pin' },
        });
      }
    });
    done += k;
  }
  const count = vault.auditRepo.count();
  let result: ReturnType<typeof verifyChain> | undefined;
  const single = best(2, () => time(() => (result = verifyChain(vault.auditRepo, vault.keys.audit))));
  if (!result?.ok) throw new Error('bench chain did not verify');
  let ours = Infinity;
  for (let i = 0; i < 2; i++) {
    const t = now();
    result = await verifyChainParallel({ repo: vault.auditRepo, dbPath: join(root, 'verify', 'vault.db'), dbKey: vault.dbKey, auditKey: vault.keys.audit });
    ours = Math.min(ours, now() - t);
    if (!result.ok || result.count !== count) throw new Error('bench parallel chain did not verify');
  }
  // Floor: the HMAC chain over the same canonical bytes, already in memory.
  const bodies: Buffer[] = [];
  for (const r of vault.auditRepo.iterateRaw(1)) {
    bodies.push(Buffer.from(canonical(r), 'utf8'));
  }
  const key = vault.keys.audit.expose();
  const floor = best(2, () =>
    time(() => {
      let prev = GENESIS;
      for (const b of bodies) prev = createHmac('sha256', key).update(prev).update(b).digest();
    }),
  );
  vault.close();
  return [
    { operation: 'audit verify, 2 threads (as the CLI runs it)', n: count, seconds: ours, floor: 'HMAC chain over same bytes in memory', floorSeconds: floor, target: '≥ 0.5' },
    { operation: 'audit verify, 1 thread', n: count, seconds: single, floor: 'HMAC chain over same bytes in memory', floorSeconds: floor, target: 'figure' },
  ];
}

function benchSealOpen(n: number): Row[] {
  const pair = generateX25519();
  const digits = Buffer.from('123456789018');
  const key = randomBytes(32);
  const gcmFloor = best(3, () =>
    time(() => {
      for (let i = 0; i < n; i++) {
        const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
        c.update(digits);
        c.final();
        c.getAuthTag();
      }
    }),
  );
  const single = best(3, () => time(() => { for (let i = 0; i < n; i++) seal(pair.publicKey, digits, `person/${i}`, 'my_number'); }));
  const sealer = new Sealer(pair.publicKey);
  const sealed: Buffer[] = [];
  const batch = best(3, () => time(() => { sealed.length = 0; for (let i = 0; i < n; i++) sealed.push(sealer.seal(digits, `person/${i}`, 'my_number')); }));
  const singles = Array.from({ length: n }, (_, i) => seal(pair.publicKey, digits, `person/${i}`, 'my_number'));
  const tag = Buffer.alloc(16);
  const iv = randomBytes(12);
  const enc = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([enc.update(digits), enc.final()]);
  enc.getAuthTag().copy(tag);
  const openFloor = best(3, () => time(() => { for (let i = 0; i < n; i++) { const d = createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag); d.update(ct); d.final(); } }));
  const openSingle = best(3, () => time(() => { const o = new Opener(pair.privateKey, pair.publicKey); for (let i = 0; i < n; i++) o.open(singles[i]!, `person/${i}`, 'my_number'); o.wipe(); }));
  const openBatch = best(3, () => time(() => { const o = new Opener(pair.privateKey, pair.publicKey); for (let i = 0; i < n; i++) o.open(sealed[i]!, `person/${i}`, 'my_number'); o.wipe(); }));
  sealer.wipe();
  return [
    { operation: 'seal one record (fresh X25519, intake)', n, seconds: single, floor: 'AES-256-GCM alone', floorSeconds: gcmFloor, target: 'figure' },
    { operation: 'seal one record in a batch (import)', n, seconds: batch, floor: 'AES-256-GCM alone', floorSeconds: gcmFloor, target: 'figure' },
    { operation: 'open one record (reveal)', n, seconds: openSingle, floor: 'AES-256-GCM open alone', floorSeconds: openFloor, target: 'figure' },
    { operation: 'open one record of a batch', n, seconds: openBatch, floor: 'AES-256-GCM open alone', floorSeconds: openFloor, target: 'figure' },
  ];
}

/** Opens the import part's first vault (made here when that part did not run or failed). */
async function benchOpen(root: string, runs: number): Promise<Row> {
  const dir = join(root, 'import-0');
  if (!existsSync(join(dir, 'vault.db'))) (await newVault(dir)).close();
  const ours = best(1, () =>
    time(() => {
      for (let i = 0; i < runs; i++) openVault({ dataDir: dir, clock: systemClock }).close();
    }),
  );
  const plainPath = join(root, 'plain.db');
  const p = new Database(plainPath);
  p.exec('CREATE TABLE t (a)');
  p.close();
  const floor = time(() => {
    for (let i = 0; i < runs; i++) {
      const db = new Database(plainPath);
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      db.close();
    }
  });
  return { operation: 'open vault (key, check, migrations, unwrap keys)', n: runs, seconds: ours, floor: 'open an unencrypted SQLite file', floorSeconds: floor, target: 'figure' };
}

/** The cipher choice, measured: bulk insert, then point reads with a tiny page cache (every read decrypts). */
function benchCiphers(root: string, n: number): Row[] {
  const rows: Row[] = [];
  const results = new Map<string, { insert: number; reads: number }>();
  for (const cipher of ['none', 'aegis', 'chacha20', 'sqlcipher', 'ascon128']) {
    const path = join(root, `cipher-${cipher}.db`);
    const key = randomBytes(32).toString('hex');
    const open = () => {
      const db = new Database(path);
      if (cipher !== 'none') {
        db.pragma(`cipher='${cipher}'`);
        db.pragma(`key="raw:${key}"`);
      }
      return db;
    };
    let db = open();
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, sealed BLOB)');
    const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?)');
    const blob = randomBytes(73);
    const insert = time(() => db.transaction(() => { for (let i = 1; i <= n; i++) ins.run(i, `山田 太郎${i}`, blob); })());
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    db = open();
    db.pragma('cache_size = 16');
    const get = db.prepare('SELECT name FROM t WHERE id = ?');
    const reads = time(() => { for (let i = 0; i < n / 2; i++) get.get(((i * 7919) % n) + 1); });
    db.close();
    results.set(cipher, { insert, reads });
  }
  const plain = results.get('none')!;
  for (const [cipher, r] of results) {
    if (cipher === 'none') continue;
    rows.push({ operation: `cipher ${cipher}: bulk insert`, n, seconds: r.insert, floor: 'unencrypted SQLite', floorSeconds: plain.insert, target: cipher === 'aegis' ? 'chosen' : 'compared' });
    rows.push({ operation: `cipher ${cipher}: cold point reads`, n: n / 2, seconds: r.reads, floor: 'unencrypted SQLite', floorSeconds: plain.reads, target: cipher === 'aegis' ? 'chosen' : 'compared' });
  }
  return rows;
}

/** The parts, in the order a full run measures them; `--only a,b` picks some. */
const PARTS = ['import', 'verify', 'seal', 'open', 'web', 'gate', 'reports', 'audit', 'ciphers', 'rotation', 'backup', 'card', 'campaign', 'filing'] as const;
type Part = (typeof PARTS)[number];
/** Tests only: the named part fails right after its first row (or at its start when it has none yet). */
const FAULT_ENV = 'MNVAULT_BENCH_FAULT';

/**
 * Runs each part in turn. Rows are printed as they are measured; a part that
 * fails prints a row with its reason and the next part runs. Exit 0 when every
 * part ran, 1 when any failed, 2 for bad usage.
 */
export async function benchCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { n: { type: 'string' }, 'verify-n': { type: 'string' }, 'skip-web': { type: 'boolean' }, only: { type: 'string' }, 'audit-n': { type: 'string' } } });
  const n = Number(values.n ?? 100_000);
  const verifyN = Number(values['verify-n'] ?? n * 10);
  // The audit browse at --audit-n events (default 1,000,000).
  const auditN = Number(values['audit-n'] ?? 1_000_000);
  for (const [flag, v] of [['--n', n], ['--verify-n', verifyN], ['--audit-n', auditN]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new AppError('invalid', `${flag} には 1 以上の整数を指定してください。`);
  }
  const only = values.only?.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = only?.filter((p) => !(PARTS as readonly string[]).includes(p)) ?? [];
  if (unknown.length) throw new AppError('invalid', `--only に指定できるのは ${PARTS.join('・')} です（指定: ${unknown.join(', ')}）。`);
  const parts = (only as Part[] | undefined) ?? PARTS.filter((p) => !(values['skip-web'] && (p === 'web' || p === 'gate')));
  const fault = process.env[FAULT_ENV];

  const root = mkdtempSync(join(tmpdir(), 'mnvault-bench-'));
  const table = new StreamingTable(out);
  try {
    out.write(`mnvault bench: import ${n.toLocaleString('en-US')} rows, verify ${verifyN.toLocaleString('en-US')} events (ratio = floor s / our s)\n`);
    table.header();
    for (const part of parts) {
      const report: Report = {
        row: (r) => {
          table.row(r);
          if (fault === part) throw new Error(`injected fault (${FAULT_ENV}=${part})`);
        },
        skipped: (op, reason) => table.skipped(op, reason),
      };
      try {
        for (const r of (await runPart(part, { root, n, verifyN, auditN, report })) ?? []) report.row(r);
      } catch (err) {
        table.partFailed(part, err);
      }
    }
    const failed = table.failures();
    out.write(failed.length ? `\n${failed.length} part(s) failed: ${failed.join(', ')} (the rows above were measured)\n` : '');
    return failed.length ? 1 : 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface PartContext {
  root: string;
  n: number;
  verifyN: number;
  auditN: number;
  report: Report;
}

/** One part; rows it returns are printed when it ends, rows it reports itself as they come. */
async function runPart(part: Part, c: PartContext): Promise<Row[] | void> {
  switch (part) {
    case 'import':
      return [await benchImport(c.root, c.n)];
    case 'verify':
      return benchVerify(c.root, c.verifyN);
    case 'seal':
      return benchSealOpen(20_000);
    case 'open':
      return [await benchOpen(c.root, 50)];
    case 'web':
      return benchWeb(c.root, c.n, c.report);
    case 'gate':
      return benchGate(c.root, { reveals: 50, exportPersons: 10_000 });
    case 'reports':
      return benchReports(c.root, c.n, 20_000);
    case 'audit':
      return benchAudit(c.root, c.auditN);
    case 'ciphers':
      return benchCiphers(c.root, Math.min(c.n, 100_000));
    case 'rotation':
      return benchRotation(c.root, c.n);
    case 'backup':
      return benchBackup(c.root, c.n);
    case 'card':
      return benchCard(c.root, 20);
    case 'campaign':
      return benchCampaign(c.root, 10_000);
    case 'filing':
      return benchFiling(c.root, 10_000);
  }
}
