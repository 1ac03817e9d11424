import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Secret } from '../../src/domain/secret.js';
import { hashPassword, passwordCost, PRODUCTION_PASSWORD_COST, TEST_PASSWORD_COST, verifyPassword } from '../../src/vault/password.js';

describe('the password-hash cost', () => {
  it('is scrypt N=2^15, r=8, p=1 in production, and every hash records the cost it was made with', async () => {
    expect(PRODUCTION_PASSWORD_COST).toEqual({ N: 2 ** 15, r: 8, p: 1 });
    expect(passwordCost({})).toBe(PRODUCTION_PASSWORD_COST);
    const stored = await hashPassword(new Secret('correct horse battery'), PRODUCTION_PASSWORD_COST);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/u);
    expect(await verifyPassword(new Secret('correct horse battery'), stored)).toBe(true);
    expect(await verifyPassword(new Secret('correct horse batterY'), stored)).toBe(false);
  });

  it('is lowered only for the test runner, which this suite is', async () => {
    expect(TEST_PASSWORD_COST.N).toBeLessThan(PRODUCTION_PASSWORD_COST.N);
    expect(passwordCost({ MNVAULT_PASSWORD_COST: 'test', NODE_ENV: 'test' })).toBe(TEST_PASSWORD_COST);
    expect(process.env.NODE_ENV).toBe('test');
    const stored = await hashPassword(new Secret('correct horse battery'));
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/u);
    expect(await verifyPassword(new Secret('correct horse battery'), stored)).toBe(true);
  });

  it('refuses the variable anywhere else, and the service refuses to start with it', () => {
    for (const env of [{ MNVAULT_PASSWORD_COST: 'test' }, { MNVAULT_PASSWORD_COST: 'test', NODE_ENV: 'production' }, { MNVAULT_PASSWORD_COST: '1024', NODE_ENV: 'test' }]) {
      expect(() => passwordCost(env)).toThrow(/MNVAULT_PASSWORD_COST/u);
    }
    expect(() => loadConfig({ MNVAULT_PASSWORD_COST: 'test', CREDENTIALS_DIRECTORY: '/run/credentials/mnvault.service' })).toThrow(/MNVAULT_PASSWORD_COST: テストの実行/u);
    expect(() => loadConfig({})).not.toThrow();
  });
});
