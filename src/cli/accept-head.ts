import type { Config } from '../config.js';
import { acceptHead } from '../services/head-guard.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';

/**
 * `mnvault accept-head --data DIR`: the operator's override when the vault
 * refused to start because its chain is shorter than (or differs from) the
 * head witness: after a restore, or after confirming what a lost WAL took.
 * The override is itself an audit event naming both heads.
 */
export function acceptHeadCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const { values } = parse(argv, { data: { type: 'string' } });
  const dataDir = dataDirFrom(values.data, config);
  const vault = openForCommand(dataDir, config, err, { acceptHead: true });
  try {
    const { before, seq } = acceptHead(vault, vault.headKey, { id: 'cli', name: 'mnvault accept-head' }, config.syslogWitness);
    out.write(
      before.ok
        ? `監査記録と先頭の控えは一致していました。控えを seq ${seq} に更新しました。\n`
        : `受け入れる前の状態: ${before.reason}。\n現在の監査記録を受け入れ、監査記録 seq ${seq} に残しました。失われた記録はバックアップや syslog の控えで確認してください。\n`,
    );
    return 0;
  } finally {
    vault.close();
  }
}
