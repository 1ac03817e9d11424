import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate as NodeX509Certificate, createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as fs from 'node:fs';
import type { ServerOptions } from 'node:https';
import { isIP } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppError } from '../domain/errors.js';
import { nameConstraintsDer, permittedAddress, readNameConstraints } from './tls-name-constraints.js';

// Node's webcrypto is the WebCrypto the library expects; the cast only bridges the two type declarations.
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

/**
 * TLS for the office LAN app. On first start the appliance makes its own small
 * CA (which the operator installs once on the office PCs) and a server
 * certificate signed by it; the server certificate is re-issued before it
 * expires or when the appliance gets a new name or address, while the CA stays
 * the same so the PCs keep trusting it. An operator who brings their own
 * certificate puts server.pem and server-key.pem in the tls folder (without a
 * ca.pem) and it is used as it is.
 *
 * The CA is name-constrained (critical) to the appliance's names and the LAN
 * ranges (tls-name-constraints.ts), and its private key lives only in the
 * encrypted vault (CaKeyStore), never in the tls folder; a ca-key.pem left by
 * an older version is moved into the vault and deleted.
 *
 * The clock never replaces anything: an existing CA or server key is kept
 * whatever the time says. A clock before the CA's notBefore refuses to start
 * (the time is wrong, not the CA); a server certificate whose notBefore is
 * ahead of the clock is kept as it is.
 *
 * Nothing here logs, and no error message carries key material.
 */

export interface TlsMaterial {
  /** Server private key, PEM. */
  key: string;
  /** Server certificate, PEM (an operator-supplied file may hold a chain). */
  cert: string;
  /** Local CA certificate, PEM; '' when the operator supplied the certificate. */
  caCert: string;
  /** SHA-256 of the server certificate's DER, upper-case hex pairs joined by ':'. */
  fingerprint: string;
}

export interface EnsureTlsOptions {
  hostnames: string[];
  addresses: string[];
  now: Date;
  /** Where the CA private key is kept (inside the encrypted vault in production). */
  caKey: CaKeyStore;
}

/** Keeps the local CA's private key (PKCS#8 PEM). */
export interface CaKeyStore {
  read(): string | null;
  write(pem: string): void;
}

const CA_NAME = 'mynumber-vault ローカルCA';
const ORG_NAME = 'mynumber-vault';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Browsers reject server certificates valid for more than 398 days. */
const SERVER_VALIDITY_DAYS = 397;
const CA_VALIDITY_YEARS = 10;
/** Re-issue the server certificate when fewer days than this remain. */
const RENEW_BEFORE_DAYS = 30;
/** Back-date notBefore a little so a PC whose clock is slightly behind still accepts the certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

const FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  cert: 'server.pem',
  key: 'server-key.pem',
} as const;

const DIR_MODE = 0o700;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;

const NAME_CONSTRAINTS_OID = '2.5.29.30';

const FS_FAILURE = 'TLS証明書を作成できませんでした。データフォルダの権限を確認してください。';

type Subtle = typeof webcrypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;
type WebCryptoKeyPair = Awaited<ReturnType<Subtle['generateKey']>> & { privateKey: WebCryptoKey; publicKey: WebCryptoKey };

interface LoadedCa {
  pem: string;
  cert: x509.X509Certificate;
  privateKey: WebCryptoKey;
}

/**
 * Makes sure the data folder holds usable TLS material and returns it.
 * `created` is true when a server certificate was issued by this call.
 */
