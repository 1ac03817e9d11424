import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FilingCodec, FilingRow, ParsedFiling } from '../../src/domain/filing.js';

/**
 * A tiny fixed-width filing codec for tests: one record per line,
 * `code(4) name(10, space padded, ASCII) birth(8 YYYYMMDD or spaces) C|P number(12 or 13 spaces)`.
 * 'C' marks a 法人 payee whose 13-character field takes the 法人番号; 'P' a 12-character 個人番号 field.
 * Independent of every real codec, so the matcher and the merge can be tested alone.
 */
export const FAKE_CODEC: FilingCodec = {
  kind: 'nta_fees',
  label: 'test fixed width',
  spec: { title: 'test', edition: '1', publisher: 'test' },
  purpose: 'payment_record_fees',
  destination: 'tax_office',
  channel: 'media',
  parse(bytes: Buffer): ParsedFiling {
    const rows: FilingRow[] = [];
    let at = 0;
    bytes
      .toString('latin1')
      .split('\n')
      .forEach((line, i) => {
        if (line.length > 0) {
          const code = line.slice(0, 4).trim();
          const birth = line.slice(14, 22).trim();
          const corporate = line[22] === 'C';
          const start = at + 23;
          const digits = corporate ? 13 : 12;
          rows.push({
            line: i + 1,
            employeeCode: code || undefined,
            name: line.slice(4, 14).trim(),
            birthDate: birth ? `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}` : undefined,
            corporate,
            spans: [{ start, end: start + digits, digits }],
            dependants: [],
          });
        }
        at += line.length + 1;
      });
    return { kind: 'nta_fees', encoding: 'utf8', rows };
  },
};

export const fakeLine = (code: string, name: string, birth: string, corporate: boolean) =>
  `${code.padEnd(4)}${name.padEnd(10)}${birth.padEnd(8)}${corporate ? 'C' : 'P'}${' '.repeat(corporate ? 13 : 12)}`;

/**
 * 7z from Debian's p7zip-full: the ZIP's entry names (listing needs no password) and the
 * content of its entries written to stdout (-so), so no plaintext lands in a file; or the failure.
 */
export function open7z(zip: Buffer, password: string): { ok: true; names: string[]; content: Buffer } | { ok: false; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mnvault-7z-'));
  try {
    const path = join(dir, 'in.zip');
    writeFileSync(path, zip);
    const list = execFileSync('7z', ['l', '-slt', path], { encoding: 'utf8' });
    const names = [...list.matchAll(/^Path = (.+)$/gmu)].map((m) => m[1]!).filter((n) => n !== path);
    const r = spawnSync('7z', ['x', '-so', `-p${password}`, path]);
    if (r.status !== 0) return { ok: false, output: `${r.stdout.toString()}${r.stderr.toString()}` };
    return { ok: true, names, content: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
