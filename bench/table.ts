import { maskNumbers, traceOf } from '../src/failure-log.js';
import type { Row } from './row.js';

/** Where a part reports: each row as soon as it is measured, or a step skipped with its reason. */
export interface Report {
  row(r: Row): void;
  skipped(operation: string, reason: string): void;
}

const HEAD = ['operation', 'n', 'seconds', 'per second', 'floor', 'floor s', 'ratio', 'target'];
const WIDTHS = [72, 11, 9, 12, 40, 9, 6, 12];

function line(cells: string[]): string {
  return `| ${cells.map((c, i) => c.padEnd(WIDTHS[i] ?? 0)).join(' | ')} |`;
}

/**
 * The bench table, printed row by row (a Markdown table), so every figure
 * measured before a failure is on the screen. A failed part prints a row with
 * its reason and the run goes on; failures() says how many parts failed.
 */
export class StreamingTable implements Report {
  private failed: string[] = [];

  constructor(private readonly out: NodeJS.WritableStream) {}

  header(): void {
    this.out.write(`${line(HEAD)}\n|${WIDTHS.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  }

  row(r: Row): void {
    this.out.write(
      `${line([
        r.operation,
        r.n.toLocaleString('en-US'),
        r.seconds.toFixed(3),
        Math.round(r.n / r.seconds).toLocaleString('en-US'),
        r.floor,
        // A row that splits another has no floor of its own (NaN): its floor cells stay empty.
        Number.isNaN(r.floorSeconds) ? '' : r.floorSeconds.toFixed(3),
        Number.isNaN(r.floorSeconds) ? '' : (r.floorSeconds / r.seconds).toFixed(2),
        r.target,
      ])}\n`,
    );
  }

  skipped(operation: string, reason: string): void {
    this.out.write(`${line([`${operation}: SKIPPED (${reason})`, '', '', '', '', '', '', 'skipped'])}\n`);
  }

  /** A part that threw: its name and a value-free reason (class, code, masked message, first frame). */
  partFailed(part: string, err: unknown): void {
    this.failed.push(part);
    this.out.write(`${line([`${part}: FAILED (${failureReason(err)})`, '', '', '', '', '', '', 'failed'])}\n`);
  }

  failures(): readonly string[] {
    return this.failed;
  }
}

/** Why a part failed, without values: class and code, the message with number-like runs masked, and where. */
export function failureReason(err: unknown): string {
  const t = traceOf(err);
  const message = err instanceof Error ? maskNumbers(err.message).replace(/\s+/gu, ' ').slice(0, 200) : '';
  return [`${t.class}${t.code ? ` ${t.code}` : ''}${message ? `: ${message}` : ''}`, t.frames[0] ? `at ${t.frames[0]}` : ''].filter(Boolean).join(' ');
}
