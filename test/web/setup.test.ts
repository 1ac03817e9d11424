import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenPinPadSocket } from '../../src/devices/pinpad-socket.js';
import { pulseCommands } from '../../src/devices/relay.js';
import { fixedClock } from '../../src/domain/ports.js';
import { DoorService } from '../../src/services/door.js';
import { RevealStore } from '../../src/services/gate.js';
import { keypadPort } from '../../src/devices/keypad-port.js';
import { attachPinPad } from '../../src/services/pinpad.js';
import type { Vault } from '../../src/services/vault.js';
import { parseNetworks } from '../../src/web/network.js';
import { ensureTls } from '../../src/web/tls.js';
import { auditEvents } from '../helpers/audit.js';
import { keystrokes } from '../helpers/keypad.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, AUDITOR, Browser, HANDLER, testApp } from '../helpers/web.js';
import { memoryCaKeyStore } from '../helpers/tls.js';

const services: DoorService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

const actions = (vault: Vault, action: string) => auditEvents(vault).filter((e) => e.action === action);

async function admin(app: ReturnType<typeof testApp>): Promise<Browser> {
  const b = new Browser(app);
  await b.signIn(ADMIN.login, ADMIN.password);
  return b;
}

describe('first-run setup', () => {
  it('leads a fresh vault’s admin to step 1, saves each step, and audits completion once', async () => {
    const { vault } = await newTestVault();
    const app = testApp(vault, { allowedNetworks: parseNetworks(['127.0.0.0/8', '::1/128', '192.168.10.0/24']) });
    const b = await admin(app);

    const home = await b.get('/');
    // Once, in the banner above the task list (the list repeated it).
    expect(home.text.match(/初期設定が終わっていません。/gu)).toHaveLength(1);
    expect(home.text).toContain('href="/admin/setup/company"');
    const start = await b.get('/admin/setup');
    expect(start.status).toBe(303);
    expect(start.headers.location).toBe('/admin/setup/company');

    const company = await b.get('/admin/setup/company');
    expect(company.status).toBe(200);
    expect(company.text).toContain('手順 1 / 8');
    expect(company.text).toMatch(/会社名<\/a> <span class="badge badge-attention">要確認/u);
    const saved = await b.post('/admin/setup/company', { companyName: '　株式会社　サンプル商事 ' });
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe('/admin/setup/networks');
    expect(vault.meta.get('company_name')).toBe('株式会社 サンプル商事');
    expect(actions(vault, 'settings.updated').at(-1)!.detail).toMatchObject({ key: 'company_name', after: '株式会社 サンプル商事' });
    expect((await b.get('/')).text).toContain('href="/admin/setup/networks"');

    // Networks narrowed to the office LAN: OK; the admin's own address and its network are shown.
    const nets = await b.get('/admin/setup/networks');
    expect(nets.text).toContain('127.0.0.0/8,::1/128,192.168.10.0/24');
    expect(nets.text).toContain('許可されているネットワーク: 127.0.0.0/8');
    expect(nets.text).toMatch(/接続を許すLAN <span class="badge badge-ok">OK/u);
    const tried = await b.post('/admin/setup/networks', { networks: '192.168.10.0/24, 127.0.0.1/32' });
    expect(tried.status).toBe(200);
    expect(tried.text).toContain('MNVAULT_ALLOWED_NETWORKS=192.168.10.0/24,127.0.0.1/32');
    const locked = await b.post('/admin/setup/networks', { networks: '192.168.10.0/24' });
    expect(locked.status).toBe(400);
    expect(locked.text).toContain('接続できなくなります');
    for (const step of ['networks', 'pinpad', 'security-key', 'door']) expect((await b.post(`/admin/setup/${step}/next`)).status).toBe(303);
    expect((await b.get('/admin/setup')).headers.location).toBe('/admin/setup/handlers');

    // Finishing needs a handler with a PIN.
    const blocked = await b.get('/admin/setup/finish');
    expect(blocked.text).toContain('完了するには、次の手順を済ませてください: 事務取扱担当者とPIN');
    expect((await b.post('/admin/setup/finish')).status).toBe(400);
    await addStaff(vault);
    const handlers = await b.get('/admin/setup/handlers');
    expect(handlers.text).toContain('担当 花子');
    expect(handlers.text).toMatch(/事務取扱担当者とPIN <span class="badge badge-ok">OK/u);
    expect((await b.post('/admin/setup/handlers/next')).headers.location).toBe('/admin/setup/backup');

    const folder = tempDir('mnvault-backup-');
    const backup = await b.post('/admin/setup/backup', { backupDir: folder });
    expect(backup.status).toBe(303);
    expect(vault.meta.get('backup_dir')).toBe(folder);
    const backupPage = await b.get(backup.headers.location!);
    expect(backupPage.text).toContain('サービスが書き込めることを確認しました。');
    expect(backupPage.text).toContain('mnvault backup');
    // Backups exist now: the page says where they are made, not that they are still to come.
    expect(backupPage.text).toContain('今すぐバックアップ');
    expect(backupPage.text).not.toContain('今後追加');

    const finish = await b.get('/admin/setup/finish');
    expect(finish.text).toContain('初期設定を完了する');
    const done = await b.post('/admin/setup/finish');
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/admin/status?completed=1');
    expect(actions(vault, 'setup.completed')).toHaveLength(1);
    expect(actions(vault, 'setup.completed')[0]!.detail.attention).toBe('pinpad');
    expect((await b.post('/admin/setup/finish')).status).toBe(303);
    expect(actions(vault, 'setup.completed')).toHaveLength(1);
    expect((await b.get('/')).text).not.toContain('初期設定が終わっていません。');
    // Every step can still be revisited.
    expect((await b.get('/admin/setup/company')).text).toContain('value="株式会社 サンプル商事"');
  });

  it('keeps handlers, auditors and anonymous visitors out of setup and the status page', async () => {
    const { vault } = await newTestVault();
    await addStaff(vault);
    const app = testApp(vault);
    for (const who of [HANDLER, AUDITOR]) {
      const b = new Browser(app);
      await b.signIn(who.login, who.password);
      expect((await b.get('/')).text).not.toContain('初期設定');
      for (const path of ['/admin/setup', '/admin/setup/company', '/admin/setup/pinpad/activity', '/admin/status']) expect((await b.get(path)).status, path).toBe(403);
      expect((await b.post('/admin/setup/company', { companyName: '乗っ取り' })).status).toBe(403);
      expect((await b.post('/admin/setup/finish')).status).toBe(403);
      expect((await b.post('/admin/setup/door/test-pulse')).status).toBe(403);
    }
    const anon = new Browser(app);
    for (const path of ['/admin/setup', '/admin/status']) expect((await anon.get(path)).headers.location).toBe('/login');
    expect(vault.meta.get('company_name')).toBeUndefined();
    expect(actions(vault, 'setup.completed')).toHaveLength(0);
  });

  it('refuses hostile input with a Japanese 400 and never echoes a number', async () => {
    const { vault, dataDir } = await newTestVault();
    const b = await admin(testApp(vault));
    await b.get('/admin/setup/company');
    const number = syntheticNumber(7, 1);
    const cases: [string, Record<string, string | string[]>, string][] = [
      ['/admin/setup/company', { companyName: '' }, '会社名'],
      ['/admin/setup/company', { companyName: `株式会社${number}` }, '会社名に使えない文字'],
      ['/admin/setup/company', { companyName: 'A社\u202e' }, '会社名に使えない文字'],
      ['/admin/setup/company', { companyName: 'x'.repeat(101) }, '100文字'],
      ['/admin/setup/company', { companyName: ['a', 'b'] }, '送信された内容の形式'],
      ['/admin/setup/backup', { backupDir: 'backups' }, '絶対パス'],
      ['/admin/setup/backup', { backupDir: '/mnt/../etc' }, '「..」'],
      ['/admin/setup/backup', { backupDir: `/mnt/${number}` }, '番号のような数字'],
      ['/admin/setup/backup', { backupDir: '/mnt/x\u0007' }, '制御文字'],
      ['/admin/setup/backup', { backupDir: '/' }, 'ルート'],
      ['/admin/setup/backup', { backupDir: '/nonexistent/mnvault-backup' }, 'フォルダーが見つかりません'],
      ['/admin/setup/backup', { backupDir: dataDir }, 'データフォルダーの中'],
      ['/admin/setup/backup', { backupDir: join(dataDir, 'tls') }, 'データフォルダーの中'],
      ['/admin/setup/networks', { networks: '192.168.1.0/33' }, '正しいネットワークの形式ではありません'],
      ['/admin/setup/networks', { networks: '<script>' }, '正しいネットワークの形式ではありません'],
    ];
    mkdirSync(join(dataDir, 'tls'), { recursive: true });
    for (const [path, form, text] of cases) {
      const res = await b.post(path, form);
      expect(res.status, `${path} ${JSON.stringify(form)}`).toBe(400);
      expect(res.text, path).toContain(text);
      expect(res.text).not.toContain(number);
      expect(res.text).not.toContain('<script>');
    }
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect((await b.post('/admin/setup/backup', { backupDir: file })).text).toContain('フォルダーではありません');
    expect((await b.post('/admin/setup/company', { companyName: 'A社' }, null)).status).toBe(403);
    expect((await b.post('/admin/setup/nonsense/next')).status).toBe(404);
    expect(vault.meta.get('company_name')).toBeUndefined();
    expect(vault.meta.get('backup_dir')).toBeUndefined();
  });

  it('shows the PIN pad’s last key press without the key, and the pad reports presses only as times', async () => {
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    let lastKeyAt: number | null = null;
    const pad = await listenPinPadSocket(join(tempDir(), 'pinpad.sock'));
    attachPinPad(vault, new RevealStore(), keypadPort(pad), 'pinpad:test', undefined, () => {}, undefined, (at) => {
      lastKeyAt = at;
    });
    const app = testApp(vault, { deviceStatus: () => ({ pinPad: 'connected', lastKeyAt }) });
    const b = await admin(app);
    try {
      const page = await b.get('/admin/setup/pinpad');
      expect(page.text).toContain('接続中');
      expect(page.text).toContain('まだキー入力はありません');
      expect(page.text).toContain('src="/static/setup.js"');
      expect((await b.get('/admin/setup/pinpad/activity')).body).toEqual({ pinPad: 'connected', lastKeyAt: null });
      const socket = connect(pad.server.address() as string);
      await new Promise((r) => socket.once('connect', r));
      socket.write(keystrokes('7'));
      for (let i = 0; i < 100 && lastKeyAt === null; i++) await new Promise((r) => setTimeout(r, 10));
      socket.destroy();
      const activity = await b.get('/admin/setup/pinpad/activity');
      expect(activity.body).toEqual({ pinPad: 'connected', lastKeyAt: Date.parse('2026-04-01T00:00:00Z') });
      expect(activity.text).not.toContain('"7"');
      expect((await b.get('/admin/setup/pinpad')).text).toContain('最後のキー入力: 2026/04/01 09:00');
    } finally {
      await pad.close();
    }
    const none = await admin(testApp(vault));
    expect((await none.get('/admin/setup/pinpad')).text).toContain('MNVAULT_PINPAD=vvvv:pppp');
  });

  it('pulses the door relay once for an admin, audited, and refuses without a relay', async () => {
    const { vault } = await newTestVault();
    const b = await admin(testApp(vault));
    const page = await b.get('/admin/setup/door');
    expect(page.text).toContain('電気錠（リレー）が設定されていないため');
    const refused = await b.post('/admin/setup/door/test-pulse');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('テスト解錠はできません');
    expect(actions(vault, 'door.test_pulse')).toHaveLength(0);

    const writes: Uint8Array[] = [];
    const config = { channel: 2, openState: 0x01 as const };
    const door = new DoorService(vault, { relay: { line: { write: async (bytes) => void writes.push(bytes) }, config, pulseMs: 10, device: 'door-relay:test' }, heldMs: 60_000, entryMs: 60_000 }, () => {});
    services.push(door);
    const withDoor = await admin(testApp(vault, { door }));
    const doorPage = await withDoor.get('/admin/setup/door');
    expect(doorPage.text).toContain('テスト解錠</button>');
    const pulsed = await withDoor.post('/admin/setup/door/test-pulse');
    expect(pulsed.status).toBe(303);
    await door.idle();
    const { open, close } = pulseCommands(config);
    expect(writes.map((w) => Buffer.from(w).toString('hex'))).toEqual([Buffer.from(open).toString('hex'), Buffer.from(close).toString('hex')]);
    const events = actions(vault, 'door.test_pulse');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ device: 'door-relay:test' });
    expect((await withDoor.get(pulsed.headers.location!)).text).toContain('解錠の信号を送りました');
  });
});

