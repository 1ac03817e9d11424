import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { importExecArgv } from '../../src/services/import/import-process.js';

describe('the web import child process', () => {
  it("runs without the server's small-heap flags, keeping the others", () => {
    const unit = readFileSync(packagePath('systemd', 'mnvault.service'), 'utf8');
    const flags = /^ExecStart=\/usr\/bin\/node ((?:--\S+ )*)/mu.exec(unit)![1]!.trim().split(' ');
    expect(flags).toEqual(['--max-semi-space-size=1', '--optimize-for-size']);
    expect(importExecArgv([...flags, '--enable-source-maps'])).toEqual(['--enable-source-maps']);
  });
});
