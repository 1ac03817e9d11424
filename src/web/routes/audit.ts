import { Router } from 'express';
import { AUDIT_ACTION_LABEL, isAuditAction } from '../../domain/audit-labels.js';
import { AppError } from '../../domain/errors.js';
import { actorOf } from '../../services/accounts.js';
import { checkStoredAssertion, isKeyApproval } from '../../services/assertion-check.js';
import { RP_ID } from '../../services/security-keys.js';
import { requirePermission, type WebDeps } from '../app.js';
import {
  AUDIT_PAGE_SIZE, AuditQueryError, chainState, detailPairs, filterChoices, parseAuditQuery, personLabel, queryString, toLine, type ParsedAuditQuery,
} from '../audit-view.js';
import { clientOf, intParam } from '../forms.js';

/**
 * The audit views (監査記録) for admins and auditors: the trail newest first
 * with filters and keyset paging, the chain's state with a full verification
 * that runs in worker threads, one event in full, and how to check a
 * security-key approval offline. The trail never holds a number; nor do these pages.
 */
export function auditRoutes(deps: WebDeps): Router {
  const r = Router();
  const { auditReading: reading, auditVerifier: verifier } = deps;
  const read = requirePermission('audit.read');

  r.get('/', read, (req, res) => {
    let parsed: ParsedAuditQuery;
    let error: string | null = null;
    try {
      parsed = parseAuditQuery(reading, req.query as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof AuditQueryError)) throw err;
      error = err.publicMessage;
      parsed = { query: err.query, filter: {}, cursor: {}, personNote: null, nobody: true };
    }
    const page = parsed.nobody ? { rows: [], newer: false, older: false } : reading.page(parsed.filter, parsed.cursor, AUDIT_PAGE_SIZE);
    const lines = page.rows.map(toLine);
    const q = parsed.query;
    res.status(error ? 400 : 200).render('audit/index', {
      q,
      error,
      personNote: parsed.personNote,
      lines,
      choices: filterChoices(reading),
      chain: chainState(reading),
      run: verifier.status(),
      syslog: deps.syslog?.status() ?? null,
      pageSize: AUDIT_PAGE_SIZE,
      newest: parsed.cursor.before !== undefined || parsed.cursor.after !== undefined ? `/audit${queryString(q)}` : null,
      newer: page.newer && lines.length ? `/audit${queryString(q, { after: lines[0]!.seq })}` : null,
      older: page.older && lines.length ? `/audit${queryString(q, { before: lines.at(-1)!.seq })}` : null,
    });
  });

  r.post('/verify', read, (req, res) => {
    const user = res.locals.session!.user;
    verifier.start(actorOf(user), clientOf(req));
    res.redirect(303, '/audit#chain');
  });

  r.get('/verify/status', read, (_req, res) => {
    res.json(verifier.status());
  });

  r.get('/help/assertion', read, (_req, res) => {
    res.render('audit/assertion-help', { rpId: RP_ID });
  });

  r.get('/:seq', read, (req, res) => {
    const seq = intParam(req.params.seq);
    const e = reading.event(seq);
    if (!e) throw new AppError('not_found', `seq ${seq} の監査記録はありません。`);
    const subjects = JSON.parse(e.subjects) as { id: number; name: string }[];
    let assertion = null;
    if (isKeyApproval(e)) {
      const check = checkStoredAssertion(e, reading.allOf('security_key.enrolled'), reading.allOf('security_key.revoked'));
      const d = JSON.parse(e.detail) as Record<string, unknown>;
      const enrolled = check.enrolledSeq ? reading.event(check.enrolledSeq) : undefined;
      assertion = {
        check,
        fields: ['credentialId', 'authData', 'signature', 'signCount', 'clientDataHash'].map((k) => ({ key: k, value: String(d[k] ?? '') })),
        publicKey: enrolled ? String((JSON.parse(enrolled.detail) as Record<string, unknown>).public_key ?? '') : '',
      };
    }
    const head = reading.headSeq() || seq;
    res.render('audit/show', {
      seq,
      at: e.at,
      actorId: e.actorId,
      actorName: e.actorName,
      action: e.action,
      actionLabel: isAuditAction(e.action) ? AUDIT_ACTION_LABEL[e.action].label : e.action,
      purpose: e.purpose ? `${personLabel(e.purpose)}（${e.purpose}）` : '',
      client: e.client ?? '',
      device: e.device ?? '',
      detail: detailPairs(e.detail),
      subjects,
      prevHash: e.prevHash.toString('hex'),
      hash: e.hash.toString('hex'),
      linked: reading.linked(seq),
      assertion,
      prev: seq > 1 ? `/audit/${seq - 1}` : null,
      next: seq < head ? `/audit/${seq + 1}` : null,
    });
  });
  return r;
}
