#!/usr/bin/env node
import { loadConfig } from '../config.js';
import { exitCodeFor } from '../domain/errors.js';
import { logFailure } from '../failure-log.js';
import { auditCommand } from './audit.js';
import { benchCommand } from '../../bench/bench.js';
import { demoCommand } from './demo.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { reportError, usageError } from './output.js';
import { serveCommand } from './serve.js';
import { pinpadCommand } from './pinpad.js';
import { doorCommand } from './door.js';
import { reportCommand } from './report.js';
import { rekeyCommand } from './rekey.js';
import { rotateVaultKeyCommand } from './rotate-vault-key.js';
import { backupCommand } from './backup.js';
import { restoreCommand } from './restore.js';
import { supportBundleCommand } from './support-bundle.js';
import { asksForHelp, commandUsage } from './help.js';
import { acceptHeadCommand } from './accept-head.js';
import { unlockCommand } from './unlock.js';
import { filingRecordsCommand } from './filing-records.js';

const USAGE = `mnvault — マイナンバー金庫

  mnvault init   --data DIR [--dev] --admin-user NAME --admin-password-file F --admin-pin-file F
  mnvault serve  --data DIR [--port N] [--host H] [--http] [--simulate-devices]
  mnvault import --data DIR FILE.csv --purposes CODE,CODE [--skip-invalid]   # 通知した利用目的（「利用目的」の列がなければ必須）
  mnvault audit verify --data DIR [--anchor SEQ:HASH ...]   # 印刷された先頭を通るかも確認
  mnvault report activity|entries|disposal|register [--month YYYY-MM] --data DIR --out FILE.pdf
  mnvault audit check-assertion --data DIR --seq N         # セキュリティキー承認の署名を確認
  mnvault filing-records list|pdf --year YYYY --data DIR [--out FILE.pdf]
                                                   # 年分の提出記録（一覧、または pdf で印刷用PDF）
  mnvault demo   [--data DIR] [--port N] [--reset]
  mnvault pinpad [--data DIR]                      # 模擬PINパッド（開発用）
  mnvault door   [open|close|status] [--data DIR]  # 模擬の扉（開発用、socat が必要）
  mnvault backup --data DIR [--to FOLDER] [--keep N]     # 稼働中でも取れる暗号化されたバックアップ
  mnvault backup --list --data DIR [--to FOLDER]       # 一覧（廃棄より前のものに印）
  mnvault restore --from FILE --data NEWDIR (--pin-file F | --recovery-code-file F) [--credential FILE]
  mnvault rekey  --data DIR [--credential-out PATH]   # データベース鍵の交換（サービス停止中に）
  mnvault rotate-vault-key --data DIR --user NAME --pin-file F [--recovery-code-file F]
                                                   # 金庫の鍵の交換（中断したら同じコマンドで再開）
  mnvault support-bundle --data DIR --out FILE [--log FILE] [--full-check]
                                                   # サポート用の情報（個人情報・秘密なし）を1つのファイルに
  mnvault unlock USER --data DIR                   # サインインのロックを解除（記録に残る）
  mnvault accept-head --data DIR                   # 監査記録の欠落を確認のうえ受け入れる（記録に残る）
  mnvault bench  [--n N] [--only import,verify,…]

--data は環境変数 MNVAULT_DATA でも指定できます。
終了コード: 0 成功、1 検査した性質の不成立（改ざんなど）、2 使い方・入力の誤り。
`;

export async function run(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  let debug = false;
  try {
    // `mnvault help CMD` and `mnvault CMD … --help`: that command's usage, exit 0.
    const helpFor = command === 'help' && rest[0] ? rest[0] : command && command !== 'help' && asksForHelp(rest) ? command : undefined;
    if (helpFor) {
      const text = commandUsage(USAGE, helpFor);
      if (!text) throw usageError(`不明なコマンド「${helpFor}」です。`);
      out.write(text);
      return 0;
    }
    const config = loadConfig(process.env);
    debug = config.debug;
    switch (command) {
      case 'init':
        return await initCommand(rest, config, out);
      case 'import':
        return importCommand(rest, config, out, err);
      case 'audit':
        return await auditCommand(rest, config, out, err);
      case 'serve':
        return await serveCommand(rest, config, out, err);
      case 'demo':
        return await demoCommand(rest, config, out, err);
      case 'pinpad':
        return await pinpadCommand(rest, config, out);
      case 'door':
        return await doorCommand(rest, config, out);
      case 'report':
        return await reportCommand(rest, config, out, err);
      case 'backup':
        return await backupCommand(rest, config, out, err);
      case 'restore':
        return await restoreCommand(rest, config, out);
      case 'support-bundle':
        return await supportBundleCommand(rest, config, out, err);
      case 'bench':
        return await benchCommand(rest, out);
      case 'unlock':
        return unlockCommand(rest, config, out, err);
      case 'accept-head':
        return acceptHeadCommand(rest, config, out, err);
      case 'rekey':
        return rekeyCommand(rest, config, out);
      case 'filing-records':
        return await filingRecordsCommand(rest, config, out, err);
      case 'rotate-vault-key':
        return await rotateVaultKeyCommand(rest, config, out, err);
      case 'help':
      case '--help':
      case '-h':
      case undefined:
        out.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw usageError(`不明なコマンド「${command}」です。`);
    }
  } catch (e) {
    return reportError(e, err, { debug, command: command !== undefined && /^[a-z-]{1,30}$/u.test(command) ? command : undefined });
  }
}

// A failure outside every command's error handling (a timer, a stream, a forgotten promise) is logged
// like any other unexpected error, without its message, and then ends the process as Node would.
process.on('uncaughtException', (e) => {
  logFailure('uncaught_exception', e);
  process.exit(exitCodeFor.internal);
});
process.on('unhandledRejection', (e) => {
  logFailure('unhandled_rejection', e);
  process.exit(exitCodeFor.internal);
});

process.exitCode = await run(process.argv.slice(2));
