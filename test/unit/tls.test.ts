import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate as NodeX509Certificate, createHash, webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { defaultHostnames, ensureTls, serverTlsOptions, TLS_CIPHERS, type TlsMaterial } from '../../src/web/tls.js';
import { memoryCaKeyStore } from '../helpers/tls.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-04-01T00:00:00Z');
const BASE = { hostnames: ['vault-box', 'vault-box.local', 'localhost'], addresses: ['127.0.0.1', '::1', '192.168.10.5'] };

let dataDir: string;
let caKey: ReturnType<typeof memoryCaKeyStore>;
const tlsFile = (name: string) => path.join(dataDir, 'tls', name);
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const posix = process.platform !== 'win32';

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnv-tls-'));
  caKey = memoryCaKeyStore();
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function sanOf(pem: string): { dns: string[]; ip: string[] } {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const items = san?.names.items ?? [];
  return {
    dns: items.filter((n) => n.type === 'dns').map((n) => n.value),
    ip: items.filter((n) => n.type === 'ip').map((n) => n.value),
  };
}

describe('ensureTls', () => {
  it('creates the CA and server files, then reuses them, and re-issues only the server cert for a new name', async () => {
    const first = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    expect(first.created).toBe(true);
    // The CA key goes to the store (the encrypted vault), never into the tls folder.
    expect(fs.readdirSync(path.join(dataDir, 'tls')).sort()).toEqual(['ca.pem', 'server-key.pem', 'server.pem']);
    if (posix) {
      expect(mode(path.join(dataDir, 'tls'))).toBe(0o700);
      expect(mode(tlsFile('server-key.pem'))).toBe(0o600);
    }
    expect(first.key).toBe(fs.readFileSync(tlsFile('server-key.pem'), 'utf8'));
    expect(first.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(caKey.pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(first.cert).toBe(fs.readFileSync(tlsFile('server.pem'), 'utf8'));
    expect(first.caCert).toBe(fs.readFileSync(tlsFile('ca.pem'), 'utf8'));

    // Fingerprint is SHA-256 over the DER, formatted like openssl.
    const der = new NodeX509Certificate(first.cert).raw;
    const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
    expect(first.fingerprint).toBe(hex.match(/../g)!.join(':'));
    expect(first.fingerprint).toBe(new NodeX509Certificate(first.cert).fingerprint256);

    const again = await ensureTls(dataDir, { ...BASE, caKey, now: new Date(NOW.getTime() + 10 * DAY) });
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.cert).toBe(first.cert);
    expect(again.key).toBe(first.key);

    // A name outside the CA's name constraints cannot go into a certificate it issues (a new CA is needed).
    const outside = await ensureTls(dataDir, { ...BASE, hostnames: [...BASE.hostnames, 'vault.example.lan'], caKey, now: NOW });
    expect(outside.created).toBe(false);
    expect(sanOf(outside.cert).dns).not.toContain('vault.example.lan');

    const more = await ensureTls(dataDir, { ...BASE, hostnames: [...BASE.hostnames, 'files.vault-box.local'], caKey, now: NOW });
    expect(more.created).toBe(true);
    expect(more.fingerprint).not.toBe(first.fingerprint);
    expect(more.key).not.toBe(first.key);
    expect(more.caCert).toBe(first.caCert);
    expect(sanOf(more.cert).dns).toContain('files.vault-box.local');
    expect(await new x509.X509Certificate(more.cert).verify({ publicKey: new x509.X509Certificate(more.caCert).publicKey, signatureOnly: true })).toBe(true);
    expect(fs.readdirSync(path.join(dataDir, 'tls')).sort()).toEqual(['ca.pem', 'server-key.pem', 'server.pem']);
    if (posix) expect(mode(tlsFile('server-key.pem'))).toBe(0o600);

    // A new address also triggers a re-issue; asking for a subset does not.
    const addr = await ensureTls(dataDir, { ...BASE, addresses: [...BASE.addresses, '10.0.0.7'], hostnames: ['localhost'], caKey, now: NOW });
    expect(addr.created).toBe(true);
    const subset = await ensureTls(dataDir, { hostnames: ['LOCALHOST'], addresses: ['0:0:0:0:0:0:0:1'], caKey, now: NOW });
    expect(subset.created).toBe(false);
    expect(subset.fingerprint).toBe(addr.fingerprint);
  });

  it('issues certificates with the requested SANs, a CA with basicConstraints and at most 398 days validity', async () => {
    const m = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    const san = sanOf(m.cert);
    expect(san.dns).toEqual(expect.arrayContaining(BASE.hostnames));
    expect(san.ip).toEqual(expect.arrayContaining(['127.0.0.1', '::1', '192.168.10.5']));

    const server = new x509.X509Certificate(m.cert);
    expect(server.subjectName.getField('CN')).toEqual(['vault-box']);
    expect(server.notAfter.getTime() - server.notBefore.getTime()).toBeLessThanOrEqual(398 * DAY);
    expect(server.notBefore.getTime()).toBeLessThanOrEqual(NOW.getTime());
    const serverBasic = server.getExtension(x509.BasicConstraintsExtension);
    expect(serverBasic?.ca).toBe(false);
    const eku = server.getExtension(x509.ExtendedKeyUsageExtension);
    expect(eku?.usages).toContain(x509.ExtendedKeyUsage.serverAuth);
    const ku = server.getExtension(x509.KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(server.getExtension(x509.AuthorityKeyIdentifierExtension)).not.toBeNull();
    expect(BigInt(`0x${server.serialNumber}`) > 0n).toBe(true);
    expect(server.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });

    const ca = new x509.X509Certificate(m.caCert);
    const basic = ca.getExtension(x509.BasicConstraintsExtension);
    expect(basic?.ca).toBe(true);
    expect(basic?.pathLength).toBe(0);
    expect(basic?.critical).toBe(true);
    const caKu = ca.getExtension(x509.KeyUsagesExtension);
    expect(caKu?.critical).toBe(true);
    expect(caKu?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(ca.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(ca.subjectName.getField('CN')).toEqual(['mynumber-vault ローカルCA']);
    expect(ca.subjectName.getField('O')).toEqual(['mynumber-vault']);
    expect(server.issuer).toBe(ca.subject);
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBeGreaterThan(9 * 365 * DAY);
  });

  it('serves TLS 1.2+ with a chain that verifies against the CA and refuses TLS 1.1', async () => {
    const m = await ensureTls(dataDir, { ...BASE, caKey, now: new Date() });
    const server = https.createServer(serverTlsOptions(m), (_req, res) => {
      res.end('ok');
    });
    const clientErrors: Error[] = [];
    server.on('tlsClientError', (err) => clientErrors.push(err));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/', ca: m.caCert, servername: 'localhost', agent: false }, (res) => {
            let data = '';
            res.on('data', (c: Buffer) => (data += c.toString()));
            res.on('end', () => resolve(data));
          })
          .on('error', reject);
      });
      expect(body).toBe('ok');

      const old = await new Promise<Error | null>((resolve) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              path: '/',
              ca: m.caCert,
              servername: 'localhost',
              agent: false,
              minVersion: 'TLSv1.1',
              maxVersion: 'TLSv1.1',
              // Let OpenSSL 3 actually offer TLS 1.1 so that the server is the one refusing.
              ciphers: 'DEFAULT@SECLEVEL=0',
            },
            (res) => {
              res.resume();
              resolve(null);
            },
          )
          .on('error', resolve);
      });
      expect(old).toBeInstanceOf(Error);
      expect(clientErrors.length).toBeGreaterThan(0);
      expect(clientErrors.map((e) => e.message).join('\n')).toMatch(/unsupported protocol|version/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('uses an operator-supplied certificate as it is', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=vault.corp.example',
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 5 * DAY), // would be renewed if it were ours
      keys,
      signingAlgorithm: alg,
    });
    const certPem = cert.toString('pem');
    const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    fs.mkdirSync(path.join(dataDir, 'tls'));
    fs.writeFileSync(tlsFile('server.pem'), certPem);
    fs.writeFileSync(tlsFile('server-key.pem'), keyPem);

    const m = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    expect(m.created).toBe(false);
    expect(m.cert).toBe(certPem);
    expect(m.key).toBe(keyPem);
    expect(m.caCert).toBe('');
    expect(m.fingerprint).toBe(new NodeX509Certificate(certPem).fingerprint256);
    expect(fs.readdirSync(path.join(dataDir, 'tls')).sort()).toEqual(['server-key.pem', 'server.pem']);
    expect(fs.readFileSync(tlsFile('server.pem'), 'utf8')).toBe(certPem);
    expect(serverTlsOptions(m).cert).toBe(certPem);
  });

  it('re-issues a server certificate that is close to expiry, keeping the CA', async () => {
    const first = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    const later = new Date(NOW.getTime() + 380 * DAY);
    const renewed = await ensureTls(dataDir, { ...BASE, caKey, now: later });
    expect(renewed.created).toBe(true);
    expect(renewed.fingerprint).not.toBe(first.fingerprint);
    expect(renewed.caCert).toBe(first.caCert);
    const cert = new x509.X509Certificate(renewed.cert);
    expect(cert.notAfter.getTime()).toBeGreaterThan(later.getTime() + 390 * DAY);
  });

  it('re-issues when server.pem and server-key.pem do not belong together', async () => {
    const first = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'mnv-tls-other-'));
    try {
      const foreign = await ensureTls(other, { ...BASE, caKey: memoryCaKeyStore(), now: NOW });
      fs.writeFileSync(tlsFile('server-key.pem'), foreign.key);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    const fixed = await ensureTls(dataDir, { ...BASE, caKey, now: NOW });
    expect(fixed.created).toBe(true);
    expect(fixed.caCert).toBe(first.caCert);
  });

  it('rejects bad names and wraps file-system failures', async () => {
    await expect(ensureTls(dataDir, { hostnames: [], addresses: [], caKey, now: NOW })).rejects.toMatchObject({ code: 'invalid' });
    await expect(ensureTls(dataDir, { hostnames: ['bad name'], addresses: [], caKey, now: NOW })).rejects.toMatchObject({ code: 'invalid' });
    await expect(ensureTls(dataDir, { hostnames: ['localhost'], addresses: ['999.1.1.1'], caKey, now: NOW })).rejects.toMatchObject({ code: 'invalid' });

    const blocker = path.join(dataDir, 'file');
    fs.writeFileSync(blocker, 'x'); // "tls" cannot be made under a regular file
    const err = await ensureTls(blocker, { ...BASE, caKey, now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('internal');
    expect((err as AppError).publicMessage).toBe('TLS証明書を作成できませんでした。データフォルダの権限を確認してください。');
    expect((err as AppError).cause).toBeDefined();
  });
});

