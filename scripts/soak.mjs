#!/usr/bin/env node
// Soak: the built server (`npm run build` first) under N signed-in clients for a while, sampling its
// resident size every second from /proc. Prints p50/p95/max RSS, requests per second, latency and the
// server's CPU time per request (user + system, from /proc). --path hits one page only (for example
// /persons, the register) instead of the mix. Loopback only; a temp vault of synthetic persons, removed
// at the end.
// Also prints the floor: the RSS of a bare node with the same flags, and of the server once started,
// before any request. --node-flags and --env replace the unit's flags and malloc settings (to compare).
// --data serves an existing dev vault (a copy: the soak accounts are added to it) instead of a new one,
// for a register too large to import on each run (a million persons).
//   node scripts/soak.mjs [--seconds 600] [--clients 10] [--persons 2000] [--path /persons] [--data DIR] [--node-flags=... ] [--env=K=V,K=V]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const dist = (p) => join(root, 'dist', p);
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, clients: { type: 'string', default: '10' }, persons: { type: 'string', default: '2000' }, path: { type: 'string' }, data: { type: 'string' }, 'node-flags': { type: 'string' }, env: { type: 'string' } } });
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
let PERSONS = Number(values.persons);
const PASSWORD = 'soak password long';
// Each run's accounts are new, so a kept vault (--data) can be soaked again.
const RUN = Math.floor(Math.random() * 1e6);

const { initDevVault } = await import(dist('src/services/init-vault.js'));
const { createUser } = await import(dist('src/services/accounts.js'));
const { importPersons } = await import(dist('src/services/import/import-persons.js'));
const { systemClock } = await import(dist('src/domain/ports.js'));
const { Secret } = await import(dist('src/domain/secret.js'));
const { syntheticCsv } = await import(dist('bench/synthetic.js'));
const { PURPOSES } = await import(dist('src/domain/purposes.js'));
const { TEST_PIN_COST } = await import(dist('src/vault/slots.js'));