export async function ensureTls(dataDir: string, opts: EnsureTlsOptions): Promise<TlsMaterial & { created: boolean }> {
  const hostnames = normalizeHostnames(opts.hostnames);
  const addresses = normalizeAddresses(opts.addresses);
  if (hostnames.length === 0) {
    throw new AppError('invalid', 'TLS証明書に入れるホスト名がありません。ホスト名を1つ以上指定してください。');
  }
  const now = opts.now;
  const dir = path.join(dataDir, 'tls');
  const file = (name: string): string => path.join(dir, name);

  const existing = fsStep(() => ({
    caCert: readIfExists(file(FILES.caCert)),
    caKey: readIfExists(file(FILES.caKey)),
    cert: readIfExists(file(FILES.cert)),
    key: readIfExists(file(FILES.key)),
  }));

  // The operator brought their own certificate: use it as it is.
  if (existing.cert !== null && existing.key !== null && existing.caCert === null) {
    return { key: existing.key, cert: existing.cert, caCert: '', fingerprint: operatorFingerprint(existing.cert), created: false };
  }

  // A CA key left in the tls folder by an older version moves into the vault, then the file goes.
  let caKeyPem = opts.caKey.read();
  if (existing.caKey !== null) {
    if (caKeyPem === null) {
      opts.caKey.write(existing.caKey);
      caKeyPem = existing.caKey;
    }
    fsStep(() => {
      fs.rmSync(file(FILES.caKey), { force: true });
      syncDir(dir);
    });
  }

  let ca: LoadedCa | null = null;
  if (existing.caCert !== null) {
    ca = await loadCa(existing.caCert, caKeyPem, now);
  }

  if (ca !== null && existing.cert !== null && existing.key !== null) {
    const reusable = await serverCertReusable(existing.cert, existing.key, ca, hostnames, addresses, now);
    if (reusable !== null) {
      return { key: existing.key, cert: existing.cert, caCert: ca.pem, fingerprint: reusable, created: false };
    }
  }

  fsStep(() => {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    if (process.platform !== 'win32') fs.chmodSync(dir, DIR_MODE);
  });

  if (ca === null) {
    const created = await createCa(now, hostnames, addresses);
    // Key first (into the vault): a crash between the two writes leaves a key
    // that does not match ca.pem, which the next start detects and repairs.
    opts.caKey.write(created.keyPem);
    fsStep(() => writeAtomic(dir, FILES.caCert, created.ca.pem, CERT_MODE));
    ca = created.ca;
  }

  const server = await issueServerCert(ca, permittedHostnames(ca, hostnames), permittedAddresses(ca, addresses), now);
  fsStep(() => {
    writeAtomic(dir, FILES.key, server.keyPem, KEY_MODE);
    writeAtomic(dir, FILES.cert, server.certPem, CERT_MODE);
  });

  return { key: server.keyPem, cert: server.certPem, caCert: ca.pem, fingerprint: server.fingerprint, created: true };
}

/** The DNS names in DATA/tls/server.pem, LAN names before localhost; [] without a certificate. */
export function certificateDnsNames(dataDir: string): string[] {
  try {
    const san = new NodeX509Certificate(fs.readFileSync(path.join(dataDir, 'tls', FILES.cert))).subjectAltName ?? '';
    const names = san.split(', ').filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
    return [...names.filter((n) => n !== 'localhost'), ...names.filter((n) => n === 'localhost')];
  } catch {
    return [];
  }
}

/** The names this machine is likely reached by on the office LAN. */
export function defaultHostnames(): { hostnames: string[]; addresses: string[] } {
  const hostnames: string[] = [];
  const host = os.hostname().trim().toLowerCase().replace(/\.$/, '');
  if (isDnsName(host) && host !== 'localhost') {
    hostnames.push(host);
    if (!host.endsWith('.local')) hostnames.push(`${host}.local`);
  }
  hostnames.push('localhost');

  const addresses: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      if (!info.internal) addresses.push(info.address);
    }
  }
  addresses.push('127.0.0.1', '::1');
  return { hostnames: normalizeHostnames(hostnames), addresses: normalizeAddresses(addresses) };
}

/**
 * The suites offered: on TLS 1.2 only ECDHE (forward secrecy) with AES-GCM or
 * ChaCha20-Poly1305 (no CBC, no SHA-1 MAC, no CCM8, no static RSA), for ECDSA
 * (our own certificate) and RSA (an operator's); TLS 1.3's AEAD suites.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Options for https.createServer: the chain (server then CA), TLS 1.2 or later, and the suites above only. */
export function serverTlsOptions(m: TlsMaterial): ServerOptions {
  const cert = m.caCert === '' ? m.cert : `${ensureTrailingNewline(m.cert)}${m.caCert}`;
  return { key: m.key, cert, minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true };
}

// ---------------------------------------------------------------------------
// Certificates