describe('defaultHostnames', () => {
  it('lists the host name, localhost and the loopback addresses', () => {
    const { hostnames, addresses } = defaultHostnames();
    expect(hostnames).toContain('localhost');
    expect(addresses).toEqual(expect.arrayContaining(['127.0.0.1', '::1']));
    const host = os.hostname().toLowerCase();
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(host) && host !== 'localhost') {
      expect(hostnames[0]).toBe(host);
      if (!host.endsWith('.local')) expect(hostnames).toContain(`${host}.local`);
    }
    for (const list of Object.values(os.networkInterfaces())) {
      for (const info of list ?? []) {
        if (!info.internal && info.family === 'IPv4') expect(addresses).toContain(info.address);
      }
    }
  });

  it('yields names ensureTls accepts', async () => {
    const m = await ensureTls(dataDir, { ...defaultHostnames(), caKey, now: NOW });
    expect(m.created).toBe(true);
    expect(sanOf(m.cert).dns).toContain('localhost');
  });
});

describe('serverTlsOptions', () => {
  it('chains the CA after the server certificate and pins TLS 1.2 as the floor', () => {
    const m: TlsMaterial = { key: 'K', cert: 'S\n', caCert: 'C\n', fingerprint: 'F' };
    expect(serverTlsOptions(m)).toEqual({ key: 'K', cert: 'S\nC\n', minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true });
    expect(serverTlsOptions({ ...m, caCert: '' }).cert).toBe('S\n');
  });
});
