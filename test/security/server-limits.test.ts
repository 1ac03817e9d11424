import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { applyServerLimits, serverLimitOptions } from '../../src/web/server-limits.js';
import { createServer } from 'node:http';
import { newTestVault } from '../helpers/vault.js';

/** Opens a raw connection, sends half a request header, and resolves with the ms until the server closes it. */
function halfHeader(port: number, limitMs: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Number.POSITIVE_INFINITY);
    }, limitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
    s.on('error', () => {});
    s.resume();
  });
}

describe('server limits', () => {
  it('the running server has header, request and idle timeouts and a connection cap', async () => {
    const { vault } = await newTestVault();
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: false });
    try {
      const s = serving.server;
      expect(s.headersTimeout).toBeLessThanOrEqual(10_000);
      expect(s.requestTimeout).toBeLessThanOrEqual(60_000);
      expect(s.keepAliveTimeout).toBeLessThanOrEqual(5_000);
      expect(s.timeout).toBeGreaterThan(0);
      expect(s.timeout).toBeLessThanOrEqual(30_000);
      expect(s.maxConnections).toBeGreaterThan(0);
      expect(s.maxConnections).toBeLessThanOrEqual(500);
    } finally {
      await serving.stop();
    }
  });

  it('closes a connection whose header never completes, and refuses connections over the cap', async () => {
    const limits = { headersTimeoutMs: 500, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 500, idleTimeoutMs: 5_000, maxConnections: 2, checkIntervalMs: 100 };
    const server = createServer(serverLimitOptions(limits), (_req, res) => res.end('ok'));
    applyServerLimits(server, limits);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await halfHeader(port, 5_000)).toBeLessThan(2_000);
      // Two held connections fill the cap; a third is closed at once.
      const held = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
      for (const h of held) h.on('error', () => {});
      await new Promise((r) => setTimeout(r, 100));
      const third = await new Promise<number>((resolve) => {
        const t0 = Date.now();
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => resolve(Date.now() - t0));
      });
      expect(third).toBeLessThan(400);
      for (const h of held) h.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
