import type { Socket } from 'node:net';
import type { Config } from '../config.js';
import { openSerialLine, reopeningSerialLine, type SerialLine } from '../devices/door.js';
import { doorSocketPath, socatAvailable, startDoorSimulator, type DoorSimulatorMessage } from '../devices/door-simulator.js';
import { AppError } from '../domain/errors.js';
import { packagePath } from '../paths.js';
import { DoorService } from '../services/door.js';
import type { RevealStore } from '../services/gate.js';
import type { Vault } from '../services/vault.js';
import { parse } from './args.js';
import { usageError } from './output.js';
import { connectSimulator, readKeys } from './simulator-terminal.js';
import { logEvent } from '../log.js';

/** The door as started by `serve`: its service (status for the dashboard) and how to stop it. */
export interface RunningDoor {
  service: DoorService;
  close(): Promise<void>;
}

/**
 * Wires the door of the 管理区域 for `serve`: the real relay and sensor from
 * MNVAULT_DOOR_*, or with --simulate-devices the simulator (a socat pty pair
 * for the relay, a sensor driven by `mnvault door`). Without socat the
 * simulated door is left out, with a message saying so. No door configured:
 * undefined.
 */
export async function startDoor(vault: Pick<Vault, 'dataDir' | 'db' | 'doorAlarms' | 'audit' | 'clock'>, reveals: RevealStore, config: Config, simulate: boolean, say: (message: string) => void): Promise<RunningDoor | undefined> {
  const d = config.door;
  const info = (device: string) => (message: string) => logEvent('info', 'simulator', { device, message });
  if (simulate) {
    if (!socatAvailable()) {
      say('socat が見つからないため、模擬の扉（電気錠リレーと扉センサー）なしで起動します。扉も試すには socat をインストールしてください（例: sudo apt-get install socat）。');
      return undefined;
    }
    const relay = { channel: d.relay.channel, openState: d.relay.openState };
    const { line: sensorLine, closedLevel } = d.sensor;
    const sim = await startDoorSimulator({ dataDir: vault.dataDir, relay, line: sensorLine, closedLevel, onLog: info('door:simulator') });
    let line: SerialLine;
    try {
      line = await openSerialLine(sim.relayPath);
    } catch (err) {
      await sim.close();
      throw err;
    }
    const service = new DoorService(vault, {
      relay: { line, config: relay, pulseMs: d.relay.pulseMs, device: 'door-relay:simulator' },
      sensor: { source: sim.sensor, line: sensorLine, closedLevel, device: 'door-sensor:simulator' },
      heldMs: d.heldMs,
      entryMs: d.entryMs,
      simulated: true,
    })
      .attach(reveals)
      .start();
    return {
      service,
      close: async () => {
        await service.stop();
        await line.close();
        await sim.close();
      },
    };
  }
  if (!d.relayPath && !d.sensorPath) return undefined;
  // One adapter may carry both (relay on TX, reed switch on a modem line): open each path once.
  const lines = new Map<string, SerialLine>();
  const lineFor = (path: string) => lines.get(path) ?? lines.set(path, reopeningSerialLine(path)).get(path)!;
  const service = new DoorService(vault, {
    relay: d.relayPath ? { line: lineFor(d.relayPath), config: { channel: d.relay.channel, openState: d.relay.openState }, pulseMs: d.relay.pulseMs, device: `door-relay:${d.relayPath}` } : undefined,
    sensor: d.sensorPath ? { source: lineFor(d.sensorPath), line: d.sensor.line, closedLevel: d.sensor.closedLevel, device: `door-sensor:${d.sensorPath}` } : undefined,
    heldMs: d.heldMs,
    entryMs: d.entryMs,
  })
    .attach(reveals)
    .start();
  return {
    service,
    close: async () => {
      await service.stop();
      for (const l of lines.values()) await l.close();
    },
  };
}

const HELP = '模擬の扉: o で開ける、c で閉める、Ctrl+C で終了。承認されると「リレー: 解錠」が表示されます。\n';

/**
 * `mnvault door [open|close|status]`: the simulated door of a running
 * `serve --simulate-devices` (or `mnvault demo`). With a word it does that
 * once; without, it stays in the terminal (o / c keys) and shows the relay.
 */
export async function doorCommand(argv: string[], config: Config, out: NodeJS.WritableStream): Promise<number> {
  if (config.mode === 'production') throw new AppError('forbidden', '本番モードでは模擬の扉を使えません。実際の扉センサーとリレーは MNVAULT_DOOR_SENSOR・MNVAULT_DOOR_RELAY で設定します。');
  const { values, positionals } = parse(argv, { data: { type: 'string' } }, true);
  const action = positionals[0];
  if (positionals.length > 1 || (action !== undefined && !['open', 'close', 'status'].includes(action))) {
    throw usageError('使い方: mnvault door [open|close|status] [--data DIR]（引数なしで対話モード）');
  }
  const path = doorSocketPath(values.data ?? config.dataDir ?? packagePath('demo-data'));
  const socket = await connectSimulator(path, `模擬の扉の接続先（${path}）がありません。mnvault serve --simulate-devices（または mnvault demo）を先に起動してください。socat が必要です。`);
  const messages = lines(socket);
  if (action !== undefined) {
    socket.write(`${action}\n`);
    const m = await messages.next('door');
    out.write(`扉は${m.open ? '開いています' : '閉じています'}。\n`);
    socket.end();
    return 0;
  }
  out.write(HELP);
  socket.write('status\n');
  messages.each((m) => out.write(m.type === 'relay' ? `リレー: ${m.unlocked ? '解錠' : '施錠'}\n` : `扉: ${m.open ? '開' : '閉'}\n`));
  await readKeys(socket, (ch) => {
    if (ch === 'o' || ch === 'O') socket.write('open\n');
    else if (ch === 'c' || ch === 'C') socket.write('close\n');
  });
  socket.end();
  out.write('終了しました。\n');
  return 0;
}

/** The control socket's JSON lines, as a stream of messages. */
function lines(socket: Socket) {
  const listeners: ((m: DoorSimulatorMessage) => void)[] = [];
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const m = JSON.parse(text.slice(0, nl)) as DoorSimulatorMessage;
      text = text.slice(nl + 1);
      for (const l of [...listeners]) l(m);
    }
  });
  return {
    each: (l: (m: DoorSimulatorMessage) => void) => listeners.push(l),
    next: <T extends DoorSimulatorMessage['type']>(type: T) =>
      new Promise<Extract<DoorSimulatorMessage, { type: T }>>((resolve, reject) => {
        const l = (m: DoorSimulatorMessage) => {
          if (m.type !== type) return;
          listeners.splice(listeners.indexOf(l), 1);
          resolve(m as Extract<DoorSimulatorMessage, { type: T }>);
        };
        listeners.push(l);
        socket.once('close', () => reject(new AppError('device_unavailable', '模擬の扉との接続が切れました。サーバーが動いているか確認してください。')));
      }),
  };
}
