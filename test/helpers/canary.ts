import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Canary checks: a test's synthetic numbers must not appear anywhere they
 * could leak: page text, the data folder, logs. Every form a number could
 * take is searched for.
 */
export const FULL_WIDTH = (s: string) => s.replace(/[0-9]/gu, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
/** How a person might type it on a phone: full-width digits, ideographic spaces between groups of four. */
export const typedFullWidth = (n: string) => FULL_WIDTH(`${n.slice(0, 4)}\u3000${n.slice(4, 8)}\u3000${n.slice(8)}`);

/** Every way a number could show up in text: plain, grouped, hyphenated, full-width. */
export function forms(n: string): string[] {
  const grouped = `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;
  return [n, grouped, grouped.replaceAll(' ', '-'), FULL_WIDTH(n), FULL_WIDTH(grouped), typedFullWidth(n)];
}

/** Runs of six digits of a number: visible text must hold none of them. */
export function windows(n: string, size = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= n.length; i++) out.push(n.slice(i, i + size));
  return out;
}

/** Regular files under a folder (sockets such as the simulated PIN pad's are skipped). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const s = statSync(p);
    return s.isDirectory() ? filesUnder(p) : s.isFile() ? [p] : [];
  });
}

/** No file in the folder holds a number, in ASCII/UTF-8 (plain or full-width) or UTF-16LE. */
export function scanDataDir(dataDir: string, secrets: readonly string[]): { files: number; hits: string[] } {
  const needles = secrets.flatMap((n) => [n, FULL_WIDTH(n)].flatMap((s) => [
    { label: `${s === n ? 'ascii' : 'full-width utf-8'}`, bytes: Buffer.from(s, 'utf8') },
    { label: `${s === n ? 'utf-16le' : 'full-width utf-16le'}`, bytes: Buffer.from(s, 'utf16le') },
  ]));
  const files = filesUnder(dataDir);
  const hits: string[] = [];
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const n of needles) if (bytes.includes(n.bytes)) hits.push(`${f} (${n.label})`);
  }
  return { files: files.length, hits };
}

/** Copies what the process writes to stderr (the server's log) while a test runs; restore() puts it back. */
export function captureStderr(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const real = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return { lines, restore: () => void (process.stderr.write = real as typeof process.stderr.write) };
}
