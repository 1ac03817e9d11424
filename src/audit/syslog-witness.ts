import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SD_ID } from './syslog-format.js';
import type { Witness } from './head-witness.js';

/**
 * The syslog witness read back: where the operator points
 * MNVAULT_SYSLOG_WITNESS at a file the syslog daemon writes the appliance's
 * messages to (the local copy of what the remote receiver got, or the
 * receiver's own file on a shared mount), the highest seq that file holds for
 * this vault, with its hash, is a second witness of the committed head.
 *
 * Unlike DATA/audit-head it carries no MAC (the receiver holds no key): a
 * forged line can make the appliance refuse to start, never make it accept a
 * shorter chain; the operator's override (accept-head) records it.
 *
 * Only the tail is read: the newest messages are at the end of an appended
 * file, and a long-lived log must not make the start slow.
 */
export const SYSLOG_TAIL_BYTES = 8 * 1024 * 1024;

export type SyslogWitnessRead =
  | { state: 'found'; witness: Witness }
  | { state: 'none' }
  | { state: 'unreadable'; code: string };

function param(sd: string, name: string): string | undefined {
  const m = new RegExp(`(?:^| )${name}="((?:[^"\\\\]|\\\\.)*)"`, 'u').exec(sd);
  return m?.[1]?.replace(/\\(["\\\]])/gu, '$1');
}

/** The highest-seq message of this vault in the last SYSLOG_TAIL_BYTES of the file; the later line wins a tie. */
export function readSyslogWitness(path: string, vaultId: string): SyslogWitnessRead {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, SYSLOG_TAIL_BYTES);
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, size - length + got);
        if (n === 0) break;
        got += n;
      }
      text = buf.subarray(0, got).toString('utf8');
      // A tail cut mid-line starts at the next whole line.
      if (length < size) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { state: 'unreadable', code: (err as NodeJS.ErrnoException).code ?? 'unknown' };
  }
  let best: Witness | undefined;
  for (const line of text.split('\n')) {
    const at = line.indexOf(`[${SD_ID} `);
    if (at < 0) continue;
    const sd = line.slice(at + SD_ID.length + 2);
    if (param(sd, 'vault') !== vaultId) continue;
    const seq = Number(param(sd, 'seq'));
    const hash = param(sd, 'hash');
    if (!Number.isSafeInteger(seq) || seq <= 0 || hash === undefined || !/^[0-9a-f]{64}$/u.test(hash)) continue;
    if (!best || seq >= best.seq) best = { vaultId, seq, hash: Buffer.from(hash, 'hex') };
  }
  return best ? { state: 'found', witness: best } : { state: 'none' };
}
