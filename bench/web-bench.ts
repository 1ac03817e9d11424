import { fork, type ChildProcess } from 'node:child_process';
import type { Row } from './row.js';
import type { Report } from './table.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_PURPOSES } from './bench-purposes.js';

/**
 * The web register under load, on loopback only. The server (a vault holding
 * the synthetic persons, served by createApp, plus a bare express "floor"
 * server) runs in a child process: this script forked with MNVAULT_WEB_BENCH_CHILD=1,
 * so its RSS is the server's alone and the load generator does not share its
 * event loop. The parent signs in as the bench admin and drives the requests.
 * Every loop is bounded by a count and by time; the child exits on 'stop', on
 * losing its parent, or after a hard time limit.
 */

type WebRow = Row;

/** Server RSS after the views, as a table row against the process before it opened the vault. */
function rssRow(how: string, views: number, rss: { mb: number; heapMb: number }, baseMb: number): WebRow {
  return {
    operation: `server RSS in MB (seconds col), ${how} + ${views.toLocaleString('en-US')} views; heap ${rss.heapMb.toFixed(0)} MB`,
    n: views,
    seconds: rss.mb,
    floor: 'same server process before opening the vault (MB)',
    floorSeconds: baseMb,
    target: '< 150 MB',
  };
}

const CHILD_FLAG = 'MNVAULT_WEB_BENCH_CHILD';
const DIR_ENV = 'MNVAULT_WEB_BENCH_DIR';
const PERSONS_ENV = 'MNVAULT_WEB_BENCH_PERSONS';
const SELF = fileURLToPath(import.meta.url);

const ADMIN = { login: 'bench', password: 'bench-password-long', pin: '135790' } as const;
const SEARCH_Q = '佐藤';
const LATENCY_REQUESTS = 200;
const WARMUP_REQUESTS = 20;
/** Sequential requests whose server CPU is divided among them (the per-page CPU rows). */
const CPU_REQUESTS = 500;
const MIXED_VIEWS = 1000;
/** Time limits of the sequential loops: a slow register ends them early and the row says how many ran. */
const LATENCY_LIMIT_S = 60;
const MIXED_LIMIT_S = 180;
const CLIENTS = 20;
const THROUGHPUT_SECONDS = 10;
/** Upper bound on requests in one throughput run, whatever the machine. */
const THROUGHPUT_MAX_REQUESTS = 2_000_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CHILD_READY_TIMEOUT_MS = 15 * 60_000;
const CHILD_REPLY_TIMEOUT_MS = 60_000;
const CHILD_HARD_LIMIT_MS = 30 * 60_000;

type ToChild = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };
type FromChild =
  | { type: 'ready'; port: number; floorPort: number; baseMb: number; importedMb: number }
  | { type: 'rss'; mb: number; heapMb: number }
  | { type: 'cpu'; micros: number }
  | { type: 'error'; message: string };

const mb = (bytes: number) => bytes / (1024 * 1024);

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

