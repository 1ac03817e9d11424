/**
 * Runs a virtual My Number card in a process of its own, started by
 * virtual-card-host.ts inside the private pcscd's network namespace (see
 * private-pcscd.ts for why). A card answering from the PC/SC client's own
 * thread would also deadlock: the client library makes some calls
 * synchronously while pcscd waits on the card.
 *
 * IPC in: first { type: 'card', data }, then { type: 'remove' } | { type: 'tries' }.
 * Out: { type: 'inserted' }, { type: 'tries', left }, { type: 'closed' }, { type: 'error', message }.
 * The card data (a synthetic number) travels over the IPC channel, never in argv or the environment.
 */
import { VirtualMyNumberCard, type VirtualMyNumberCardOptions } from './mynumber-card-simulator.js';
import { insertVirtualCard, type VpcdConnection } from './vpcd-client.js';

export interface VirtualCardWorkerData {
  options: Omit<VirtualMyNumberCardOptions, 'onExchange'>;
  port: number;
  /** The private pcscd's network namespace (PrivatePcscd.netns), where its vpcd port listens. */
  netns: string;
  /** Pull the card when this many READ BINARY commands have been answered (the reader pulled mid-read). */
  removeAfterReads?: number;
}

type Message = { type: 'card'; data: VirtualCardWorkerData } | { type: 'remove' } | { type: 'tries' };

const send = (m: object) => process.send?.(m);
let card: VirtualMyNumberCard | undefined;
let connection: VpcdConnection | undefined;

process.on('message', (m: Message) => {
  if (m.type === 'card') void start(m.data);
  else if (m.type === 'remove') connection?.remove();
  else if (m.type === 'tries') send({ type: 'tries', left: card?.triesLeft });
});
process.on('disconnect', () => process.exit(0));

/** vpcd may still be opening its port when the card comes: retry for a few seconds. */
async function start(data: VirtualCardWorkerData): Promise<void> {
  let reads = 0;
  card = new VirtualMyNumberCard({
    ...data.options,
    onExchange: (cmd) => {
      if (cmd[1] === 0xb0 && data.removeAfterReads !== undefined && ++reads === data.removeAfterReads) connection?.remove();
    },
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      connection = await insertVirtualCard(card, data.port);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  void connection.closed.then(() => send({ type: 'closed' }));
  send({ type: 'inserted' });
}
