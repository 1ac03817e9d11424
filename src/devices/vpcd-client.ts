/**
 * The card side of vsmartcard's virtual reader (vpcd, Debian `vsmartcard-vpcd`):
 * pcscd's vpcd driver listens on a TCP port (35963 by default) and a virtual
 * card connects to it. Each message both ways is a 2-byte big-endian length and
 * a payload. A 1-byte payload from the reader is a control code: 00 power off,
 * 01 power on, 02 reset (no answer), 04 send the ATR (answered with the ATR).
 * A longer payload is a command APDU, answered with the response APDU.
 *
 * Development and tests only: closing the socket is the card leaving the reader.
 */
import { connect, type Socket } from 'node:net';

export interface VirtualCard {
  atr(): Uint8Array;
  /** Power off or reset: volatile state (selection, verified PIN) is lost. */
  reset(): void;
  respond(apdu: Uint8Array): Uint8Array;
}

export interface VpcdConnection {
  /** Takes the card out of the reader (closes the socket). */
  remove(): void;
  readonly closed: Promise<void>;
}

/** Connects `card` to vpcd at host:port; resolves once connected. */
export function insertVirtualCard(card: VirtualCard, port: number, host = '127.0.0.1'): Promise<VpcdConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host });
    let pending = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const send = (payload: Uint8Array) => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(payload.length, 0);
      socket.write(Buffer.concat([head, payload]));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const n = pending.readUInt16BE(0);
        if (pending.length < 2 + n) break;
        const msg = pending.subarray(2, 2 + n);
        pending = pending.subarray(2 + n);
        if (n === 1) {
          const code = msg[0];
          if (code === 0x04) send(card.atr());
          else if (code === 0x00 || code === 0x02) card.reset();
          // 0x01 power on: nothing to answer.
        } else if (n > 1) {
          send(card.respond(new Uint8Array(msg)));
        }
      }
    });
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.setNoDelay(true);
      resolve({ remove: () => socket.destroy(), closed });
    });
    socket.on('error', (err) => {
      if (!connected) reject(new Error(`connect to the virtual reader on port ${port}`, { cause: err }));
      socket.destroy();
    });
  });
}
