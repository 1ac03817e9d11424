// The door's serial adapter: a USB-serial port (relay out, reed switch on a modem line in) through
// the serialport binding, behind the SerialLine port of domain/ports.ts. The door's own logic over
// that port (the monitor, polling, the relay pulse) is pure and lives in door-monitor.ts.
import { SerialPort } from 'serialport';
import type { ModemLines, SerialLine } from '../domain/ports.js';

export type { ModemLines, SerialLine } from '../domain/ports.js';

/** A relay command that has not left within this long has failed (a port closed under it never answers). */
export const WRITE_TIMEOUT_MS = 2_000;

/** Opens a serial device (9600 8N1, as LCUS relays use) through the real serialport binding. */
export async function openSerialLine(path: string, baudRate = 9600, writeTimeoutMs = WRITE_TIMEOUT_MS): Promise<SerialLine> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(Object.assign(new Error('serial write timed out'), { code: 'ETIMEDOUT' })), writeTimeoutMs);
        const settle = (err: Error | null | undefined) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        port.write(Buffer.from(bytes), (err) => (err ? settle(err) : port.drain((e) => settle(e))));
      }),
    get: () => new Promise<ModemLines>((resolve, reject) => port.get((err, status) => (err || !status ? reject(err ?? new Error('no modem status')) : resolve(status)))),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/**
 * A serial line opened on first use and opened again after any failure, so a
 * USB adapter unplugged and plugged back works again without a restart (each
 * failure still reaches the caller, which reports it).
 */
export function reopeningSerialLine(path: string, open: (path: string) => Promise<SerialLine> = (p) => openSerialLine(p)): SerialLine {
  let current: Promise<SerialLine> | undefined;
  // One operation at a time: the relay and the sensor may share an adapter, and a
  // failing sensor read must not close the port under a relay write (the lock command).
  let turn: Promise<unknown> = Promise.resolve();
  const drop = () => {
    const broken = current;
    current = undefined;
    // The line already failed; closing it is tidying up, and its own error adds nothing.
    void broken?.then((l) => l.close()).catch(() => undefined);
  };
  const use = <T>(fn: (l: SerialLine) => Promise<T>): Promise<T> => {
    const run = turn.then(async () => {
      current ??= open(path);
      try {
        return await fn(await current);
      } catch (err) {
        drop();
        throw err;
      }
    });
    turn = run.catch(() => undefined);
    return run;
  };
  return {
    write: (bytes) => use((l) => l.write(bytes)),
    get: () => use((l) => l.get()),
    close: async () => {
      const l = current;
      current = undefined;
      if (l)
        await l.then(
          (x) => x.close(),
          () => undefined,
        );
    },
  };
}
