import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/domain/errors.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

function streams() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (c: Buffer) => (text.out += c.toString()));
  err.on('data', (c: Buffer) => (text.err += c.toString()));
  return { out, err, text };
}

describe('mnvault report', () => {
  it('writes the monthly report as an A4 PDF for scheduled printing and audits the print', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const file = join(tempDir(), '2026-04.pdf');
    const s = streams();
    const code = await reportCommand(['activity', '--month', '2026-04', '--data', dataDir, '--out', file], loadConfig({}), s.out, s.err);
    expect(code).toBe(0);
    expect(s.text.out).toMatch(/特定個人情報等取扱状況記録（2026年4月.*を .* に書き出しました。監査記録の先頭: seq \d+ [0-9a-f]{64}/u);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/\(A4\)/u);
    expect(execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })).toContain('（会社名未設定）');
  }, 60_000);

  it('refuses a bad month and a missing Chromium in Japanese with exit 2, writing nothing', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const file = join(tempDir(), 'x.pdf');
    await expect(reportCommand(['activity', '--month', '2026-13', '--data', dataDir, '--out', file], loadConfig({}), streams().out, streams().err)).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'invalid' && e.publicMessage.includes('対象月は YYYY-MM の形式'),
    );
    await expect(reportCommand(['nothing', '--data', dataDir, '--out', file], loadConfig({}), streams().out, streams().err)).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'invalid');
    const s = streams();
    const code = await reportCommand(['register', '--data', dataDir, '--out', file], loadConfig({ MNVAULT_CHROMIUM: '/nonexistent/chromium' }), s.out, s.err);
    expect(code).toBe(2);
    expect(s.text.err).toContain('Chromium（/nonexistent/chromium）が見つからない');
    expect(existsSync(file)).toBe(false);
  });
});