async function createCa(now: Date, hostnames: string[], addresses: string[]): Promise<{ ca: LoadedCa; keyPem: string }> {
  const keys = await generateKeyPair();
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ O: [ORG_NAME] }, { CN: [CA_NAME] }]),
    notBefore,
    notAfter,
    signingAlgorithm: SIGN_ALG,
    keys: keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension(NAME_CONSTRAINTS_OID, true, nameConstraintsDer(hostnames, addresses)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = await exportPkcs8Pem(keys.privateKey);
  return { ca: { pem: cert.toString('pem'), cert, privateKey: keys.privateKey }, keyPem };
}

async function issueServerCert(
  ca: LoadedCa,
  hostnames: string[],
  addresses: string[],
  now: Date,
): Promise<{ certPem: string; keyPem: string; fingerprint: string }> {
  const keys = await generateKeyPair();
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore.getTime() + SERVER_VALIDITY_DAYS * DAY_MS);
  const san: { type: 'dns' | 'ip'; value: string }[] = [
    ...hostnames.map((value) => ({ type: 'dns' as const, value })),
    ...addresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([{ CN: [hostnames[0] as string] }]),
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: SIGN_ALG,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(san, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return {
    certPem: cert.toString('pem'),
    keyPem: await exportPkcs8Pem(keys.privateKey),
    fingerprint: fingerprintOf(cert.rawData),
  };
}

/**
 * Loads the local CA; null when it is unusable (broken, expired, no key or a
 * key that does not match) and must be made anew. A clock before the CA's
 * notBefore is never a reason to replace it: start-up is refused instead.
 */
async function loadCa(certPem: string, keyPem: string | null, now: Date): Promise<LoadedCa | null> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    return null;
  }
  // The CA is back-dated by CLOCK_SKEW_MS, so this is a clock behind by more than that since the CA was made.
  if (now.getTime() < cert.notBefore.getTime()) {
    throw new AppError('invalid', clockBehindMessage(cert.notBefore, now));
  }
  try {
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    if (!basic?.ca || keyPem === null) return null;
    // The CA must outlive any server certificate it would sign now.
    if (cert.notAfter.getTime() < now.getTime() + (SERVER_VALIDITY_DAYS + 1) * DAY_MS) return null;
    if (!new NodeX509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) return null;
    const privateKey = await importPrivateKey(keyPem);
    return { pem: certPem, cert, privateKey };
  } catch {
    return null;
  }
}

/** The refusal when the clock is before the local CA was made. */
export function clockBehindMessage(caNotBefore: Date, now: Date): string {
  return `この装置の時計（${now.toISOString()}）がローカルCAの作成日時（${caNotBefore.toISOString()}）より前になっています。時計が遅れているため起動しません（CAを作り直すと各PCが装置を信頼しなくなるため、作り直しもしません）。NTPで時刻を合わせてから起動し直してください（時刻の確認: timedatectl status）。`;
}

/** The host names the CA's name constraints permit (all of them for a CA without constraints). */
function permittedHostnames(ca: LoadedCa, hostnames: string[]): string[] {
  const permitted = constraintNames(ca, 'dns');
  if (permitted === null) return hostnames;
  const ok = hostnames.filter((h) => permitted.some((p) => h === p || h.endsWith(`.${p}`)));
  return ok.length > 0 ? ok : hostnames.slice(0, 1);
}

function permittedAddresses(ca: LoadedCa, addresses: string[]): string[] {
  const extra = constraintNames(ca, 'ip');
  if (extra === null) return addresses;
  return addresses.filter((a) => permittedAddress(a, extra));
}

/** The DNS names (or single-host IPs) in the CA's permitted subtrees; null when the CA has no name constraints. */
function constraintNames(ca: LoadedCa, kind: 'dns' | 'ip'): string[] | null {
  const ext = ca.cert.extensions.find((e) => e.type === NAME_CONSTRAINTS_OID);
  if (!ext) return null;
  const read = readNameConstraints(new Uint8Array(ext.value));
  return kind === 'dns' ? read.dns : read.hosts.map((h) => canonicalIp(h) ?? h);
}

