import type { Config } from '../config.js';
import { checkAnchor, parseAnchor, type Anchor } from '../audit/anchors.js';
import { GENESIS, verifyRows } from '../audit/chain.js';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HEAD_FILE } from '../audit/head-witness.js';
import { AppError, publicMessage } from '../domain/errors.js';
import { checkReadable, DB_FILE, writeTransaction } from '../storage/database.js';
import { asStorageError } from '../storage/storage-errors.js';
import { openVault, type Vault } from '../services/vault.js';
import { systemClock } from '../domain/ports.js';
import { devCredentialPath } from '../vault/credential.js';
import { verifyChainParallel } from '../audit/verify.js';
import { AuditBrowseRepo } from '../storage/audit-browse-repo.js';
import { checkStoredAssertion } from '../services/assertion-check.js';
import { databasePath } from '../services/vault.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

const USAGE = 'mnvault audit verify --data DIR [--anchor SEQ:HASH ...] または mnvault audit check-assertion --data DIR --seq N の形で実行してください。';

/**
 * `mnvault audit verify`: exit 0 with the count and head, 1 naming the first
 * bad seq or the anchor the chain no longer passes through, 2 for bad usage.
 * `mnvault audit check-assertion`: the offline check of one security-key approval.
 */
export async function auditCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') return verifyCommand(rest, config, out, err);
  if (sub === 'check-assertion') return checkAssertionCommand(rest, config, out, err);
  throw usageError(USAGE);
}

async function verifyCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, anchor: { type: 'string', multiple: true } });
  // Anchors are parsed before the vault is opened: a mistyped one is a usage error (exit 2).
  const anchors: Anchor[] = (values.anchor ?? []).map(parseAnchor);
  const dataDir = dataDirFrom(values.data, config);
  const opened = openForVerify(dataDir, config, err);
  const { vault } = opened;
  try {
    const started = performance.now();
    const result = await verifyChainParallel({ repo: vault.auditRepo, dbPath: databasePath(vault.dataDir), dbKey: vault.dbKey, auditKey: vault.keys.audit });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!result.ok) {
      err.write(`監査記録の改ざんを検出しました: ${result.reason}\n最初に不正な記録: seq ${result.badSeq}（それより前の ${result.count} 件は正常）\n`);
      return 1;
    }
    const head = result.head;
    const browse = new AuditBrowseRepo(vault.db);
    const failed = anchors.map((a) => checkAnchor(a, browse.namedBySeq(a.seq), head?.seq ?? 0)).filter((r) => !r.ok);
    if (failed.length) {
      for (const f of failed) err.write(`印刷された先頭（--anchor ${f.anchor.text}）を監査記録が通っていません: ${f.reason}。\n`);
      err.write(`監査記録はそれ自体としては整合していますが、印刷時点の記録と異なります。鍵を使った書き換えの疑いがあるため、印刷物と突き合わせて調査してください。\n`);
      return 1;
    }
    // The verdict first: a check that cannot be recorded (a full disk, a read-only copy) still reports.
    out.write(
      `監査記録は正常です: ${result.count} 件（${seconds} 秒）\n` +
        (head ? `先頭: seq ${head.seq} ${head.hash.toString('hex')}\n` : '記録はまだありません。\n') +
        anchors.map((a) => `印刷された先頭 seq ${a.seq} を通っています。\n`).join(''),
    );
    if (opened.copy) {
      err.write('データフォルダに書き込めない（読み取り専用、またはディスクがいっぱい）ため、書き込まずに検証しました。検証したことは記録していません。\n');
      return 0;
    }
    try {
      writeTransaction(vault.db, () =>
        vault.audit.append({
          actor: { id: 'cli', name: 'mnvault audit verify' },
          action: 'audit.verified',
          detail: { result: 'intact', count: result.count, head_seq: head?.seq ?? 0, head_hash: head?.hash.toString('hex') ?? '', anchors: anchors.map((a) => a.seq).join(',') },
        }),
      );
    } catch (cause) {
      const fault = asStorageError(cause);
      err.write(`検証したことを監査記録に残せませんでした（${fault ? fault.publicMessage : publicMessage(cause)}）。上の結果は有効です。\n`);
    }
    return 0;
  } finally {
    opened.close();
  }
}