/** A static page of exactly `bytes` UTF-8 bytes (ASCII filler). */
function staticHtml(bytes: number): string {
  const head = '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>floor</title></head><body><pre>';
  const tail = '</pre></body></html>\n';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

// ---------------------------------------------------------------- child: the server

const IMPORT_ENV = 'MNVAULT_WEB_BENCH_IMPORT';

interface ImportDeps {
  initDevVault: typeof import('../src/services/init-vault.js').initDevVault;
  importPersons: typeof import('../src/services/import/import-persons.js').importPersons;
  systemClock: typeof import('../src/domain/ports.js').systemClock;
  Secret: typeof import('../src/domain/secret.js').Secret;
  TEST_PIN_COST: typeof import('../src/vault/slots.js').TEST_PIN_COST;
  syntheticCsv: typeof import('./synthetic.js').syntheticCsv;
}

/** A new vault in dir holding `persons` synthetic persons (some of them leavers); `importSeconds` is the import alone. */
async function importedVault(dir: string, persons: number, d: ImportDeps) {
  const { vault, recoveryCode } = await d.initDevVault({
    dataDir: dir,
    admin: { login: ADMIN.login, password: new d.Secret(ADMIN.password), pin: new d.Secret(ADMIN.pin) },
    clock: d.systemClock,
    pinCost: d.TEST_PIN_COST,
  });
  recoveryCode.wipe();
  const csv = Buffer.from(d.syntheticCsv(persons, 7, { leavers: true }));
  const started = performance.now();
  const report = d.importPersons(vault, csv, { actor: { id: 'bench', name: 'bench' }, purposes: BENCH_PURPOSES });
  const importSeconds = (performance.now() - started) / 1000;
  if (!report.committed || report.imported.employee + report.imported.dependant + report.imported.payee !== persons) {
    throw new Error(`web bench import failed: ${JSON.stringify(report.errors.slice(0, 3))}`);
  }
  // Half the leavers left in 2015, so 保存期間経過 has rows to find (an import refuses persons already past
  // retention, so the date is moved after it, as a 退職日 correction would), with their dependants.
  vault.db.exec("UPDATE persons SET retired_on = '2015-03-31' WHERE status = 'retired' AND id % 2 = 0");
  (await import('../src/services/retention-due.js')).refreshRetentionDue(vault);
  return Object.assign(vault, { importSeconds, csv });
}

async function serveChild(): Promise<void> {
  const send = (m: FromChild) => process.send!(m);
  const hardLimit = setTimeout(() => process.exit(3), CHILD_HARD_LIMIT_MS);
  hardLimit.unref();
  try {
    const dir = process.env[DIR_ENV];
    const persons = Number(process.env[PERSONS_ENV]);
    if (!dir || !Number.isInteger(persons) || persons < 1) throw new Error(`${DIR_ENV} and ${PERSONS_ENV} are required`);
    // Loaded here, not at the top: every CLI command imports bench.ts, and only this child serves.
    const [{ default: express }, { createApp }, { DEFAULT_NETWORKS, parseNetworks }, { initDevVault }, { systemClock }, { Secret }, { TEST_PIN_COST }, { composeCore }] =
      await Promise.all([
        import('express'),
        import('../src/web/app.js'),
        import('../src/web/network.js'),
        import('../src/services/init-vault.js'),
        import('../src/domain/ports.js'),
        import('../src/domain/secret.js'),
        import('../src/vault/slots.js'),
        import('../src/main.js'),
      ]);
    collectGarbage();
    const baseMb = mb(process.memoryUsage().rss);

    // 'cli': the persons were imported by another process (as `mnvault import` does);
    // 'server': the server process imports them itself (as a browser upload does).
    let vault;
    if (process.env[IMPORT_ENV] === 'cli') {
      vault = (await import('../src/services/vault.js')).openVault({ dataDir: dir, clock: systemClock });
    } else {
      // 'upload': an empty vault; the persons arrive through POST /imports.
      const made = await initDevVault({ dataDir: dir, admin: { login: ADMIN.login, password: new Secret(ADMIN.password), pin: new Secret(ADMIN.pin) }, clock: systemClock, pinCost: TEST_PIN_COST });
      made.recoveryCode.wipe();
      vault = made.vault;
    }
    collectGarbage();
    const importedMb = mb(process.memoryUsage().rss);

    const server = http.createServer(
      createApp({
        ...composeCore(vault, { pinCost: TEST_PIN_COST }),
        mode: 'development',
        simulateDevices: false,
        secure: false,
        allowedNetworks: parseNetworks(DEFAULT_NETWORKS),
        pinCost: TEST_PIN_COST,
      }),
    );
    // The floor: a bare express handler returning a static page of the asked size.
    const floorApp = express();
    const pages = new Map<number, string>();
    floorApp.get('/floor/:bytes', (req, res) => {
      const bytes = Math.min(Number(req.params.bytes) || 0, 10_000_000);
      let html = pages.get(bytes);
      if (html === undefined) pages.set(bytes, (html = staticHtml(bytes)));
      res.type('html').send(html);
    });
    const floorServer = http.createServer(floorApp);
    const listen = (s: http.Server) =>
      new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
      });
    const [port, floorPort] = [await listen(server), await listen(floorServer)];

    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      for (const s of [server, floorServer]) {
        s.closeAllConnections();
        s.close();
      }
      vault.close();
      process.exit(0);
    };
    process.on('disconnect', stop);
    process.on('message', (m: ToChild) => {
      if (m.type === 'stop') return stop();
      if (m.type === 'cpu') {
        const u = process.cpuUsage();
        return send({ type: 'cpu', micros: u.user + u.system });
      }
      if (m.type === 'rss') {
        collectGarbage();
        const u = process.memoryUsage();
        send({ type: 'rss', mb: mb(u.rss), heapMb: mb(u.heapUsed) });
      }
    });
    send({ type: 'ready', port, floorPort, baseMb, importedMb });
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.exit(1);
  }
}

