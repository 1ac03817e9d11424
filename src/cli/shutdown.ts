import type { LogEvent } from '../log.js';
import type { RevealStore } from '../services/gate.js';
import type { Vault } from '../services/vault.js';
import { checkpointOnce } from '../storage/database.js';

/** What the stop needs of the listening server (node:http's Server has these). */
export interface StoppableServer {
  close(done: () => void): unknown;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** What `serve` holds open, in the order it is let go. */
export interface Running {
  server: StoppableServer;
  reveals: RevealStore;
  /** Closed one after another; a failing one is logged and the next still closes. */
  devices: ReadonlyArray<{ name: string; close(): Promise<void> }>;
  vault: Vault;
  /** How long requests in flight may take to finish before their connections are cut. */
  deadlineMs: number;
  log: LogEvent;
}

/**
 * The graceful stop (SIGTERM from systemd, Ctrl+C): no new connections; long
 * polls end; requests in flight finish until the deadline, then their
 * connections are cut; numbers opened in memory are zeroed; the devices are
 * released; the WAL is checkpointed into the database (TRUNCATE leaves an
 * empty -wal file); the database closes and every key of the vault is wiped.
 * Each step is logged as an event, without personal data. Never throws.
 */
export async function stopGracefully(r: Running): Promise<void> {
  const { server, reveals, vault, log } = r;
  log('info', 'stop_started', { deadline_ms: r.deadlineMs });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Waiting pages' long polls end now, and keep-alive connections with no request go.
  reveals.releaseWaiters();
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), r.deadlineMs)))]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (inTime) {
    log('info', 'requests_finished');
  } else {
    server.closeAllConnections();
    await closed;
    log('warn', 'requests_cut', { deadline_ms: r.deadlineMs });
  }
  reveals.clear();
  log('info', 'reveals_cleared');
  for (const device of r.devices) {
    try {
      await device.close();
      log('info', 'device_released', { device: device.name });
    } catch (err) {
      log('error', 'device_release_failed', { device: device.name, error: (err as Error)?.name ?? 'Error' });
    }
  }
  try {
    if (!vault.db.readonly) {
      const result = checkpointOnce(vault.db);
      log(result && result.busy === 0 ? 'info' : 'warn', 'wal_checkpointed', { busy: result?.busy ?? null, frames: result?.log ?? null, checkpointed: result?.checkpointed ?? null });
    }
  } catch (err) {
    log('error', 'wal_checkpoint_failed', { error: (err as Error)?.name ?? 'Error' });
  }
  try {
    vault.close();
    log('info', 'database_closed');
  } catch (err) {
    log('error', 'database_close_failed', { error: (err as Error)?.name ?? 'Error' });
  }
  const keys = [vault.dbKey, vault.keys.audit, vault.keys.index, vault.keys.pepper];
  log(keys.every((k) => k.wiped) ? 'info' : 'error', 'keys_wiped', { wiped: keys.filter((k) => k.wiped).length, of: keys.length });
  log('info', 'stopped');
}
