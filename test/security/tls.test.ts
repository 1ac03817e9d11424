import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { ensureTls, serverTlsOptions, type TlsMaterial } from '../../src/web/tls.js';
import { memoryCaKeyStore } from '../helpers/tls.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { testApp } from '../helpers/web.js';

let dir: string;
let m: TlsMaterial;
let server: https.Server;
let port: number;

beforeAll(async () => {
  dir = tempDir('mnv-tls-suites-');
  m = await ensureTls(dir, { hostnames: ['localhost'], addresses: ['127.0.0.1'], now: new Date(), caKey: memoryCaKeyStore() });
  server = https.createServer(serverTlsOptions(m), (_req, res) => res.end('ok'));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A TLS 1.2 handshake offering only `ciphers`; resolves to the suite agreed or the error. */
function handshake(ciphers: string): Promise<string | Error> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: m.caCert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `${ciphers}@SECLEVEL=0` }, () => {
      const name = s.getCipher().name;
      s.end();
      resolve(name);
    });
    s.on('error', resolve);
  });
}

describe('TLS suites', () => {
  it('refuses CBC/SHA-1, CBC/SHA-256 and CCM8 suites on TLS 1.2, and agrees ECDHE with GCM or ChaCha20', async () => {
    for (const weak of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-AES256-CCM']) {
      expect(await handshake(weak), weak).toBeInstanceOf(Error);
    }
    expect(await handshake('ECDHE-ECDSA-AES128-GCM-SHA256')).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(await handshake('ECDHE-ECDSA-CHACHA20-POLY1305')).toBe('ECDHE-ECDSA-CHACHA20-POLY1305');
  });

  it('passes scripts/check-tls.sh (testssl.sh: TLS 1.2 and 1.3 only, ECDHE with AEAD suites only)', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(packagePath('scripts', 'check-tls.sh'), [`127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.out).toMatch(/check-tls: OK/u);
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('cookies and CSP over HTTPS', () => {
  it('names the cookies with the __Host- prefix (Secure, Path=/, no Domain) and allows fonts from self only', async () => {
    const { vault } = await newTestVault();
    try {
      const res = await request(testApp(vault, { secure: true })).get('/login');
      const cookies = (res.headers['set-cookie'] as unknown as string[]) ?? [];
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) {
        expect(c).toMatch(/^__Host-mnv_/u);
        expect(c).toMatch(/; Secure/u);
        expect(c).toMatch(/; Path=\//u);
        expect(c).not.toMatch(/Domain=/iu);
      }
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toMatch(/font-src 'self'(;|$)/u);
      expect(csp).not.toMatch(/https:/u);
    } finally {
      vault.close();
    }
  });
});
