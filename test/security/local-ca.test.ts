import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vaultCaKeyStore } from '../../src/services/tls-ca-key.js';
import { ensureTls } from '../../src/web/tls.js';
import { nameConstraintsDer, readNameConstraints } from '../../src/web/tls-name-constraints.js';
import { memoryCaKeyStore } from '../helpers/tls.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

const NOW = new Date('2026-04-01T00:00:00Z');
const HOUR = 60 * 60 * 1000;
const NAMES = { hostnames: ['vault-box', 'vault-box.local', 'localhost'], addresses: ['127.0.0.1', '::1', '192.168.10.5'] };

let dir: string;
beforeEach(() => {
  dir = tempDir('mnv-ca-');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Mints a leaf for `san` with the CA's own key, as someone who stole it would, and runs openssl verify. */
function mintAndVerify(caPem: string, caKeyPem: string, cn: string, san: string): { ok: boolean; output: string } {
  const w = fs.mkdtempSync(path.join(dir, 'mint-'));
  const f = (n: string) => path.join(w, n);
  fs.writeFileSync(f('ca.pem'), caPem);
  fs.writeFileSync(f('ca-key.pem'), caKeyPem, { mode: 0o600 });
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, '-keyout', f('k.pem'), '-out', f('csr.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-set_serial', '7', '-days', '30', '-copy_extensions', 'copy', '-out', f('leaf.pem')], { stdio: 'ignore' });
  const r = spawnSync('openssl', ['verify', '-CAfile', f('ca.pem'), f('leaf.pem')], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe('the local CA', () => {
  it('is name-constrained (critical): a certificate for an outside name or a public address minted with its key fails openssl verify', async () => {
    const caKey = memoryCaKeyStore();
    const m = await ensureTls(dir, { ...NAMES, caKey, now: new Date() });
    fs.writeFileSync(path.join(dir, 'ca.pem'), m.caCert);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', path.join(dir, 'ca.pem')], { encoding: 'utf8' });
    expect(text).toMatch(/X509v3 Name Constraints: critical/u);

    // The appliance's own certificate verifies.
    fs.writeFileSync(path.join(dir, 'server.pem'), m.cert);
    expect(spawnSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'server.pem')]).status).toBe(0);

    const outside = mintAndVerify(m.caCert, caKey.pem!, 'www.example.com', 'DNS:www.example.com');
    expect(outside.ok).toBe(false);
    expect(outside.output).toMatch(/permitted subtree violation/u);
    const publicIp = mintAndVerify(m.caCert, caKey.pem!, 'vault-box', 'DNS:vault-box,IP:8.8.8.8');
    expect(publicIp.ok).toBe(false);
    expect(publicIp.output).toMatch(/permitted subtree violation/u);
    // Inside the constraints the same minting verifies, so the refusals above are the constraints at work.
    expect(mintAndVerify(m.caCert, caKey.pem!, 'vault-box', 'DNS:vault-box,IP:192.168.10.9').ok).toBe(true);
  });

  it('puts an own address outside the LAN ranges in as a single host, and reads its constraints back', async () => {
    // ::1/128 is the one LAN range that is a single host.
    expect(readNameConstraints(nameConstraintsDer(['vault-box'], ['192.168.1.2', '203.0.113.7', '2001:db8::7']))).toEqual({ dns: ['vault-box'], hosts: ['0:0:0:0:0:0:0:1', '203.0.113.7', '2001:db8:0:0:0:0:0:7'] });
    const caKey = memoryCaKeyStore();
    const m = await ensureTls(dir, { hostnames: ['vault-box'], addresses: ['203.0.113.7', '192.168.1.2'], caKey, now: new Date() });
    fs.writeFileSync(path.join(dir, 'ca.pem'), m.caCert);
    fs.writeFileSync(path.join(dir, 'server.pem'), m.cert);
    expect(spawnSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'server.pem')]).status).toBe(0);
    expect(mintAndVerify(m.caCert, caKey.pem!, 'vault-box', 'DNS:vault-box,IP:203.0.113.8').ok).toBe(false);
  });

  it('survives a start with the clock 2 hours behind: nothing is replaced and start-up is refused with a message about the clock', async () => {
    const caKey = memoryCaKeyStore();
    await ensureTls(dir, { ...NAMES, caKey, now: NOW });
    const files = ['ca.pem', 'server.pem', 'server-key.pem'].map((n) => fs.readFileSync(path.join(dir, 'tls', n), 'utf8'));
    const key = caKey.pem;

    const err = await ensureTls(dir, { ...NAMES, caKey, now: new Date(NOW.getTime() - 2 * HOUR) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid' });
    expect((err as { publicMessage: string }).publicMessage).toMatch(/時計.*ローカルCAの作成日時.*より前.*NTP/u);
    expect(['ca.pem', 'server.pem', 'server-key.pem'].map((n) => fs.readFileSync(path.join(dir, 'tls', n), 'utf8'))).toEqual(files);
    expect(caKey.pem).toBe(key);

    // Half an hour behind (inside the CA's back-dating): it starts with the same CA and server key.
    const behind = await ensureTls(dir, { ...NAMES, caKey, now: new Date(NOW.getTime() - HOUR / 2) });
    expect(behind.created).toBe(false);
    expect(behind.caCert).toBe(files[0]);
    expect(behind.key).toBe(files[2]);
  });

  it('keeps its private key in the encrypted vault, and moves a ca-key.pem left by an older version into it', async () => {
    const { vault } = await newTestVault();
    try {
      const legacy = memoryCaKeyStore();
      const m = await ensureTls(vault.dataDir, { ...NAMES, caKey: legacy, now: NOW });
      // An older version kept the key as a plain file beside ca.pem.
      fs.writeFileSync(path.join(vault.dataDir, 'tls', 'ca-key.pem'), legacy.pem!, { mode: 0o600 });
      const again = await ensureTls(vault.dataDir, { ...NAMES, caKey: vaultCaKeyStore(vault), now: NOW });
      expect(again.caCert).toBe(m.caCert);
      expect(again.created).toBe(false);
      expect(fs.existsSync(path.join(vault.dataDir, 'tls', 'ca-key.pem'))).toBe(false);
      expect(vaultCaKeyStore(vault).read()).toBe(legacy.pem);
      const stored = [...vault.auditRepo.iterateRaw(1)].filter((r) => r[4] === 'tls.ca_key_stored');
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(legacy.pem!.split('\n')[1]!);
      for (const f of fs.readdirSync(path.join(vault.dataDir, 'tls'))) {
        expect(fs.readFileSync(path.join(vault.dataDir, 'tls', f), 'utf8')).not.toContain('PRIVATE KEY-----\n' + legacy.pem!.split('\n')[1]);
      }
    } finally {
      vault.close();
    }
  });
});

describe('the running server', () => {
  it('renews its certificate 30 days before expiry without a restart, keeping the CA', async () => {
    const { startServer } = await import('../../src/cli/serve.js');
    const { loadConfig } = await import('../../src/config.js');
    const { fixedClock } = await import('../../src/domain/ports.js');
    const tls = await import('node:tls');
    const clock = fixedClock(new Date().toISOString());
    const { vault } = await newTestVault(clock);
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: false });
    const port = (serving.server.address() as { port: number }).port;
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    try {
      const ca = fs.readFileSync(path.join(vault.dataDir, 'tls', 'ca.pem'), 'utf8');
      const first = await served();
      expect(await serving.renewTls()).toBe(false);
      clock.advance(370 * 24 * HOUR);
      expect(await serving.renewTls()).toBe(true);
      const renewed = await served();
      expect(renewed).not.toBe(first);
      expect(fs.readFileSync(path.join(vault.dataDir, 'tls', 'ca.pem'), 'utf8')).toBe(ca);
    } finally {
      await serving.stop();
    }
  });
});
