import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

/**
 * The simulated PIN pad's transport (development and tests only): a local
 * Unix socket that carries the same 8-byte boot-keyboard reports a USB pad
 * sends over hidraw, so the same decoder and gate code handle them.
 */
export interface ReportSource {
  onReport(listener: (report: Uint8Array) => void): void;
  onDisconnect(listener: () => void): void;
  close(): Promise<void>;
}

export function listenPinPadSocket(path: string): Promise<ReportSource & { server: Server }> {
  rmSync(path, { force: true });
  const reportListeners: ((r: Uint8Array) => void)[] = [];
  const goneListeners: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const report = new Uint8Array(pending.subarray(0, 8));
        pending = pending.subarray(8);
        for (const l of reportListeners) l(report);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      for (const l of goneListeners) l();
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () =>
      resolve({
        server,
        onReport: (l) => reportListeners.push(l),
        onDisconnect: (l) => goneListeners.push(l),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => {
              rmSync(path, { force: true });
              done();
            });
          }),
      }),
    );
  });
}
