import { connect, type Socket } from 'node:net';
import { AppError } from '../domain/errors.js';

/**
 * The terminal side of the development simulators (`mnvault door`, `mnvault
 * pinpad`): the control socket of the running server, and the keys typed.
 */

/** Connects to a simulator's socket; one that is not there is 'device_unavailable' with `missing` as the message. */
export async function connectSimulator(path: string, missing: string): Promise<Socket> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', () => reject(new AppError('device_unavailable', missing)));
  });
  return socket;
}

/** What readKeys reads: process.stdin, or a stream standing for it in tests. */
export type KeyInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/**
 * Passes each key typed to `onKey`, the terminal in raw mode when it is one,
 * until Ctrl+C or Ctrl+D, the end of input, or `device` closing; the terminal
 * is restored and input paused before the promise resolves.
 */
export function readKeys(device: { once(event: 'close', listener: () => void): unknown }, onKey: (ch: string) => void, stdin: KeyInput = process.stdin): Promise<void> {
  if (stdin.isTTY) stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stdin.removeListener('data', onData);
      if (stdin.isTTY) stdin.setRawMode?.(false);
      stdin.pause();
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of Buffer.isBuffer(chunk) ? chunk.toString('latin1') : chunk) {
        if (ch === '\x03' || ch === '\x04') return finish();
        onKey(ch);
      }
    };
    device.once('close', finish);
    stdin.on('data', onData);
    stdin.once('end', finish);
  });
}
