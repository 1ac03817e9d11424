import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Three projects; npm test (and CI) runs all of them:
 * - 'unit', the fast set a developer runs all the time (npm run test:unit, well under a minute on two
 *   cores): the pure tests of test/unit and test/devices (domain rules, crypto and its vectors, codecs,
 *   device protocols against simulated devices, small storage units);
 * - 'in-process', tests that stay in one process but build whole vaults on real SQLite or drive the
 *   web app through supertest (npm run test:in-process);
 * - 'process', the tests that start processes, servers, Chromium, pcscd or a whole appliance.
 */

/** Folders of the fast set. */
const UNIT_FOLDERS = ['unit', 'vectors', 'devices'];
const UNIT = UNIT_FOLDERS.map((d) => `test/${d}/**/*.test.ts`);

/** Folders of the other in-process tests. */
const IN_PROCESS_ONLY = ['integration', 'web', 'security', 'fault'];
const IN_PROCESS_FOLDERS = [...UNIT_FOLDERS, ...IN_PROCESS_ONLY];
const IN_PROCESS = IN_PROCESS_ONLY.map((d) => `test/${d}/**/*.test.ts`);

/**
 * Tests in the fast set's folders that stay in one process but are not quick: a vault with its
 * web app, or the type-checked lint of the fixtures. They run in 'in-process'.
 */
const SLOW_IN_PROCESS = ['test/devices/hid-pinpad.test.ts', 'test/unit/lint-boundaries.test.ts'];

/** Every other folder of test/ (cli, e2e, reports, packaging, appliance, and any new one). */
const OTHER = readdirSync(new URL('test/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && !IN_PROCESS_FOLDERS.includes(d.name))
  .map((d) => `test/${d.name}/**/*.test.ts`);

/** Tests in those folders that start a process, a server on a port, a browser or a device daemon. */
const STARTS_PROCESSES = [
  'test/devices/door-service.test.ts',
  'test/devices/door-simulator.test.ts',
  'test/devices/door.test.ts',
  'test/devices/mynumber-card-pcsc.test.ts',
  'test/devices/pin-uv-auth-independent.test.ts',
  'test/devices/probe-batches.test.ts',
  'test/devices/security-key-transcripts.test.ts',
  'test/devices/udev-rules.test.ts',
  'test/fault/backup-interrupt.test.ts',
  'test/fault/crash-keys.test.ts',
  'test/fault/lost-wal.test.ts',
  'test/fault/storage-faults.test.ts',
  'test/fault/system-clock.test.ts',
  'test/integration/card-intake-pinpad.test.ts',
  'test/integration/card-intake.test.ts',
  'test/integration/gate.test.ts',
  'test/integration/security-key-gate.test.ts',
  'test/security/backup-mode.test.ts',
  'test/security/chromium-sandbox.test.ts',
  'test/security/csv-formula.test.ts',
  'test/security/local-ca.test.ts',
  'test/security/server-limits.test.ts',
  'test/security/status-clock.test.ts',
  'test/security/tls.test.ts',
  'test/unit/failure-log.test.ts',
  'test/unit/outside-references.test.ts',
  'test/unit/pdf-launch.test.ts',
  'test/unit/second-factor-keys.test.ts',
  'test/web/audit.test.ts',
  'test/web/card-intake.test.ts',
  'test/web/hostile-input.test.ts',
  'test/web/records.test.ts',
  'test/web/reports.test.ts',
  'test/web/routes-roles.test.ts',
  'test/web/second-factor.test.ts',
  'test/web/security-keys.test.ts',
  'test/web/sessions-csrf.test.ts',
  'test/web/sign-in-bursts.test.ts',
  'test/web/status.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    // The low password-hash cost, honoured only because vitest runs with NODE_ENV=test (src/vault/password.ts).
    env: { MNVAULT_PASSWORD_COST: 'test' },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude: [...STARTS_PROCESSES, ...SLOW_IN_PROCESS] } },
      { extends: true, test: { name: 'in-process', include: [...IN_PROCESS, ...SLOW_IN_PROCESS], exclude: STARTS_PROCESSES } },
      { extends: true, test: { name: 'process', include: [...OTHER, ...STARTS_PROCESSES] } },
    ],
  },
});