describe('status page', () => {
  it('lists the checks with OK / 要確認 and what to do, the version, audit head, certificate and disk', async () => {
    const { vault, dataDir } = await newTestVault();
    const tls = await ensureTls(dataDir, { hostnames: ['localhost'], addresses: ['127.0.0.1'], caKey: memoryCaKeyStore(), now: vault.clock.now() });
    const b = await admin(testApp(vault, { secure: false }));
    const page = await b.get('/admin/status');
    expect(page.status).toBe(200);
    expect(page.text).toContain('設定の確認');
    expect(page.text).toContain('0.1.0');
    expect(page.text).toContain(vault.audit.head()!.hash.toString('hex').slice(0, 16));
    expect(page.text).toContain(tls.fingerprint);
    expect(page.text).toContain(new X509Certificate(readFileSync(join(dataDir, 'tls', 'ca.pem'))).fingerprint256);
    expect(page.text).toMatch(/サーバー証明書<\/a><\/td>\s*<td><span class="badge badge-ok">OK/u);
    expect(page.text).toContain('あと 396 日');
    expect(page.text).toMatch(/データベースの鍵<\/td>\s*<td><span class="badge badge-attention">要確認/u);
    expect(page.text).toContain('開発用の鍵');
    expect(page.text).toContain('データフォルダーの空き容量');
    expect(page.text).toMatch(/会社名<\/a><\/td>\s*<td><span class="badge badge-attention">要確認/u);
    expect(page.text).toContain('未完了');
    expect(page.text).toContain('href="/admin/status"');
  });
});

