import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { logFailure, maskNumbers, pathForLog, relativeFile, stackFrames } from '../../src/failure-log.js';
import { forms } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';

const N = syntheticNumber(11, 5);

function capture(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({ write: (c, _e, cb) => void (chunks.push(String(c)), cb()) });
  return { out, text: () => chunks.join('') };
}

describe('failure log', () => {
  it('logs each cause with its class, code and frames, and no message, path or number', () => {
    const inner = Object.assign(new Error(`open '/home/yamada/${N}.csv'`), { code: 'ENOENT', errno: -2, syscall: 'open', path: `/home/yamada/${N}.csv` });
    const outer = new Error(`import of ${forms(N)[2]} failed`, { cause: inner });
    const c = capture();
    const ref = logFailure('command_failed', outer, { out: c.out });
    const line = JSON.parse(c.text()) as { ref: string; error: { class: string; frames: string[] }; causes: { class: string; code: string; errno: number; syscall: string; frames: string[] }[] };
    expect(line.ref).toBe(ref);
    expect(line.causes).toHaveLength(1);
    expect(line.causes[0]).toMatchObject({ class: 'Error', code: 'ENOENT', errno: -2, syscall: 'open' });
    expect(line.error.frames[0]).toMatch(/ \(test\/unit\/failure-log\.test\.ts:\d+:\d+\)$/u);
    expect(line.causes[0]!.frames[0]).toMatch(/ \(test\/unit\/failure-log\.test\.ts:\d+:\d+\)$/u);
    for (const f of forms(N)) expect(c.text()).not.toContain(f);
    expect(c.text()).not.toContain('yamada');
    expect(c.text()).not.toContain('import of');
  });

  it('takes no frame from the message, even one written to look like a frame', () => {
    const e = new Error(`boom\n    at ${N} (/srv/${N}.js:1:1)\n    at evil (x.js:2:2)`);
    const frames = stackFrames(e);
    expect(frames.join('\n')).not.toContain(N);
    expect(frames.join('\n')).not.toContain('evil');
    expect(frames.length).toBeGreaterThan(0);
  });

  it('keeps thrown non-errors to their type and stops on a cause cycle', () => {
    const c = capture();
    logFailure('x', `secret ${N}`, { out: c.out });
    expect(JSON.parse(c.text()).error).toEqual({ class: 'string', frames: [] });
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    const d = capture();
    logFailure('x', a, { out: d.out });
    expect(JSON.parse(d.text()).causes).toHaveLength(1);
  });

  it('writes paths relative to the package, or only the file name outside it', () => {
    expect(relativeFile('/opt/mnvault/dist/src/web/app.js', '/opt/mnvault')).toBe('dist/src/web/app.js');
    expect(relativeFile('file:///opt/mnvault/dist/src/cli/main.js', '/opt/mnvault')).toBe('dist/src/cli/main.js');
    expect(relativeFile('/usr/lib/node_modules/npm/lib/x.js', '/opt/mnvault')).toBe('node_modules/npm/lib/x.js');
    expect(relativeFile('/home/yamada/tool.js', '/opt/mnvault')).toBe('…/tool.js');
    expect(relativeFile('node:internal/fs/utils', '/opt/mnvault')).toBe('node:internal/fs/utils');
  });

  it('masks every number-like run for MNVAULT_DEBUG', () => {
    for (const f of forms(N)) expect(maskNumbers(`x ${f} y`)).toBe('x ［番号のような数字］ y');
    expect(maskNumbers('line 42 of 300')).toBe('line 42 of 300');
    expect(maskNumbers(`id 12${N}`)).not.toContain(N);
  });

  it('logs a request path by its route words and row ids only', () => {
    expect(pathForLog('/persons/42/intake')).toBe('/persons/42/intake');
    expect(pathForLog('/audit/0b5e6f3c-1d2a-4c3b-9e8f-7a6b5c4d3e2f')).toBe('/audit/0b5e6f3c-1d2a-4c3b-9e8f-7a6b5c4d3e2f');
    expect(pathForLog(`/persons/${N}`)).toBe('/persons/:value');
    expect(pathForLog('/persons/山田%20太郎/x')).toBe('/persons/:value/x');
  });
});
