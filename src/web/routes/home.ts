import { Router } from 'express';
import { PURPOSES } from '../../domain/purposes.js';
import { requirePermission, type WebDeps } from '../app.js';

export function homeRoutes(deps: WebDeps): Router {
  const r = Router();
  r.get('/', requirePermission('persons.read'), (_req, res) => {
    const head = deps.vault.audit.head();
    res.render('home', {
      counts: deps.vault.persons.count(),
      head: head ? { seq: head.seq, hash: head.hash.toString('hex') } : null,
      developmentKey: deps.vault.credential.development,
      simulateDevices: deps.simulateDevices,
      purposes: PURPOSES,
      devices: deps.deviceStatus?.() ?? { pinPad: 'none' },
    });
  });
  return r;
}