/**
 * Opens the vault to verify. A data folder that cannot be written (a forensic
 * copy on a read-only mount) is copied, still encrypted, into a private temp
 * folder and verified there; nothing is written to the original.
 */
function openForVerify(dataDir: string, config: Config, err: NodeJS.WritableStream): { vault: Vault; copy: boolean; close(): void } {
  // A file that cannot be read is named as such, not copied (the copy would fail without a name).
  if (existsSync(join(dataDir, DB_FILE))) checkReadable(join(dataDir, DB_FILE));
  try {
    const vault = openForCommand(dataDir, config, err);
    return { vault, copy: false, close: () => vault.close() };
  } catch (e) {
    if (!(e instanceof AppError && (e.code === 'storage_readonly' || e.code === 'storage_full'))) throw e;
  }
  // A full disk or a read-only folder: first read in place, without writing.
  try {
    const vault = openForCommand(dataDir, config, err, { readonly: true });
    return { vault, copy: true, close: () => vault.close() };
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'storage_readonly')) throw e;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mnvault-verify-'));
  try {
    for (const name of [DB_FILE, `${DB_FILE}-wal`, HEAD_FILE]) {
      if (existsSync(join(dataDir, name))) copyFileSync(join(dataDir, name), join(tmp, name));
    }
    // The credential stays where it is: systemd's, or the development one in the original folder.
    const vault = openVault({ dataDir: tmp, credentialsDirectory: config.credentialsDirectory ?? dirname(devCredentialPath(dataDir)), clock: systemClock });
    return {
      vault,
      copy: true,
      close: () => {
        try {
          vault.close();
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function checkAssertionCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, seq: { type: 'string' } });
  if (!values.seq || !/^[1-9][0-9]{0,14}$/u.test(values.seq)) throw usageError('--seq で確認する承認の記録の番号（1以上の整数）を指定してください。');
  const seq = Number(values.seq);
  const dataDir = dataDirFrom(values.data, config);
  const vault = openForCommand(dataDir, config, err);
  try {
    const browse = new AuditBrowseRepo(vault.db);
    const entry = browse.bySeq(seq);
    if (!entry) throw usageError(`seq ${seq} の記録はありません（先頭は seq ${vault.auditRepo.head()?.seq ?? 0}）。`);
    // The event is only evidence if the chain up to it holds.
    const erased = vault.auditRepo.names.erased();
    const chain = verifyRows(vault.auditRepo.iterateRaw(1, seq), vault.keys.audit, 1, GENESIS, erased);
    if (!chain.ok) {
      err.write(`seq ${seq} までの監査記録に改ざんを検出したため、確認できません: ${chain.reason}\n`);
      return 1;
    }
    const check = checkStoredAssertion(entry, browse.allOf('security_key.enrolled'), browse.allOf('security_key.revoked'));
    out.write(`seq ${seq} のセキュリティキーによる承認を確認します（seq 1〜${seq} の監査記録は正常）。\n`);
    out.write(`コミットメントの元: ${check.commitmentInput}\n`);
    for (const s of check.steps) out.write(`  ${s.ok ? 'OK ' : 'NG '} ${s.label}${s.note ? `（${s.note}）` : ''}\n`);
    if (!check.ok) {
      err.write(`seq ${seq} の承認の署名を確認できませんでした（NG の項目を参照）。\n`);
      return 1;
    }
    out.write(`署名は正しく、この承認は登録されたキー（登録 seq ${check.enrolledSeq}）へのタッチで行われました。\n`);
    return 0;
  } finally {
    vault.close();
  }
}
