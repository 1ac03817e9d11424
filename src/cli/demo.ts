import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { systemClock } from '../domain/ports.js';
import { Secret } from '../domain/secret.js';
import { packagePath } from '../paths.js';
import { importPersons } from '../services/import/import-persons.js';
import { initDevVault } from '../services/init-vault.js';
import { databasePath } from '../services/vault.js';
import { parse } from './args.js';
import { serveCommand } from './serve.js';
import { recoveryCodeForPaper } from '../vault/recovery-code-text.js';

export const DEMO_ADMIN = { login: 'admin', password: 'demo-password-2026', pin: '246810' } as const;

/**
 * `mnvault demo`: a development vault in ./demo-data (made on first run with a
 * development key, a demo admin and synthetic persons), served on loopback with
 * simulated devices. Refused in production mode.
 */
export async function demoCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (config.mode === 'production') throw new AppError('forbidden', '本番モードではデモを起動できません。');
  const { values } = parse(argv, { data: { type: 'string' }, port: { type: 'string' }, reset: { type: 'boolean' } });
  const dataDir = values.data ?? packagePath('demo-data');
  if (values.reset) rmSync(dataDir, { recursive: true, force: true });
  if (!existsSync(databasePath(dataDir))) {
    const { vault, recoveryCode } = await initDevVault({
      dataDir,
      admin: { login: DEMO_ADMIN.login, displayName: 'デモ管理者', password: new Secret(DEMO_ADMIN.password), pin: new Secret(DEMO_ADMIN.pin) },
      clock: systemClock,
    });
    try {
      const report = importPersons(vault, readFileSync(packagePath('scripts', 'demo', 'persons.csv')), {
        actor: { id: 'cli', name: 'mnvault demo' },
        // The purposes the demo's (fictitious) 利用目的通知書 names: the import records only what was chosen.
        purposes: ['withholding_slip', 'salary_payment_report', 'dependant_declaration', 'health_pension_insurance', 'health_dependant_change', 'employment_insurance', 'payment_record_fees'],
      });
      if (!report.committed) throw new Error('demo CSV did not import');
      writeFileSync(join(dataDir, 'README-DEMO.txt'), 'デモ用の金庫です。開発用の鍵を使っているため、実データを入れないでください。\n', { mode: 0o600 });
      out.write(`デモ用の金庫を作成しました: ${dataDir}\n（架空の ${report.rows} 名を登録。回復コード: ${recoveryCodeForPaper(recoveryCode)}）\n`);
    } finally {
      vault.close();
      recoveryCode.wipe();
    }
  }
  out.write(`管理者: ${DEMO_ADMIN.login} / パスワード: ${DEMO_ADMIN.password} / PIN: ${DEMO_ADMIN.pin}（デモ専用）\n`);
  return serveCommand(['--data', dataDir, '--port', values.port ?? '8080', '--http', '--simulate-devices'], config, out, err);
}
