import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { newSoftAuthenticatorState, SoftAuthenticator, type SoftAuthenticatorState } from './soft-authenticator.js';

/** Where the simulated key keeps its state, and where `mnvault pinpad` sends touches (development only). */
export const simulatedKeyStatePath = (dataDir: string) => join(dataDir, 'simulated-security-key.json');
export const simulatedKeySocketPath = (dataDir: string) => join(dataDir, 'securitykey.sock');

export interface SimulatedKey {
  readonly authenticator: SoftAuthenticator;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * The software security key for `serve --simulate-devices`: real CTAP2
 * cryptography behind the same HID bus interface as node-hid, a key that
 * waits for touches (sent as lines over a local socket: `touch`, `unplug`,
 * `plug`), and a state file so enrolled credentials survive a restart.
 */
export async function startSimulatedKey(dataDir: string): Promise<SimulatedKey> {
  const statePath = simulatedKeyStatePath(dataDir);
  const save = (state: SoftAuthenticatorState) => {
    writeFileSync(statePath, JSON.stringify(state), { mode: 0o600 });
    chmodSync(statePath, 0o600);
  };
  const state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as SoftAuthenticatorState) : newSoftAuthenticatorState();
  if (!existsSync(statePath)) save(state);
  const authenticator = new SoftAuthenticator({ state, touch: 'manual', onStateChange: save, path: 'fido2:simulator' });
  const socketPath = simulatedKeySocketPath(dataDir);
  rmSync(socketPath, { force: true });
  const server = createServer((socket) => {
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const command = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (command === 'touch') socket.write(authenticator.touch() ? 'touched\n' : 'idle\n');
        else if (command === 'unplug') (authenticator.unplug(), socket.write('unplugged\n'));
        else if (command === 'plug') (authenticator.plug(), socket.write('plugged\n'));
        else socket.write('unknown\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    authenticator,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        authenticator.unplug();
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
