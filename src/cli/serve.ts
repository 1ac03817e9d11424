import type { Server } from 'node:http';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { createApp } from '../web/app.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';
import type { Vault } from '../services/vault.js';

export interface Serving {
  server: Server;
  vault: Vault;
  url: string;
  stop(): Promise<void>;
}

/** Starts the LAN app on an open vault; stops cleanly on SIGTERM/SIGINT (checkpoint, zero keys). */
/** Simulated devices are for development and tests only. */
export function assertDevicesAllowed(config: Config, simulateDevices: boolean): void {
  if (simulateDevices && config.mode === 'production') {
    throw new AppError('forbidden', '本番モードでは模擬デバイス（--simulate-devices）を使えません。実機を接続し、設定を確認してください。');
  }
}

export async function startServer(vault: Vault, config: Config, opts: { port: number; host: string; simulateDevices: boolean }): Promise<Serving> {
  assertDevicesAllowed(config, opts.simulateDevices);
  if (opts.host !== '127.0.0.1' && opts.host !== '::1' && opts.host !== 'localhost') {
    throw new AppError('invalid', 'HTTPS の設定がまだないため、待ち受けはループバック（127.0.0.1）に限られます。');
  }
  const app = createApp({ vault, mode: config.mode, simulateDevices: opts.simulateDevices });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  let stopped: Promise<void> | undefined;
  return {
    server,
    vault,
    url: `http://${opts.host}:${port}/`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          vault.close();
          resolve();
        });
        server.closeIdleConnections();
      });
      return stopped;
    },
  };
}

export async function serveCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'simulate-devices': { type: 'boolean' } });
  const port = values.port === undefined ? config.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port は 1〜65535 の整数にしてください（指定: ${values.port}）。`);
  const simulateDevices = values['simulate-devices'] ?? false;
  // Refuse before opening the vault, so the first error is the one about devices.
  assertDevicesAllowed(config, simulateDevices);
  const vault = openForCommand(dataDirFrom(values.data, config), config, err);
  let serving: Serving;
  try {
    serving = await startServer(vault, config, { port, host: values.host ?? config.host, simulateDevices });
  } catch (e) {
    vault.close();
    throw e;
  }
  out.write(`マイナンバー金庫を起動しました: ${serving.url}\n停止するには Ctrl+C を押してください。\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void serving.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  out.write('停止しました。\n');
  return 0;
}
