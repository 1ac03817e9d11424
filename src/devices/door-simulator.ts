import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { ModemLines } from '../domain/ports.js';
import { parseLcusCommands, type RelayConfig } from './relay.js';

/**
 * The door for development (`serve --simulate-devices`), as close to the real
 * one as a PC without hardware allows:
 *
 *   server ──LCUS bytes, real serialport binding──▶ pty (socat) ──▶ simulated relay board
 *   developer ──`mnvault door open|close` over DATA/door.sock──▶ simulated reed switch
 *
 * A pty has no modem lines, so the sensor is an in-process source with the
 * same `get()` a serial adapter has, driven from the control socket. Every
 * relay command the board receives is sent to the connected door terminals.
 */
export interface DoorSimulator {
  /** The pty end the server opens as its relay line. */
  relayPath: string;
  sensor: SimulatedDoorSensor;
  /** The control socket (`mnvault door`). */
  socketPath: string;
  close(): Promise<void>;
}

/** What travels on the control socket, one JSON object a line, server to terminal. */
export type DoorSimulatorMessage = { type: 'door'; open: boolean } | { type: 'relay'; unlocked: boolean; channel: number };

/** A reed switch the developer opens and closes: the modem lines a real adapter would report. */
export class SimulatedDoorSensor {
  open = false;

  constructor(
    private readonly line: keyof ModemLines,
    private readonly closedLevel: boolean,
  ) {}

  async get(): Promise<ModemLines> {
    const lines: ModemLines = { cts: false, dsr: false, dcd: false };
    lines[this.line] = this.open ? !this.closedLevel : this.closedLevel;
    return lines;
  }
}

/** Where `mnvault door` finds the running simulator. */
export const doorSocketPath = (dataDir: string) => join(dataDir, 'door.sock');

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).error === undefined;
}

export interface DoorSimulatorOptions {
  dataDir: string;
  relay: RelayConfig;
  line: keyof ModemLines;
  closedLevel: boolean;
  /** Human-readable lines for the server's log: 「リレー: 解錠」. */
  onLog: (message: string) => void;
}

/** Starts socat's pty pair, the simulated relay board on its far end, and the control socket. */
export async function startDoorSimulator(opts: DoorSimulatorOptions): Promise<DoorSimulator> {
  const dir = mkdtempSync(join(tmpdir(), 'mnvault-door-'));
  const relayPath = join(dir, 'relay');
  const boardPath = join(dir, 'board');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${relayPath}`, `pty,raw,echo=0,link=${boardPath}`], { stdio: 'ignore' });
  let board: SerialPort | undefined;
  let control: { server: Server; sockets: Set<Socket> } | undefined;
  try {
    await waitForPtys(socat, [relayPath, boardPath]);
    const sensor = new SimulatedDoorSensor(opts.line, opts.closedLevel);
    const sockets = new Set<Socket>();
    const broadcast = (m: DoorSimulatorMessage) => {
      for (const s of sockets) s.write(`${JSON.stringify(m)}\n`);
    };
    board = await openBoard(boardPath, (channel, state) => {
      const unlocked = state === opts.relay.openState;
      opts.onLog(`リレー: ${unlocked ? '解錠' : '施錠'}（チャンネル${channel}）`);
      broadcast({ type: 'relay', unlocked, channel });
    });
    const socketPath = doorSocketPath(opts.dataDir);
    control = { server: await listenControl(socketPath, sockets, sensor, broadcast, opts.onLog), sockets };
    const opened = { board, control };
    return {
      relayPath,
      sensor,
      socketPath,
      close: async () => {
        for (const s of opened.control.sockets) s.destroy();
        await new Promise<void>((r) => opened.control.server.close(() => r()));
        rmSync(socketPath, { force: true });
        await new Promise<void>((r) => (opened.board.isOpen ? opened.board.close(() => r()) : r()));
        await stopSocat(socat);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (board?.isOpen) await new Promise((r) => board!.close(r));
    control?.server.close();
    await stopSocat(socat);
    rmSync(dir, { recursive: true, force: true });
    throw new Error('start the door simulator', { cause: err });
  }
}

async function waitForPtys(socat: ChildProcess, paths: string[]): Promise<void> {
  let failed: Error | undefined;
  socat.once('error', (e) => (failed = e));
  socat.once('exit', (code) => (failed ??= new Error(`socat exited with ${code}`)));
  for (let i = 0; i < 100 && !paths.every((p) => existsSync(p)); i++) {
    if (failed) throw failed;
    await new Promise((r) => setTimeout(r, 30));
  }
  if (!paths.every((p) => existsSync(p))) throw failed ?? new Error('socat made no pty pair');
}

function stopSocat(socat: ChildProcess): Promise<void> {
  if (socat.exitCode !== null || socat.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    socat.once('exit', () => resolve());
    socat.kill();
  });
}

/** The relay board: reads LCUS frames off its pty end through the real serialport binding. */
async function openBoard(path: string, onCommand: (channel: number, state: 0x00 | 0x01) => void): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let pending: Uint8Array = new Uint8Array(0);
  port.on('data', (chunk: Buffer) => {
    const { commands, rest } = parseLcusCommands(Buffer.concat([pending, chunk]));
    pending = rest;
    for (const c of commands) onCommand(c.channel, c.state);
  });
  return port;
}

/** The control socket: `open`, `close` or `status`, one a line; each answered with the door's state. */
function listenControl(path: string, sockets: Set<Socket>, sensor: SimulatedDoorSensor, broadcast: (m: DoorSimulatorMessage) => void, log: (m: string) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    sockets.add(socket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 1024) return void socket.destroy();
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const command = text.slice(0, nl).trim();
        text = text.slice(nl + 1);
        if (command === 'open' || command === 'close') {
          const open = command === 'open';
          if (sensor.open !== open) log(`扉: ${open ? '開' : '閉'}（模擬センサー）`);
          sensor.open = open;
          broadcast({ type: 'door', open });
        } else {
          socket.write(`${JSON.stringify({ type: 'door', open: sensor.open } satisfies DoorSimulatorMessage)}\n`);
        }
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
