/**
 * A pcscd of its own with one virtual reader (vsmartcard's vpcd), for tests,
 * the bench and `serve --simulate-devices`. Development only.
 *
 * pcscd 1.9 always puts its socket in /run/pcscd (PCSCLITE_CSOCK_NAME moves only
 * the client's side), so each instance runs in a private mount namespace
 * (`unshare -m`, needs root) where a temp folder is bound over /run/pcscd; the
 * socket then appears in that folder and PCSCLITE_CSOCK_NAME points the client
 * at it. Parallel test files thus never share a daemon. The vpcd driver listens
 * on the configured port and the next one (its two slots).
 *
 * The daemon also gets a network namespace of its own (`unshare -n`) whose
 * loopback route acknowledges at once (`quickack`). vpcd 3.3 writes each
 * message to the card as two send()s (length, then payload) on a socket
 * without TCP_NODELAY: Nagle holds the payload until the card's side
 * acknowledges the length, and the card's kernel delays that ACK by 40 ms, on
 * every exchange. A real reader speaks CCID over USB and has no such cost;
 * virtual cards enter the namespace (virtual-card-host.ts) to connect.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivatePcscd {
  /** The TCP port a virtual card connects to (the reader's first slot). */
  readonly vpcdPort: number;
  /** The client socket; PCSCLITE_CSOCK_NAME is set to it in this process. */
  readonly socketPath: string;
  /** The daemon's network namespace (a /proc path for nsenter --net=), where vpcdPort listens. */
  readonly netns: string;
  stop(): Promise<void>;
}

const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const VPCD_PORT = 35963;

/** Whether this machine can run one (pcscd, the vpcd driver, unshare as root). */
export function privatePcscdProblem(): string | undefined {
  if (!existsSync('/usr/sbin/pcscd')) return 'pcscd is not installed (Debian package pcscd)';
  if (!existsSync(VPCD_DRIVER)) return 'the virtual reader driver is not installed (Debian package vsmartcard-vpcd)';
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')) return 'ip is not installed (Debian package iproute2)';
  if (process.getuid?.() !== 0) return 'a private pcscd needs root (private mount and network namespaces)';
  return undefined;
}

export async function startPrivatePcscd(): Promise<PrivatePcscd> {
  const problem = privatePcscdProblem();
  if (problem !== undefined) throw new Error(problem);
  const dir = mkdtempSync(join(tmpdir(), 'mnvault-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  mkdirSync('/run/pcscd', { recursive: true });
  // Its own network namespace: vpcd's default port is free there.
  const port = VPCD_PORT;
  writeFileSync(
    join(confDir, 'vpcd'),
    `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:${port}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${port}\n`,
  );
  const child: ChildProcess = spawn(
    'unshare',
    // setpriv --pdeathsig: the daemon dies with this process, even when it is killed (kill -9 tests).
    ['-m', '-n', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /run/pcscd && ip link set lo up && ip route replace local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1 && exec setpriv --pdeathsig KILL /usr/sbin/pcscd -f -c "$2"', 'sh', runDir, confDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const socketPath = join(runDir, 'pcscd.comm');
  const deadline = Date.now() + 10_000;
  while (!existsSync(socketPath)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`private pcscd did not start: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.env.PCSCLITE_CSOCK_NAME = socketPath;
  return {
    vpcdPort: port,
    netns: `/proc/${child.pid}/ns/net`,
    socketPath,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
