import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { formatSyslog, frame } from '../audit/syslog-format.js';
import { AppError } from '../domain/errors.js';
import { namedAuditRow } from '../storage/audit-repo.js';
import type { Vault } from './vault.js';

export interface SyslogTarget {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  /** PEM of the CA that signed the receiver's certificate (TLS); the system's CAs when absent. */
  ca?: Buffer | undefined;
}

export interface SyslogStatus {
  target: string;
  state: 'connecting' | 'connected' | 'backoff' | 'stopped';
  sent: number;
  queued: number;
  dropped: number;
  lastSeq: number;
  lastError: string | null;
}

export interface ForwarderOptions {
  /** Messages held while the receiver is away; beyond this the oldest are dropped (and counted). */
  capacity?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  connectTimeoutMs?: number;
  hostname?: string;
}

/**
 * Copies each committed audit event to a remote syslog (RFC 5424, octet-
 * counted over TCP, or over TLS per RFC 5425): a second witness outside the
 * appliance. It never blocks or fails an append: the trail only nudges it
 * (AuditTrail.onAppend); on the next turn of the event loop, when the
 * synchronous transaction has committed or rolled back, it reads the new rows
 * back from the database and queues their messages in memory (bounded). It
 * reconnects with doubling backoff. Events appended before it started are not
 * sent; nor are those dropped when the queue was full (the count is shown).
 */
export class SyslogForwarder {
  private queue: Buffer[] = [];
  private queueSeqs: number[] = [];
  private socket: Socket | undefined;
  private writing = false;
  private state: SyslogStatus['state'] = 'connecting';
  private sent = 0;
  private dropped = 0;
  private lastSeq: number;
  private lastSentSeq = 0;
  private lastError: string | null = null;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private drainScheduled = false;
  private unsubscribe: () => void;
  private readonly capacity: number;
  private readonly host: string;

  constructor(private readonly vault: Pick<Vault, 'db' | 'auditRepo' | 'audit' | 'vaultId'>, private readonly target: SyslogTarget, private readonly opts: ForwarderOptions = {}) {
    this.capacity = opts.capacity ?? 10_000;
    this.backoffMs = opts.minBackoffMs ?? 1000;
    this.host = opts.hostname ?? hostname();
    this.lastSeq = vault.auditRepo.head()?.seq ?? 0;
    this.unsubscribe = vault.audit.onAppend(() => this.scheduleDrain());
    this.connect();
  }

  status(): SyslogStatus {
    return { target: `${this.target.protocol}://${this.target.host}:${this.target.port}`, state: this.state, sent: this.sent, queued: this.queue.length, dropped: this.dropped, lastSeq: this.lastSentSeq, lastError: this.lastError };
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.state === 'stopped') return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Reads committed rows after lastSeq into the queue. Runs outside any transaction (transactions are synchronous). */
  private drain(): void {
    if (this.state === 'stopped' || !this.vault.db.open) return;
    if (this.vault.db.inTransaction) return this.scheduleDrain();
    const ctx = { hostname: this.host, procId: String(process.pid), vaultId: this.vault.vaultId };
    for (const raw of this.vault.auditRepo.iterateRaw(this.lastSeq + 1)) {
      const row = namedAuditRow(raw);
      this.queue.push(frame(formatSyslog(row, ctx)));
      const { seq } = row;
      this.queueSeqs.push(seq);
      this.lastSeq = seq;
      if (this.queue.length > this.capacity) {
        this.queue.shift();
        this.queueSeqs.shift();
        this.dropped++;
      }
    }
    this.pump();
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const { host, port } = this.target;
    const socket =
      this.target.protocol === 'tls'
        ? tlsConnect({ host, port, ca: this.target.ca, servername: isIP(host) ? undefined : host, minVersion: 'TLSv1.2' })
        : netConnect({ host, port });
    this.socket = socket;
    socket.setTimeout(this.opts.connectTimeoutMs ?? 10_000, () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    socket.once(this.target.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.state = 'connected';
      this.lastError = null;
      this.backoffMs = this.opts.minBackoffMs ?? 1000;
      this.pump();
    });
    // The receiver sends nothing back; reading keeps the socket flowing and notices a close.
    socket.on('data', () => undefined);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err.code ?? err.name;
    });
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.writing = false;
      if (this.state === 'stopped') return;
      this.state = 'backoff';
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.timer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 60_000);
    });
  }

  /** Writes queued messages while the socket takes them; waits for 'drain' when it is full. */
  private pump(): void {
    const socket = this.socket;
    if (this.state !== 'connected' || !socket || this.writing) return;
    while (this.queue.length) {
      // Up to 64 KiB per write.
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && bytes < 65_536) bytes += this.queue[n++]!.length;
      const chunk = Buffer.concat(this.queue.splice(0, n));
      const seqs = this.queueSeqs.splice(0, n);
      const more = socket.write(chunk);
      this.sent += n;
      this.lastSentSeq = seqs.at(-1)!;
      if (!more) {
        this.writing = true;
        socket.once('drain', () => {
          this.writing = false;
          this.pump();
        });
        return;
      }
    }
  }

  /** Stops: what is queued is written if connected, then the connection ends. */
  async stop(): Promise<void> {
    if (this.state !== 'stopped') this.drain();
    this.state = 'stopped';
    this.unsubscribe();
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      t.unref();
      socket.end(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Starts the forwarder from the configuration (MNVAULT_SYSLOG, MNVAULT_SYSLOG_CA); the CA file must be readable. */
export function startSyslog(vault: Pick<Vault, 'db' | 'auditRepo' | 'audit' | 'vaultId'>, config: { protocol: 'tcp' | 'tls'; host: string; port: number; caPath: string | undefined }, opts: ForwarderOptions = {}): SyslogForwarder {
  let ca: Buffer | undefined;
  if (config.caPath) {
    try {
      ca = readFileSync(config.caPath);
    } catch (cause) {
      throw new AppError('invalid', `MNVAULT_SYSLOG_CA のファイル（${config.caPath}）を読めません。パスと権限を確認してください。`, { cause });
    }
  }
  return new SyslogForwarder(vault, { protocol: config.protocol, host: config.host, port: config.port, ca }, opts);
}
