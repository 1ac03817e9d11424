import { describe, expect, it } from 'vitest';
import { captureStderr, forms } from '../helpers/canary.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { Browser, testApp } from '../helpers/web.js';

/** The one JSON line a request failure leaves, parsed. */
function failureLines(lines: string[]): Record<string, unknown>[] {
  return lines
    .join('')
    .split('\n')
    .filter((l) => l.includes('"request_failed"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('an unexpected error in a route', () => {
  it('logs the reference id shown on the 500 page with classes, codes and frames, never the message', async () => {
    const { vault } = await newTestVault();
    const number = syntheticNumber(7, 3);
    // A real SQLite fault (a trigger aborting the session insert at sign-in), its message holding a number.
    vault.db.exec(`CREATE TEMP TRIGGER provoke BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'provoked for ${number} (${forms(number)[2]})'); END;`);
    const b = new Browser(testApp(vault));
    await b.get('/login');
    const log = captureStderr();
    let res;
    try {
      res = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
    } finally {
      log.restore();
    }
    expect(res.status).toBe(500);
    const ref = /参照ID: ([0-9a-f]{8})/u.exec(res.text)?.[1];
    expect(ref).toBeDefined();
    const [line, ...more] = failureLines(log.lines);
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ level: 'error', event: 'request_failed', ref, method: 'POST', path: '/login', appCode: 'internal' });
    const error = line!.error as { class: string; code: string; sqlite: string; frames: string[] };
    expect(error).toMatchObject({ class: 'SqliteError', code: 'SQLITE_CONSTRAINT_TRIGGER', sqlite: 'SQLITE_CONSTRAINT_TRIGGER' });
    // Frames an operator can map to the code: our files by package-relative path and line.
    expect(error.frames.some((f) => /\((dist\/)?src\/[\w/.-]+\.[jt]s:\d+:\d+\)$/u.test(f))).toBe(true);
    expect(error.frames.every((f) => /^.+ \(.+:\d+:\d+\)$/u.test(f))).toBe(true);
    const text = log.lines.join('');
    for (const f of forms(number)) {
      expect(text).not.toContain(f);
      expect(res.text).not.toContain(f);
    }
    expect(text).not.toContain('provoked');
    expect(text).not.toContain(process.cwd());
  });

  it('with MNVAULT_DEBUG shows the message on the page with the number masked', async () => {
    const { vault } = await newTestVault();
    const number = syntheticNumber(8, 3);
    vault.db.exec(`CREATE TEMP TRIGGER provoke BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'provoked for ${number}'); END;`);
    const b = new Browser(testApp(vault, { debug: true }));
    await b.get('/login');
    const log = captureStderr();
    let res;
    try {
      res = await b.post('/login', { login: ADMIN.login, password: ADMIN.password });
    } finally {
      log.restore();
    }
    expect(res.status).toBe(500);
    expect(res.text).toContain('詳細（MNVAULT_DEBUG）: SqliteError: provoked for ［番号のような数字］');
    for (const f of forms(number)) expect(res.text + log.lines.join('')).not.toContain(f);
  });
});
