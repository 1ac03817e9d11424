import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { BROADCAST_CID, CTAPHID, encodeMessage, MessageAssembler, type CtapHidMessage } from '../../src/devices/ctaphid.js';
import type { HidHandle } from '../../src/devices/hid.js';

/** One report of a transcript: '>' host to device, '<' device to host (device/transcripts/README.md). */
export type Line = { dir: '>' | '<'; report: Buffer };

export function readTranscript(path: string): Line[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ dir: l[0] as '>' | '<', report: Buffer.from(l.slice(1).trim(), 'hex') }));
}

/**
 * Plays the device's side of a transcript; each host write must match the
 * recorded report byte for byte, else the write fails (as a pulled key would).
 */
export class ReplayHandle extends EventEmitter implements HidHandle {
  #next = 0;
  /** Host writes that did not match the transcript, for the test to show. */
  readonly mismatches: string[] = [];

  constructor(private readonly lines: Line[]) {
    super();
  }

  async write(data: Buffer | number[]): Promise<number> {
    const bytes = Buffer.from(data);
    const expected = this.lines[this.#next++];
    if (expected?.dir !== '>' || bytes[0] !== 0 || !bytes.subarray(1).equals(expected.report)) {
      this.mismatches.push(bytes.toString('hex'));
      throw new Error(`unexpected write ${bytes.toString('hex')}`);
    }
    const answers: Buffer[] = [];
    while (this.lines[this.#next]?.dir === '<') answers.push(this.lines[this.#next++]!.report);
    for (const a of answers) setImmediate(() => this.emit('data', a));
    return bytes.length;
  }

  /** Whether every recorded report was played. */
  get finished(): boolean {
    return this.#next === this.lines.length;
  }

  async close(): Promise<void> {}
}

/** A reproducible byte stream (SHA-256 of a label and a counter), so host writes can be replayed exactly. */
export function fixedRandom(label: string): (size: number) => Uint8Array {
  let counter = 0;
  return (size) => {
    const out = Buffer.alloc(size);
    for (let filled = 0; filled < size; filled += 32) createHash('sha256').update(`${label}/${counter++}`).digest().copy(out, filled);
    return out;
  };
}

/** What a scripted device answers to one host message, in order: CTAPHID messages, or raw 64-byte reports (a faulty frame). */
export type DeviceScript = (request: CtapHidMessage) => ({ cmd: number; payload: Uint8Array } | { report: Uint8Array })[];

/**
 * A device written from the CTAPHID framing rules: it reassembles what the
 * host writes, answers INIT with the given channel and capabilities, and
 * everything else from `script`; every report either way goes to `lines`
 * in the transcript format. Used to write transcripts, not to test against.
 */
export class ScriptedHandle extends EventEmitter implements HidHandle {
  #broadcast = new MessageAssembler(BROADCAST_CID);
  #channel: MessageAssembler;

  constructor(
    private readonly cid: number,
    private readonly init: { version: [number, number, number]; capabilities: number },
    private readonly script: DeviceScript,
    readonly lines: string[],
  ) {
    super();
    this.#channel = new MessageAssembler(cid);
  }

  async write(data: Buffer | number[]): Promise<number> {
    const report = Uint8Array.from(data).subarray(1);
    this.lines.push(`> ${Buffer.from(report).toString('hex')}`);
    const m = this.#broadcast.push(report) ?? this.#channel.push(report);
    if (!m) return report.length + 1;
    if (m.cmd === CTAPHID.INIT) {
      const answer = new Uint8Array(17);
      answer.set(m.payload.subarray(0, 8));
      new DataView(answer.buffer).setUint32(8, this.cid);
      answer.set([2, ...this.init.version, this.init.capabilities], 12);
      this.#emit(m.cid, CTAPHID.INIT, answer);
    } else {
      for (const a of this.script(m)) {
        if ('report' in a) this.#emitReports([a.report]);
        else this.#emit(m.cid, a.cmd, a.payload);
      }
    }
    return report.length + 1;
  }

  #emit(cid: number, cmd: number, payload: Uint8Array): void {
    this.#emitReports(encodeMessage(cid, cmd, payload));
  }

  #emitReports(reports: Uint8Array[]): void {
    for (const r of reports) {
      this.lines.push(`< ${Buffer.from(r).toString('hex')}`);
      setImmediate(() => this.emit('data', Buffer.from(r)));
    }
  }

  async close(): Promise<void> {}
}