describe('CA certificate page', () => {
  it('is open before sign-in, serves ca.pem byte for byte as a CA certificate, and shows its fingerprints', async () => {
    const { vault, dataDir } = await newTestVault();
    const anon = new Browser(testApp(vault));
    const before = await anon.get('/ca');
    expect(before.status).toBe(200);
    expect(before.text).toContain('持ち込みの証明書');
    expect((await anon.getBytes('/ca/mnvault-ca.crt')).status).toBe(404);

    const tls = await ensureTls(dataDir, { hostnames: ['localhost'], addresses: ['127.0.0.1'], caKey: memoryCaKeyStore(), now: vault.clock.now() });
    const pem = readFileSync(join(dataDir, 'tls', 'ca.pem'));
    const cert = new X509Certificate(pem);
    const page = await anon.get('/ca');
    expect(page.status).toBe(200);
    expect(page.text).toContain(cert.fingerprint256);
    expect(page.text).toContain(cert.fingerprint);
    expect(page.text).toContain(tls.fingerprint);
    expect(page.text).toContain('openssl x509 -in /var/lib/mnvault/tls/ca.pem');
    expect(page.text).toContain('信頼されたルート証明機関');
    expect(page.text).toContain('キーチェーンアクセス');
    expect(page.text).toContain('Firefox');
    expect(page.text).toContain('mynumber-vault ローカルCA');
    expect(page.text).not.toContain('PRIVATE KEY');
    for (const name of ['mnvault-ca.crt', 'ca.pem']) {
      const file = await anon.getBytes(`/ca/${name}`);
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('application/x-x509-ca-cert');
      expect(file.headers['content-disposition']).toBe(`attachment; filename="${name}"`);
      expect(Buffer.compare(file.body, pem)).toBe(0);
    }
    const der = await anon.getBytes('/ca/mnvault-ca.der');
    expect(der.headers['content-type']).toBe('application/x-x509-ca-cert');
    expect(Buffer.compare(der.body, cert.raw)).toBe(0);
    expect((await anon.get('/login')).text).toContain('href="/ca"');
    expect((await anon.getBytes('/ca/ca-key.pem')).status).toBe(404);
  });
});
