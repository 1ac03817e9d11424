import type { Server } from 'node:http';

/**
 * Limits on the LAN server's connections, so that a client that opens
 * connections and sends nothing (or a header a byte at a time) cannot hold
 * them: headers must arrive within headersTimeoutMs, a whole request within
 * requestTimeoutMs (a 10 MB CSV upload over the office LAN takes seconds),
 * an idle keep-alive connection closes after keepAliveTimeoutMs, any socket
 * silent for idleTimeoutMs closes, and at most maxConnections are open at
 * once (more are refused by the kernel accept loop until one closes).
 */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** How often Node checks the header and request timeouts (its default is 30 s). */
  checkIntervalMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxConnections: 200,
  checkIntervalMs: 1_000,
};

/** Options for http(s).createServer; the rest is set by applyServerLimits. */
export function serverLimitOptions(l: ServerLimits = SERVER_LIMITS): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return { headersTimeout: l.headersTimeoutMs, requestTimeout: l.requestTimeoutMs, keepAliveTimeout: l.keepAliveTimeoutMs, connectionsCheckingInterval: l.checkIntervalMs };
}

export function applyServerLimits(server: Server, l: ServerLimits = SERVER_LIMITS): void {
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxConnections = l.maxConnections;
  server.setTimeout(l.idleTimeoutMs);
}
