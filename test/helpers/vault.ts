import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { fixedClock, type Clock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { initDevVault } from '../../src/services/init-vault.js';
import type { Vault } from '../../src/services/vault.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';

export const ADMIN = { login: 'kanri', password: 'correct horse battery', pin: '246810' } as const;

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A fresh temp folder removed after the test. */
export function tempDir(prefix = 'mnvault-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new vault in a temp folder (a real encrypted file), closed after the test. */
export async function newTestVault(clock: Clock = fixedClock('2026-04-01T00:00:00Z')): Promise<{ vault: Vault; dataDir: string; recoveryCode: string }> {
  const dataDir = join(tempDir(), 'data');
  const { vault, recoveryCode } = await initDevVault({
    dataDir,
    admin: { login: ADMIN.login, password: new Secret(ADMIN.password), pin: new Secret(ADMIN.pin) },
    clock,
    pinCost: TEST_PIN_COST,
  });
  cleanups.push(() => vault.close());
  return { vault, dataDir, recoveryCode: recoveryCode.expose() };
}