/** The server certificate's fingerprint when it can be kept, otherwise null. */
async function serverCertReusable(
  certPem: string,
  keyPem: string,
  ca: LoadedCa,
  hostnames: string[],
  addresses: string[],
  now: Date,
): Promise<string | null> {
  try {
    const cert = new x509.X509Certificate(certPem);
    // A notBefore ahead of the clock keeps the certificate: the clock is behind, not the certificate wrong.
    if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return null;
    if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return null;
    if (!new NodeX509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) return null;

    const dns = new Set<string>();
    const ips = new Set<string>();
    for (const ext of cert.getExtensions(x509.SubjectAlternativeNameExtension)) {
      for (const name of ext.names.items) {
        if (name.type === 'dns') dns.add(name.value.toLowerCase());
        else if (name.type === 'ip') {
          const canonical = canonicalIp(name.value);
          if (canonical !== null) ips.add(canonical);
        }
      }
    }
    if (!permittedHostnames(ca, hostnames).every((h) => dns.has(h))) return null;
    if (!permittedAddresses(ca, addresses).every((a) => ips.has(a))) return null;
    return fingerprintOf(cert.rawData);
  } catch {
    return null;
  }
}

function operatorFingerprint(certPem: string): string {
  try {
    // server.pem may hold a chain; the first certificate is the server's.
    return fingerprintOf(new NodeX509Certificate(certPem).raw);
  } catch (cause) {
    throw new AppError('invalid', 'tlsフォルダのserver.pemを証明書として読めませんでした。PEM形式の証明書を置いてください。', { cause });
  }
}

function fingerprintOf(der: ArrayBuffer | Uint8Array): string {
  const hex = createHash('sha256').update(new Uint8Array(der)).digest('hex').toUpperCase();
  return (hex.match(/../g) ?? []).join(':');
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive and a full 16 bytes long: clear the sign bit, keep the first byte non-zero.
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function generateKeyPair(): Promise<WebCryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as WebCryptoKeyPair;
}

async function exportPkcs8Pem(key: WebCryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importPrivateKey(pem: string): Promise<WebCryptoKey> {
  // Through a KeyObject so that SEC1 ("EC PRIVATE KEY") files load too.
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_ALG, false, ['sign']);
}

// ---------------------------------------------------------------------------
// Names and addresses

function isDnsName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(s);
}

function normalizeHostnames(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const h = raw.trim().toLowerCase().replace(/\.$/, '');
    if (!isDnsName(h)) {
      throw new AppError('invalid', `TLS証明書のホスト名「${raw}」が正しくありません。英数字・ハイフン・ドットで指定してください。`);
    }
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

function normalizeAddresses(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const a = canonicalIp(raw);
    if (a === null) {
      throw new AppError('invalid', `TLS証明書のIPアドレス「${raw}」が正しくありません。IPv4またはIPv6のアドレスを指定してください。`);
    }
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/**
 * One spelling per address: dotted decimal for IPv4, RFC 5952 for IPv6 (no
 * zone id, an embedded IPv4 tail converted to hex groups, which
 * @peculiar/x509 cannot parse), so that comparisons are plain string equality.
 */
function canonicalIp(raw: string): string | null {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s);
  if (kind === 4) return s.split('.').map((p) => String(Number(p))).join('.');
  if (kind !== 6) return null;

  let text = s.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  if (groups.length !== 8) return null;
  return compressIpv6(groups.map((g) => parseInt(g, 16).toString(16)));
}

/** RFC 5952: the longest run (two or more) of zero groups becomes '::'. */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

// ---------------------------------------------------------------------------
// Files

function fsStep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError('internal', FS_FAILURE, { cause });
  }
}

function readIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Writes to a temporary name in the same folder, flushes, then renames over the target. */
function writeAtomic(dir: string, name: string, content: string, mode: number): void {
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temp, 'wx', mode);
    fs.writeFileSync(fd, content, 'utf8');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    if (process.platform !== 'win32') fs.chmodSync(temp, mode); // the umask may have narrowed or the file system widened it
    fs.renameSync(temp, target);
  } catch (err) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // already failing
    }
    throw err;
  }
  syncDir(dir);
}

function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: some file systems do not allow fsync on a directory.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function ensureTrailingNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
