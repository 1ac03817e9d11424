import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import { randomBytes } from 'node:crypto';
import { errorCode, httpStatusFor, publicMessage } from '../domain/errors.js';
import { PURPOSES } from '../domain/purposes.js';
import type { Vault } from '../services/vault.js';
import { packagePath } from '../paths.js';

const VIEWS = packagePath('views');
const PUBLIC = packagePath('public');

export interface AppDeps {
  vault: Vault;
  mode: 'production' | 'development';
  simulateDevices: boolean;
}

/**
 * The office LAN app. This first cut shows the vault's state (no personal data)
 * and a health endpoint; sign-in, the register and intake come with issue 3.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', VIEWS);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'form-action': ["'self'"] },
      },
    }),
  );
  app.use('/static', express.static(PUBLIC, { fallthrough: false, index: false }));

  app.get('/health', (_req, res) => {
    const head = deps.vault.audit.head();
    res.json({ status: 'ok', auditSeq: head?.seq ?? 0 });
  });

  app.get('/', (_req, res) => {
    const counts = deps.vault.persons.count();
    const head = deps.vault.audit.head();
    res.render('status', {
      counts,
      head: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null,
      developmentKey: deps.vault.credential.development,
      simulateDevices: deps.simulateDevices,
      purposes: PURPOSES,
    });
  });

  app.use((_req, res) => {
    res.status(404).render('error', { message: 'ページが見つかりません。URLを確認してください。', ref: null });
  });

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const ref = randomBytes(4).toString('hex');
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Client errors raised by express itself (a missing static file, a malformed request).
      res.status(status).render('error', { message: status === 404 ? 'ページが見つかりません。URLを確認してください。' : 'リクエストの形式が正しくありません。', ref: null });
      return;
    }
    const code = errorCode(err);
    if (code === 'internal') process.stderr.write(`request ${ref} failed: ${(err as Error)?.name ?? 'unknown'}\n`);
    res.status(httpStatusFor[code]).render('error', { message: publicMessage(err), ref });
  };
  app.use(onError);
  return app;
}
