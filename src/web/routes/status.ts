import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { packagePath } from '../../paths.js';
import { setupCompletedAt } from '../../services/setup.js';
import { requirePermission, type WebDeps } from '../app.js';
import { readLocalCa } from './ca.js';
import { SETUP_MESSAGES, STATUS_MESSAGES as T } from '../messages-setup.js';
import { formatUptime, setupChecks, systemChecks, tlsInfo } from '../setup-checks.js';

/** The version in package.json, read once. */
function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? '不明';
  } catch {
    return '不明';
  }
}

/**
 * 設定の確認 (admins only): the setup checks and the service's own (credential,
 * TLS, disk) as one table with OK / 要確認 and what to do, and the facts an
 * operator is asked for on the phone: version, uptime, audit head, fingerprint.
 */
export function statusRoutes(deps: WebDeps): Router {
  const r = Router();
  const version = appVersion();
  r.get('/', requirePermission('users.manage'), (req, res) => {
    const { vault } = deps;
    const head = deps.auditReading.head();
    const tls = tlsInfo(vault.dataDir, vault.clock.now());
    res.render('status/index', {
      t: T,
      s: SETUP_MESSAGES,
      setupRows: setupChecks(deps),
      systemRows: systemChecks(deps),
      completedAt: setupCompletedAt(vault),
      justCompleted: req.query.completed === '1',
      version,
      uptime: formatUptime(process.uptime()),
      mode: deps.mode,
      head: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null,
      tls,
      caFingerprint: readLocalCa(vault.dataDir)?.sha256 ?? null,
    });
  });
  return r;
}
