/**
 * Runs a virtual My Number card on its own thread. The PC/SC client library
 * makes some calls synchronously (listing readers asks pcscd for the states,
 * and pcscd may be waiting on the card's answer to a power-up), so a card
 * answering from the same thread as the client would deadlock.
 *
 * Messages in: { type: 'remove' } | { type: 'tries' }. Out: { type: 'inserted' },
 * { type: 'tries', left }, { type: 'closed' }, { type: 'error', message }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VirtualMyNumberCard, type VirtualMyNumberCardOptions } from './mynumber-card-simulator.js';
import { insertVirtualCard } from './vpcd-client.js';

export interface VirtualCardWorkerData {
  options: Omit<VirtualMyNumberCardOptions, 'onExchange'>;
  port: number;
  /** Pull the card when this many READ BINARY commands have been answered (the reader pulled mid-read). */
  removeAfterReads?: number;
}

const data = workerData as VirtualCardWorkerData;
let reads = 0;
let remove = () => {};
const card = new VirtualMyNumberCard({
  ...data.options,
  onExchange: (cmd) => {
    if (cmd[1] === 0xb0 && data.removeAfterReads !== undefined && ++reads === data.removeAfterReads) remove();
  },
});

insertVirtualCard(card, data.port).then(
  (connection) => {
    remove = () => connection.remove();
    void connection.closed.then(() => parentPort?.postMessage({ type: 'closed' }));
    parentPort?.on('message', (m: { type: string }) => {
      if (m.type === 'remove') connection.remove();
      else if (m.type === 'tries') parentPort?.postMessage({ type: 'tries', left: card.triesLeft });
    });
    parentPort?.postMessage({ type: 'inserted' });
  },
  (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
