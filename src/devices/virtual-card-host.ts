/**
 * Puts a virtual My Number card on the virtual reader from a worker thread
 * (see virtual-card-worker.ts for why). Development and tests only. The worker
 * runs the compiled file under dist/ (`npm run build` first), also when the
 * caller runs from the TypeScript sources.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
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

/** Each card is signed with one issuer key made once per process (making one takes a few hundred ms). */
export function insertVirtualCardThread(data: VirtualCardWorkerData): Promise<VirtualCardOnReader> {
  issuerPem ??= newIssuerKeyPem();
  const worker = new Worker(workerPath(), { workerData: { ...data, options: { issuerKeyPem: issuerPem, ...data.options } } });
  let closedResolve = () => {};
  const closed = new Promise<void>((r) => (closedResolve = r));
  const triesWaiters: ((n: number) => void)[] = [];
  return new Promise((resolve, reject) => {
    worker.on('message', (m: { type: string; left?: number; message?: string }) => {
      if (m.type === 'inserted') {
        resolve({
          async remove() {
            worker.postMessage({ type: 'remove' });
            await closed;
            await worker.terminate();
          },
          triesLeft() {
            return new Promise((r) => {
              triesWaiters.push(r);
              worker.postMessage({ type: 'tries' });
            });
          },
        });
      } else if (m.type === 'tries') triesWaiters.shift()?.(m.left!);
      else if (m.type === 'closed') closedResolve();
      else if (m.type === 'error') {
        void worker.terminate();
        reject(new Error(m.message));
      }
    });
    worker.once('error', reject);
    worker.once('exit', () => closedResolve());
  });
}
