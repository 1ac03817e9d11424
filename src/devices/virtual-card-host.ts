/**
 * Puts a virtual My Number card on the virtual reader of a private pcscd.
 * Development and tests only. The card runs in a child process (see
 * virtual-card-worker.ts) entered into the daemon's network namespace with
 * `nsenter`, where loopback acknowledges at once (private-pcscd.ts explains
 * the 40 ms it saves per exchange). The child runs the compiled file under
 * dist/ (`npm run build` first), also when the caller runs from the sources.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newIssuerKeyPem } from './mynumber-card-simulator.js';
import type { VirtualCardWorkerData } from './virtual-card-worker.js';

export interface VirtualCardOnReader {
  /** Takes the card off the reader; resolves once it is off. */
  remove(): Promise<void>;
  triesLeft(): Promise<number>;
}

function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/([/\\])src([/\\])devices([/\\])virtual-card-host\.ts$/u, '$1dist$1src$2devices$3virtual-card-worker.js') : here.replace(/virtual-card-host\.js$/u, 'virtual-card-worker.js');
  if (!existsSync(js)) throw new Error('the virtual card worker is not built: run npm run build');
  return js;
}

let issuerPem: string | undefined;

/**
 * Each card is signed with one issuer key made once per process (making one
 * takes a few hundred ms). Resolves once the card is connected to vpcd; the
 * card process dies with this one (pdeathsig).
 */
export function insertVirtualCardThread(data: VirtualCardWorkerData): Promise<VirtualCardOnReader> {
  issuerPem ??= newIssuerKeyPem();
  const child = spawn('nsenter', [`--net=${data.netns}`, 'setpriv', '--pdeathsig', 'KILL', process.execPath, workerPath()], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let closedResolve = () => {};
  const closed = new Promise<void>((r) => (closedResolve = r));
  void exited.then(() => closedResolve());
  const triesWaiters: ((n: number) => void)[] = [];
  child.send({ type: 'card', data: { ...data, options: { issuerKeyPem: issuerPem, ...data.options } } });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; left?: number; message?: string }) => {
      if (m.type === 'inserted') {
        resolve({
          async remove() {
            if (child.connected) child.send({ type: 'remove' });
            await closed;
            child.kill();
            await exited;
          },
          triesLeft() {
            return new Promise((r) => {
              triesWaiters.push(r);
              child.send({ type: 'tries' });
            });
          },
        });
      } else if (m.type === 'tries') triesWaiters.shift()?.(m.left!);
      else if (m.type === 'closed') closedResolve();
      else if (m.type === 'error') {
        child.kill();
        reject(new Error(m.message));
      }
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error('the virtual card process ended before the card was placed')));
  });
}