// ---------------------------------------------------------------- parent: the clients

/** Messages from the child, in order; a wait fails on the child's error, exit or a timeout. */
class Inbox {
  private readonly queue: FromChild[] = [];
  private waiter: ((m: FromChild | Error) => void) | undefined;
  private ended: Error | undefined;

  constructor(child: ChildProcess) {
    child.on('message', (m: FromChild) => this.deliver(m));
    child.on('exit', (code, signal) => {
      this.ended = new Error(`web bench server exited (code ${code}, signal ${signal})`);
      this.deliver(this.ended);
    });
  }

  private deliver(m: FromChild | Error): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(m);
    } else if (!(m instanceof Error)) {
      this.queue.push(m);
    }
  }

  next<T extends FromChild['type']>(type: T, timeoutMs: number): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const take = (m: FromChild | Error) => {
        clearTimeout(timer);
        if (m instanceof Error) return reject(m);
        if (m.type === 'error') return reject(new Error(`web bench server: ${m.message}`));
        if (m.type !== type) return reject(new Error(`web bench server: expected '${type}', got '${m.type}'`));
        resolve(m as Extract<FromChild, { type: T }>);
      };
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`web bench server: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const queued = this.queue.shift();
      if (queued) take(queued);
      else if (this.ended) take(this.ended);
      else this.waiter = take;
    });
  }
}

interface Reply {
  status: number;
  setCookie: string[];
  body: string;
  bytes: number;
  ms: number;
}

/** One request on loopback; the time runs from sending to the last byte of the body. */
function request(agent: http.Agent, port: number, path: string, headers: http.OutgoingHttpHeaders = {}, form?: string, keepBody = true): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: form === undefined ? 'GET' : 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          setCookie: res.headers['set-cookie'] ?? [],
          body: keepBody ? Buffer.concat(chunks).toString('utf8') : '',
          bytes,
          ms: performance.now() - t,
        }),
      );
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`request timed out: ${path}`)));
    req.on('error', reject);
    if (form !== undefined) {
      req.setHeader('Content-Type', 'application/x-www-form-urlencoded');
      req.setHeader('Content-Length', Buffer.byteLength(form));
      req.end(form);
    } else {
      req.end();
    }
  });
}

/** Signs in as the bench admin as a browser would; returns the Cookie header of the session. */
async function signIn(port: number): Promise<string> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const jar = new Map<string, string>();
    const remember = (r: Reply) => {
      for (const c of r.setCookie) {
        const [pair, ...attrs] = c.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq).trim();
        const value = pair!.slice(eq + 1).trim();
        if (value === '' || attrs.some((a) => /expires=Thu, 01 Jan 1970/iu.test(a))) jar.delete(name);
        else jar.set(name, value);
      }
    };
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const page = await request(agent, port, '/login');
    remember(page);
    const csrf = /name="_csrf" value="([^"]+)"/u.exec(page.body)?.[1];
    if (page.status !== 200 || !csrf || !jar.has('mnv_pre')) throw new Error(`web bench: GET /login gave ${page.status} without a CSRF token`);
    const form = new URLSearchParams({ _csrf: csrf, login: ADMIN.login, password: ADMIN.password }).toString();
    const res = await request(agent, port, '/login', { Cookie: cookie() }, form);
    remember(res);
    // An admin's second factor: the bench admin enrols an authenticator app at its first sign-in, as a person would.
    if (res.status === 303 && !jar.has('mnv_session')) {
      const enrol = await request(agent, port, '/login/enrol', { Cookie: cookie() });
      remember(enrol);
      const secret = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/u.exec(enrol.body)?.[1]?.replace(/\s+/gu, '');
      const token = /name="_csrf" value="([^"]+)"/u.exec(enrol.body)?.[1];
      if (!secret || !token) throw new Error(`web bench: GET /login/enrol gave ${enrol.status} without a secret`);
      const { Secret: OtpSecret, TOTP } = await import('otpauth');
      const code = new TOTP({ secret: OtpSecret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate();
      const done = await request(agent, port, '/login/enrol/totp', { Cookie: cookie() }, new URLSearchParams({ _csrf: token, code }).toString());
      remember(done);
    }
    if (!jar.has('mnv_session')) throw new Error(`web bench: sign-in failed (${res.status})`);
    return cookie();
  } finally {
    agent.destroy();
  }
}

const percentile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

interface Latency {
  /** Timed requests (fewer than asked when the time limit ended the loop). */
  n: number;
  p50: number;
  p95: number;
  bytes: number;
}

/** Sequential requests on one kept-alive connection, after a warm-up; each must answer 200. */
async function latency(port: number, path: string, cookie: string, count: number, warmup = WARMUP_REQUESTS): Promise<Latency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = performance.now() + LATENCY_LIMIT_S * 1000;
  try {
    const ms: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < warmup + count && (ms.length === 0 || performance.now() < deadline); i++) {
      const r = await request(agent, port, path, { Cookie: cookie }, undefined, false);
      if (r.status !== 200) throw new Error(`web bench: GET ${path} gave ${r.status}`);
      if (i >= warmup) {
        ms.push(r.ms);
        sizes.push(r.bytes);
      }
    }
    ms.sort((a, b) => a - b);
    sizes.sort((a, b) => a - b);
    return { n: ms.length, p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), bytes: percentile(sizes, 0.5) };
  } finally {
    agent.destroy();
  }
}

interface Throughput {
  ok: number;
  failed: number;
  seconds: number;
}

/** `clients` workers issue requests back to back on kept-alive connections until the time is up. */
async function throughput(port: number, path: string, cookie: string, clients: number, seconds: number): Promise<Throughput> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let ok = 0;
  let failed = 0;
  const t = performance.now();
  const deadline = t + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && ok + failed < THROUGHPUT_MAX_REQUESTS) {
      try {
        const r = await request(agent, port, path, { Cookie: cookie }, undefined, false);
        if (r.status === 200) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, worker));
    return { ok, failed, seconds: (performance.now() - t) / 1000 };
  } finally {
    agent.destroy();
  }
}

/** Page views as staff make them: searches (first pages) and paging through the register; returns how many ran. */
async function mixedViews(port: number, cookie: string, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const queries = ['佐藤', 'タナカ', '花子', 'E0001', 'ヒナ', '山本 翔', 'P9'];
  const deadline = performance.now() + MIXED_LIMIT_S * 1000;
  let i = 0;
  try {
    for (; i < count && performance.now() < deadline; i++) {
      const path =
        i % 2 === 0
          ? `/persons?${new URLSearchParams({ q: queries[(i / 2) % queries.length]! })}`
          : `/persons?${new URLSearchParams({ kind: ['employee', 'dependant', 'payee'][i % 3]! })}`;
      const r = await request(agent, port, path, { Cookie: cookie }, undefined, false);
      if (r.status !== 200) throw new Error(`web bench: GET ${path} gave ${r.status}`);
    }
    return i;
  } finally {
    agent.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 10_000)));
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

/**
 * The register page with `persons` people: p50/p95 of a search and of page 50,
 * throughput under 20 clients, and the server's RSS. Each figure next to a
 * bare express handler sending a page of the same size, measured the same way.
 */
function startChild(dir: string, persons: number, importMode: 'cli' | 'upload'): ChildProcess {
  return fork(SELF, [], {
    // The server runs as the systemd unit runs it: two malloc arenas and a small young generation.
    env: { MALLOC_ARENA_MAX: '2', ...process.env, [CHILD_FLAG]: '1', [DIR_ENV]: dir, [PERSONS_ENV]: String(persons), [IMPORT_ENV]: importMode },
    execArgv: [...process.execArgv, '--expose-gc', '--max-semi-space-size=2'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Uploads a CSV the way the page's script does: the file as the body, the CSRF token in a header. */
async function upload(port: number, cookie: string, csv: Buffer): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const page = await request(agent, port, '/imports', { Cookie: cookie });
    const csrf = /data-csrf="([^"]+)"/u.exec(page.body)?.[1];
    if (!csrf) throw new Error(`web bench: GET /imports gave ${page.status} without a CSRF token`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: `/imports?${new URLSearchParams({ purposes: BENCH_PURPOSES.join(',') }).toString()}`, method: 'POST', agent, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'text/csv', 'Content-Length': csv.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(120_000, () => req.destroy(new Error('upload timed out')));
      req.on('error', reject);
      req.end(csv);
    });
    if (status !== 200) throw new Error(`web bench: upload answered ${status}`);
  } finally {
    agent.destroy();
  }
}

/** Why the browser upload of a CSV of this size is not measured, or null when it fits under the cap. */
export function uploadSkipReason(csvBytes: number, limitBytes: number): string | null {
  if (csvBytes <= limitBytes) return null;
  const mb = (b: number) => `${(b / (1024 * 1024)).toFixed(0)} MB`;
  return `the CSV is ${mb(csvBytes)}, over the browser upload cap of ${mb(limitBytes)} (UPLOAD_LIMIT_BYTES in src/web/routes/imports.ts; larger files go through mnvault import)`;
}

/** The server's RSS when the persons came in through a browser upload, after the same views; skipped over the upload cap. */
async function rssAfterUpload(root: string, persons: number, report: Report): Promise<void> {
  const { syntheticCsv } = await import('./synthetic.js');
  const csv = Buffer.from(syntheticCsv(persons));
  const { UPLOAD_LIMIT_BYTES } = await import('../src/web/routes/imports.js');
  const skip = uploadSkipReason(csv.length, UPLOAD_LIMIT_BYTES);
  if (skip) return report.skipped(`server RSS, ${persons.toLocaleString('en-US')} uploaded in the browser (POST /imports)`, skip);
  const child = startChild(join(root, 'web-upload'), persons, 'upload');
  const inbox = new Inbox(child);
  try {
    const ready = await inbox.next('ready', CHILD_READY_TIMEOUT_MS);
    const cookie = await signIn(ready.port);
    await upload(ready.port, cookie, csv);
    const views = await mixedViews(ready.port, cookie, MIXED_VIEWS);
    child.send({ type: 'rss' } satisfies ToChild);
    const rss = await inbox.next('rss', CHILD_REPLY_TIMEOUT_MS);
    report.row(rssRow(`${persons.toLocaleString('en-US')} uploaded in the browser (POST /imports)`, views, rss, ready.baseMb));
  } finally {
    await stopChild(child);
  }
}

/** Seconds to decode and parse a CSV alone (the import's own first step), the floor of the import row. */
async function csvParseSeconds(csv: Buffer): Promise<number> {
  const { parse } = await import('csv-parse/sync');
  const started = performance.now();
  parse(new TextDecoder('utf-8').decode(csv), { relax_column_count: true });
  return (performance.now() - started) / 1000;
}

/** The register URL `pages` × 次へ from `start`, following each page's rel="next" link as a person would. */
async function followNext(port: number, cookie: string, start: string, pages: number): Promise<string> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let path = start;
    for (let i = 0; i < pages; i++) {
      const page = await request(agent, port, path, { Cookie: cookie });
      const next = /<a href="([^"]+)" rel="next">/u.exec(page.body)?.[1];
      if (page.status !== 200 || !next) throw new Error(`web bench: page ${i + 1} of ${start} has no next link (${page.status})`);
      path = next.replace(/&amp;/gu, '&');
    }
    return path;
  } finally {
    agent.destroy();
  }
}

/** Reports each row as soon as it is measured, so a later failure loses none of them. */
export async function benchWeb(root: string, persons: number, report: Report): Promise<void> {
  // The vault is filled by this process first, as an operator's `mnvault import` would.
  const dir = join(root, 'web');
  const { initDevVault } = await import('../src/services/init-vault.js');
  const { importPersons } = await import('../src/services/import/import-persons.js');
  const { systemClock } = await import('../src/domain/ports.js');
  const { Secret } = await import('../src/domain/secret.js');
  const { TEST_PIN_COST } = await import('../src/vault/slots.js');
  const { syntheticCsv } = await import('./synthetic.js');
  const imported = await importedVault(dir, persons, { initDevVault, importPersons, systemClock, Secret, TEST_PIN_COST, syntheticCsv });
  imported.close();
  const count = persons.toLocaleString('en-US');
  const parseSeconds = await csvParseSeconds(imported.csv);
  report.row({
    operation: `import CSV → sealed vault with the register's search and counts, ${count} persons`,
    n: persons,
    seconds: imported.importSeconds,
    floor: 'decode + parse the same CSV alone',
    floorSeconds: parseSeconds,
    target: persons >= 1_000_000 ? '< 90 s' : 'figure',
  });
  const child = startChild(dir, persons, 'cli');
  const inbox = new Inbox(child);
  try {
    const ready = await inbox.next('ready', CHILD_READY_TIMEOUT_MS);
    const cookie = await signIn(ready.port);

    const pagePath = await followNext(ready.port, cookie, '/persons', 49);
    const q = (params: Record<string, string>) => `/persons?${new URLSearchParams(params)}`;
    for (const [label, path] of [
      [`register page 1, ${count} persons`, '/persons'],
      [`register page 50 (49 × 次へ), ${count} persons`, pagePath],
      [`register filter 支払先 (kind), ${count} persons`, q({ kind: 'payee' })],
      [`register filter 退職 (status), ${count} persons`, q({ status: 'retired' })],
      [`register filter 従業員 + 在職, ${count} persons`, q({ kind: 'employee', status: 'active' })],
      [`register filter 未取得, ${count} persons`, q({ filter: 'missing' })],
      [`register filter 本人確認未了, ${count} persons`, q({ filter: 'unchecked' })],
      [`register filter 保存期間経過, ${count} persons`, q({ filter: 'retention_due' })],
      [`register search "${SEARCH_Q}" (two kanji) page 1, ${count} persons`, q({ q: SEARCH_Q })],
      [`register search "さとう" (kana) page 1, ${count} persons`, q({ q: 'さとう' })],
      [`register search "E0001" (code prefix) page 1, ${count} persons`, q({ q: 'E0001' })],
      [`register search "林" (one character) page 1, ${count} persons`, q({ q: '林' })],
      [`home page (counts), ${count} persons`, '/'],
    ] as const) {
      const ours = await latency(ready.port, path, cookie, LATENCY_REQUESTS);
      const floor = await latency(ready.floorPort, `/floor/${ours.bytes}`, '', LATENCY_REQUESTS);
      report.row({
        operation: `${label} (p95; p50 ${ms(ours.p50)})`,
        n: ours.n,
        seconds: ours.p95 / 1000,
        floor: `bare express, static ${(ours.bytes / 1024).toFixed(1)} KB page, p95 (p50 ${ms(floor.p50)})`,
        floorSeconds: floor.p95 / 1000,
        target: '< 50 ms p95',
      });
    }

    // Server CPU per page (user + system of the server process over sequential requests), against the floor.
    const cpu = async () => {
      child.send({ type: 'cpu' } satisfies ToChild);
      return (await inbox.next('cpu', CHILD_REPLY_TIMEOUT_MS)).micros;
    };
    for (const [label, path] of [
      [`register page 1, ${count} persons`, '/persons'],
      [`register page 50 (49 × 次へ), ${count} persons`, pagePath],
    ] as const) {
      const perPage = async (port: number, p: string, cookieHeader: string) => {
        await latency(port, p, cookieHeader, WARMUP_REQUESTS, 0);
        const before = await cpu();
        const run = await latency(port, p, cookieHeader, CPU_REQUESTS, 0);
        const after = await cpu();
        return { ms: (after - before) / 1000 / run.n, bytes: run.bytes };
      };
      const ours = await perPage(ready.port, path, cookie);
      const floor = await perPage(ready.floorPort, `/floor/${ours.bytes}`, '');
      report.row({
        operation: `${label}: server CPU per page (${ms(ours.ms)}; floor ${ms(floor.ms)})`,
        n: CPU_REQUESTS,
        seconds: ours.ms / 1000,
        floor: `bare express, static ${(ours.bytes / 1024).toFixed(1)} KB page, CPU per page`,
        floorSeconds: floor.ms / 1000,
        target: '≤ 3 ms',
      });
    }

    const views = await mixedViews(ready.port, cookie, MIXED_VIEWS);
    child.send({ type: 'rss' } satisfies ToChild);
    const rss = await inbox.next('rss', CHILD_REPLY_TIMEOUT_MS);

    const size = (await latency(ready.port, pagePath, cookie, 1, 0)).bytes;
    const cpuBefore = await cpu();
    const ours = await throughput(ready.port, pagePath, cookie, CLIENTS, THROUGHPUT_SECONDS);
    const loadedCpuMs = ((await cpu()) - cpuBefore) / 1000 / Math.max(1, ours.ok + ours.failed);
    const floor = await throughput(ready.floorPort, `/floor/${size}`, '', CLIENTS, THROUGHPUT_SECONDS);
    if (ours.ok === 0 || floor.ok === 0) throw new Error(`web bench: no 200 responses under load (ours ${ours.failed} failed, floor ${floor.failed} failed)`);
    const floorRate = floor.ok / floor.seconds;
    const failed = ours.failed + floor.failed;
    report.row({
      operation: `register page 50, ${CLIENTS} clients × ${THROUGHPUT_SECONDS} s, ${count} persons (req/s; ratio = ours/floor; server CPU ${ms(loadedCpuMs)} per page)${failed ? ` [${ours.failed}+${floor.failed} not 200]` : ''}`,
      n: ours.ok,
      seconds: ours.seconds,
      // The time the floor needs for as many requests: ratio = floor s / our s = our req/s / floor req/s.
      floor: `bare express, same page size: ${Math.round(floorRate).toLocaleString('en-US')} req/s`,
      floorSeconds: ours.ok / floorRate,
      target: '≥ 300 req/s',
    });

    report.row(rssRow(`${count} imported by mnvault import`, views, rss, ready.baseMb));
  } finally {
    await stopChild(child);
  }
  await rssAfterUpload(root, persons, report);
}

if (process.env[CHILD_FLAG] === '1' && process.send && process.argv[1] === SELF) {
  await serveChild();
}
