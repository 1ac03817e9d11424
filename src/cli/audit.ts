import type { Config } from '../config.js';
import { writeTransaction } from '../storage/database.js';
import { verifyChainParallel } from '../audit/verify.js';
import { databasePath } from '../services/vault.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

/** `mnvault audit verify`: exit 0 with the count and head, 1 naming the first bad seq. */
export async function auditCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') throw usageError('mnvault audit verify --data DIR の形で実行してください。');
  const { values } = parse(rest, { data: { type: 'string' } });
  const dataDir = dataDirFrom(values.data, config);
  const vault = openForCommand(dataDir, config, err);
  try {
    const started = performance.now();
    const result = await verifyChainParallel({ repo: vault.auditRepo, dbPath: databasePath(dataDir), dbKey: vault.dbKey, auditKey: vault.keys.audit });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!result.ok) {
      err.write(`監査記録の改ざんを検出しました: ${result.reason}\n最初に不正な記録: seq ${result.badSeq}（それより前の ${result.count} 件は正常）\n`);
      return 1;
    }
    const head = result.head;
    // The check itself goes on the trail; a verify that cannot be recorded still reports.
    writeTransaction(vault.db, () =>
      vault.audit.append({
        actor: { id: 'cli', name: 'mnvault audit verify' },
        action: 'audit.verified',
        detail: { count: result.count, head_seq: head?.seq ?? 0, head_hash: head?.hash.toString('hex') ?? '' },
      }),
    );
    out.write(
      `監査記録は正常です: ${result.count} 件（${seconds} 秒）\n` +
        (head ? `先頭: seq ${head.seq} ${head.hash.toString('hex')}\n` : '記録はまだありません。\n'),
    );
    return 0;
  } finally {
    vault.close();
  }
}
