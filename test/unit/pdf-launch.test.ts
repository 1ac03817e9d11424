import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogFields, LogLevel } from '../../src/log.js';
import { chromiumExecutable, DEBIAN_CHROMIUM_BINARY, DEFAULT_CHROMIUM, htmlToPdf } from '../../src/reports/pdf.js';

const dir = mkdtempSync(join(tmpdir(), 'mnvault-pdf-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('launching Chromium for PDFs', () => {
  it("launches Debian's browser binary rather than its wrapper script (which greps /proc/cpuinfo)", () => {
    if (!existsSync(DEBIAN_CHROMIUM_BINARY)) return; // not Debian's layout: nothing to replace
    expect(chromiumExecutable(DEFAULT_CHROMIUM)).toBe(DEBIAN_CHROMIUM_BINARY);
    expect(chromiumExecutable('/opt/other/chrome')).toBe('/opt/other/chrome');
  });

  it('logs the cause of a failed launch, without the document', async () => {
    // What Debian's wrapper does when ProcSubset=pid hides /proc/cpuinfo.
    const fake = join(dir, 'chromium');
    writeFileSync(fake, '#!/bin/sh\necho "grep: /proc/cpuinfo: No such file or directory" >&2\nexit 1\n', { mode: 0o755 });
    const lines: { level: LogLevel; event: string; fields: LogFields }[] = [];
    const err = await htmlToPdf('<p>山田太郎</p>', fake, (level, event, fields = {}) => lines.push({ level, event, fields })).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('device_unavailable');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', event: 'pdf_browser_failed', fields: { chromium: fake } });
    expect(String(lines[0]!.fields.cause)).toContain('/proc/cpuinfo');
    expect(JSON.stringify(lines)).not.toContain('山田');
  });

  it('logs a browser that is not there', async () => {
    const lines: string[] = [];
    await expect(htmlToPdf('<p>x</p>', join(dir, 'missing'), (_l, event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`))).rejects.toMatchObject({ code: 'device_unavailable' });
    expect(lines.join('\n')).toMatch(/pdf_browser_failed .*not executable/u);
  });
});
