import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JAPAN_OFFSET_MS, japanClock, japanDate, japanDayStart, japanMonthStart } from '../../src/domain/dates.js';
import { packagePath } from '../../src/paths.js';
import { namedAuditRow, type RawAuditRow } from '../../src/storage/audit-repo.js';

/** One concept, one coding: the Japan-time offset lives in src/domain/dates.ts, and audit rows are read by name. */

function sourceFiles(dir = packagePath('src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [relative(packagePath(), path)] : [];
  });
}

describe('one coding of each concept', () => {
  it('codes the Japan-time offset once, in src/domain/dates.ts', () => {
    expect(JAPAN_OFFSET_MS).toBe(9 * 60 * 60 * 1000);
    expect(japanDate(new Date('2026-03-31T15:00:00Z'))).toBe('2026-04-01');
    const offset = /\b9\s*\*\s*(3600_?000|3_600_000|60\s*\*\s*60\s*\*\s*1_?000|36e5)\b|\b32_?400_?000\b/u;
    const elsewhere = sourceFiles().filter((f) => f !== 'src/domain/dates.ts' && offset.test(readFileSync(packagePath(f), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it('converts between instants and Japan dates and times only in src/domain/dates.ts', () => {
    expect(japanClock('2026-03-31T15:04:05.678Z')).toBe('2026-04-01T00:04:05.678');
    expect(japanDayStart('2026-04-01')).toBe('2026-03-31T15:00:00.000Z');
    expect(japanMonthStart(2026, 13)).toBe('2026-12-31T15:00:00.000Z');
    // The offset itself, or a zone written into a date string, used anywhere else is a second coding.
    const conversion = /\bJAPAN_OFFSET_MS\b|\+09:00/u;
    const elsewhere = sourceFiles().filter((f) => f !== 'src/domain/dates.ts' && conversion.test(readFileSync(packagePath(f), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it('reads audit rows by position only in storage and the chain’s hash code', () => {
    // The chain hashes the tuple in column order (its canonical form); everyone else reads AuditRow by name.
    const positional = new Set(['src/audit/chain.ts', 'src/audit/verify.ts', 'src/audit/subject-names.ts', 'src/services/assertion-check.ts']);
    const raw = sourceFiles().filter((f) => !f.startsWith('src/storage/') && /\bRawAuditRow\b/u.test(readFileSync(packagePath(f), 'utf8')));
    expect(raw.filter((f) => !positional.has(f))).toEqual([]);
  });

  it('names an audit row’s fields in column order', () => {
    const row: RawAuditRow = [
      7,
      '2026-04-01T00:00:00.000Z',
      'u-1',
      '管理 太郎',
      'number.revealed',
      '[{"id":1,"name":"山田"}]',
      'withholding_slip',
      '10.0.0.5',
      'pinpad:04d9:1203',
      '{"request_id":3}',
      Buffer.from([1]),
      Buffer.from([2]),
    ];
    expect(namedAuditRow(row)).toEqual({
      seq: 7,
      at: '2026-04-01T00:00:00.000Z',
      actorId: 'u-1',
      actorName: '管理 太郎',
      action: 'number.revealed',
      subjects: '[{"id":1,"name":"山田"}]',
      purpose: 'withholding_slip',
      client: '10.0.0.5',
      device: 'pinpad:04d9:1203',
      detail: '{"request_id":3}',
      prevHash: Buffer.from([1]),
      hash: Buffer.from([2]),
    });
  });
});
