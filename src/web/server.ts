import type { Express } from 'express';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AppError } from '../domain/errors.js';
import { logEvent } from '../log.js';
import { applyServerLimits, serverLimitOptions } from './server-limits.js';
import { defaultHostnames, ensureTls, serverTlsOptions, type CaKeyStore } from './tls.js';

export type { Server };

/** How often the running server checks whether its certificate is due for renewal. */
const TLS_RENEWAL_CHECK_MS = 12 * 60 * 60 * 1000;

export interface ListenOptions {
  port: number;
  host: string;
  /** Plain HTTP (the caller allows it on loopback only). */
  http: boolean;
  dataDir: string;
  now: () => Date;
  caKey: CaKeyStore;
}

export interface Listening {
  server: Server;
  /** The port bound (the one chosen by the system when 0 was asked). */
  port: number;
  fingerprint: string | null;
  /** Re-issues the server certificate if it is due and serves the new one; true when it did. */
  renewTls(): Promise<boolean>;
  /** Stops the renewal timer (the server itself is closed by the graceful stop). */
  stopRenewal(): void;
}

/**
 * Serves the app: HTTPS (TLS 1.2+, the local CA's certificate from DATA/tls,
 * made on first start and renewed while running) or plain HTTP, with the
 * server's limits applied.
 */
export async function listen(app: Express, opts: ListenOptions): Promise<Listening> {
  let fingerprint: string | null = null;
  let server: Server;
  let renewal: NodeJS.Timeout | undefined;
  let renewTls = (): Promise<boolean> => Promise.resolve(false);
  if (opts.http) {
    server = createHttpServer(serverLimitOptions(), app);
  } else {
    const tlsOptions = () => ({ ...defaultHostnames(), now: opts.now(), caKey: opts.caKey });
    const tls = await ensureTls(opts.dataDir, tlsOptions());
    fingerprint = tls.fingerprint;
    const https = createHttpsServer({ ...serverTlsOptions(tls), ...serverLimitOptions() }, app);
    server = https;
    // Renew the server certificate while running (30 days before it expires), without a restart.
    renewTls = async () => {
      try {
        const next = await ensureTls(opts.dataDir, tlsOptions());
        if (!next.created) return false;
        https.setSecureContext(serverTlsOptions(next));
        logEvent('info', 'tls_renewed', { fingerprint: next.fingerprint });
        return true;
      } catch (e) {
        logEvent('warn', 'tls_renewal_failed', { error: (e as Error)?.name ?? 'Error' });
        return false;
      }
    };
    renewal = setInterval(() => void renewTls(), TLS_RENEWAL_CHECK_MS);
    renewal.unref();
  }
  applyServerLimits(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      clearInterval(renewal);
      reject(listenFault(err, opts.host, opts.port));
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { server, port, fingerprint, renewTls: () => renewTls(), stopRenewal: () => clearInterval(renewal) };
}

/** A listen that fails is named: the port taken by another program, a port this user may not open, an address not on this machine. */
function listenFault(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new AppError('conflict', `${where} は別のプログラム（またはもう一つの mnvault serve）が使っています。そのプログラムを止めるか、--port で別のポートを指定してください。`, { cause: err });
    case 'EACCES':
      return new AppError('forbidden', `${where} を開く権限がありません（1024未満のポートには権限が必要です）。サービスとして起動するか、1024以上のポートを指定してください。`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new AppError('invalid', `${host} はこの機械のアドレスではありません。--host にこの機械のアドレスを指定してください。`, { cause: err });
    default:
      return err;
  }
}
