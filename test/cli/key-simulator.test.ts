import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { simulatedKeyStatePath } from '../../src/devices/key-simulator.js';
import { systemClock } from '../../src/domain/ports.js';
import { requestReveal } from '../../src/services/gate.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { packagePath } from '../../src/paths.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const MAIN = packagePath('dist', 'src', 'cli', 'main.js');
const NUMBER = syntheticNumber(7_266_019_843, 51);

describe('the simulated security key in serve --simulate-devices', () => {
  it('is enrolled with the PIN pad simulator and touched with its t key; its state file is private', async () => {
    const { vault, dataDir } = await newTestVault(systemClock);
    await addStaff(vault);
    importPersons(vault, Buffer.from(`種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${NUMBER}\n`), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' } });
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', http: true, simulateDevices: true, pinCost: TEST_PIN_COST });
    const pad = spawn(process.execPath, [MAIN, 'pinpad', '--data', dataDir], { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
    const output: string[] = [];
    pad.stdout.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    try {
      await expect.poll(() => output.join(''), { timeout: 10_000 }).toContain('t で模擬セキュリティキーにタッチ');
      expect(statSync(simulatedKeyStatePath(dataDir)).mode & 0o777).toBe(0o600);
      // Nothing asks for a touch yet.
      pad.stdin.write('t');
      await expect.poll(() => output.join('')).toContain('キーはタッチを待っていません');

      const admin = vault.users.byLogin(ADMIN.login)!;
      const handler = vault.users.byLogin(HANDLER.login)!;
      // The enrolment, as the admin's page starts it; the code and the admin's PIN are typed on the simulator.
      const e = serving.securityKeys!.desk.start(admin, handler.id, '模擬キー', Date.now());
      pad.stdin.write(`${e.code}\r${ADMIN.pin}\r`);
      for (let touches = 0; touches < 2; ) {
        await expect.poll(() => serving.securityKeys!.station.statuses()[0]?.state, { timeout: 10_000 }).toBe('enrolling');
        pad.stdin.write('t');
        await new Promise((r) => setTimeout(r, 150));
        touches = output.join('').split('キーにタッチしました').length - 1;
      }
      await expect.poll(() => vault.securityKeys.active().length, { timeout: 10_000 }).toBe(1);

      const r = requestReveal(vault, serving.reveals.requests, handler, { personId: vault.persons.codes('employee').get('E1')!, purpose: 'withholding_slip' }, null);
      await expect.poll(() => serving.securityKeys!.station.statuses()[0]?.state, { timeout: 10_000 }).toBe('waiting_touch');
      // The key blinks: a touch approves the request.
      pad.stdin.write('t');
      await expect.poll(() => vault.gate.byId(r.id)!.state, { timeout: 10_000 }).toBe('approved');
      // The simulator prints its third touch on its own stdout, which may arrive after the approval commits.
      await expect.poll(() => output.join('').split('キーにタッチしました').length - 1, { timeout: 5_000 }).toBe(3);
      expect(output.join('')).not.toContain(NUMBER);
    } finally {
      pad.stdin.end('\x04');
      await serving.stop();
    }
  }, 60_000);
});
