import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Response } from 'express';
import type { WebDeps } from '../app.js';
import { CA_MESSAGES } from '../messages-setup.js';
import { tlsInfo } from '../setup-checks.js';

export interface LocalCa {
  pem: string;
  der: Buffer;
  /** Upper-case hex pairs joined by ':', as browsers and certmgr show them. */
  sha256: string;
  sha1: string;
  subject: string;
  notAfter: Date;
}

/** The local CA's certificate in DATA/tls/ca.pem; null when the operator brought their own certificate. */
export function readLocalCa(dataDir: string): LocalCa | null {
  let pem: string;
  try {
    pem = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error('read the local CA certificate', { cause: err });
  }
  const cert = new X509Certificate(pem);
  const cn = /(?:^|\n)CN=([^\n]+)/u.exec(cert.subject)?.[1] ?? cert.subject;
  return { pem, der: cert.raw, sha256: cert.fingerprint256, sha1: cert.fingerprint, subject: cn, notAfter: new Date(cert.validTo) };
}

/**
 * The local CA certificate and how to install it on the office PCs. Open
 * before sign-in (the LAN allow-list still applies): a PC must fetch it over
 * the connection it does not trust yet, and a certificate is public. The page
 * says to compare fingerprints obtained another way (the CA's on the
 * appliance's console, the server certificate's printed by the installer),
 * since this copy cannot vouch for itself.
 */
export function caRoutes(deps: WebDeps): Router {
  const r = Router();
  const ca = () => readLocalCa(deps.vault.dataDir);
  r.get('/', (_req, res) => {
    const c = ca();
    const server = tlsInfo(deps.vault.dataDir, deps.vault.clock.now());
    res.render('ca/index', { c: CA_MESSAGES, ca: c && { sha256: c.sha256, sha1: c.sha1, subject: c.subject, notAfter: c.notAfter.toISOString() }, serverFingerprint: server.fingerprint });
  });
  const send = (res: Response, filename: string, body: Buffer | string) => {
    res.set('Content-Type', 'application/x-x509-ca-cert');
    res.set('Content-Disposition', `attachment; filename="${filename}"`);
    res.send(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  };
  const files: Record<string, (c: LocalCa) => Buffer | string> = {
    'ca.pem': (c) => c.pem,
    'mnvault-ca.crt': (c) => c.pem,
    'mnvault-ca.der': (c) => c.der,
  };
  for (const [name, body] of Object.entries(files)) {
    r.get(`/${name}`, (_req, res) => {
      const c = ca();
      if (!c) return res.status(404).render('error', { message: CA_MESSAGES.none });
      send(res, name, body(c));
    });
  }
  return r;
}