/** The flags of ExecStart in systemd/mnvault.service. */
const UNIT_FLAGS = '--max-semi-space-size=1 --optimize-for-size';
const UNIT_ENV = 'MALLOC_ARENA_MAX=2,MALLOC_TRIM_THRESHOLD_=131072,MALLOC_MMAP_THRESHOLD_=131072';
const ENV = { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...Object.fromEntries((values.env ?? UNIT_ENV).split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : undefined;
}
/** The RSS of node itself with these flags, idle, nothing loaded. */
async function bareRss(flags) {
  const p = spawn(process.execPath, [...flags, '-e', 'setTimeout(() => {}, 60000)'], { env: ENV, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const r = rssOf(p.pid);
  p.kill('SIGTERM');
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'mnvault-soak-'));
const dataDir = values.data ?? join(dir, 'data');
let server;
let stopping = false;
try {
  const vault = values.data
    ? (await import(dist('src/services/vault.js'))).openVault({ dataDir, clock: systemClock })
    : (await initDevVault({ dataDir, admin: { login: 'soakadmin', password: new Secret(PASSWORD), pin: new Secret('135790') }, clock: systemClock, pinCost: TEST_PIN_COST })).vault;
  const actor = { id: 'cli', name: 'soak' };
  for (let i = 0; i < CLIENTS; i++) await createUser(vault, actor, { login: `soak${RUN}x${i}`, displayName: `ソーク ${i}`, role: 'handler', password: new Secret(PASSWORD) }, null);
  if (values.data) PERSONS = vault.persons.count().persons;
  else importPersons(vault, Buffer.from(syntheticCsv(PERSONS)), { actor, client: null, skipInvalid: false, purposes: PURPOSES.map((p) => p.code) });
  vault.close();

  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  // As the unit runs it (systemd/mnvault.service): small young generation, heap for size, malloc handing memory back.
  const flags = (values['node-flags'] ?? UNIT_FLAGS).split(' ').filter(Boolean);
  const bare = await bareRss(flags);
  server = spawn(process.execPath, [...flags, dist('src/cli/main.js'), 'serve', '--data', dataDir, '--http', '--port', String(port)], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server.once('exit', (code, signal) => {
    if (!stopping) console.error(`soak: the server exited during the run (code ${code}, signal ${signal})`);
  });
  await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('起動しました')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });

  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const request = (method, path, cookie, body) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: { cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const cookiesOf = (res, jar) => {
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const [k, v] = pair.split('=');
      jar.set(k, v);
    }
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  };
  async function signIn(login) {
    const jar = new Map();
    const page = await request('GET', '/login', '');
    let cookie = cookiesOf(page, jar);
    const csrf = /name="_csrf" value="([^"]+)"/u.exec(page.text)[1];
    const r = await request('POST', '/login', cookie, new URLSearchParams({ _csrf: csrf, login, password: PASSWORD }).toString());
    if (r.status !== 303) throw new Error(`sign-in of ${login}: ${r.status}`);
    cookie = cookiesOf(r, jar);
    return cookie;
  }
  const startedRss = rssOf(server.pid);
  const cookies = [];
  for (let i = 0; i < CLIENTS; i++) cookies.push(await signIn(`soak${RUN}x${i}`));

  const rss = [];
  const sampler = setInterval(() => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const r = rssOf(server.pid);
    if (r !== undefined) rss.push(r);
  }, 1000);
  const latencies = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const cpuMs = () => {
    const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in ticks of 1/100 s
  };
  const cpuBefore = cpuMs();
  const KANA = ['サトウ', 'スズキ', 'タカハシ', 'タナカ', 'イトウ', 'ワタナベ', 'ヤマモト', 'ナカムラ', 'コバヤシ', 'カトウ'];
  const pages = () => {
    if (values.path) return values.path;
    const r = Math.random();
    // A register page anywhere in the order: a keyset cursor (base64url of [register key, id]) at a random synthetic kana.
    if (r < 0.4) return `/persons?after=${Buffer.from(JSON.stringify([KANA[Math.floor(Math.random() * KANA.length)], 1 + Math.floor(Math.random() * PERSONS)])).toString('base64url')}`;
    if (r < 0.8) return `/persons/${1 + Math.floor(Math.random() * PERSONS)}`;
    if (r < 0.9) return '/persons?q=' + encodeURIComponent('佐藤');
    return '/';
  };
  await Promise.all(
    cookies.map(async (cookie) => {
      while (performance.now() < end) {
        // A connection the server closed (its keep-alive timeout on a loaded machine) is an error counted, not the end of the soak.
        const r = await request('GET', pages(), cookie).catch(() => null);
        if (r?.status !== 200) errors++;
        if (r) latencies.push(r.ms);
      }
    }),
  );
  clearInterval(sampler);
  const cpuUsed = cpuMs() - cpuBefore;
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  console.log(JSON.stringify({
    seconds: SECONDS,
    clients: CLIENTS,
    persons: PERSONS,
    path: values.path ?? 'mix',
    serverCpuMsPerRequest: Number((cpuUsed / latencies.length).toFixed(2)),
    requests: latencies.length,
    errors,
    requestsPerSecond: Math.round(latencies.length / SECONDS),
    latencyMs: { p50: Math.round(q(latencies, 0.5)), p95: Math.round(q(latencies, 0.95)), max: Math.round(latencies.reduce((m, x) => (x > m ? x : m), 0)) },
    nodeFlags: flags.join(' '),
    env: values.env ?? UNIT_ENV,
    floorMb: { bareNode: Math.round(bare), serverStarted: Math.round(startedRss) },
    rssMb: { p50: Math.round(q(rss, 0.5)), p95: Math.round(q(rss, 0.95)), max: Math.round(Math.max(...rss)), samples: rss.length },
  }, null, 2));
  agent.destroy();
} finally {
  stopping = true;
  server?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  rmSync(dir, { recursive: true, force: true });
  if (values.data) console.error(`soak: ${dataDir} now holds the soak accounts too`);
}
