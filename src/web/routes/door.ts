import { Router } from 'express';
import { z } from 'zod';
import { acknowledgeAlarm } from '../../services/door.js';
import { requirePermission, type WebDeps } from '../app.js';
import { clientOf, intParam, parseBody, text } from '../forms.js';

const AckSchema = z.object({ _csrf: text(100), note: text(1000) });

/** Admins acknowledge the door's alarms (held open, forced, sensor or relay failure) with a note. */
export function doorRoutes(deps: WebDeps): Router {
  const r = Router();
  r.post('/alarms/:id/acknowledge', requirePermission('door.acknowledge'), (req, res) => {
    const form = parseBody(req, AckSchema);
    acknowledgeAlarm(deps.vault, res.locals.session!.user, intParam(req.params.id), { note: form.note }, clientOf(req));
    res.redirect(303, '/?acknowledged=1');
  });
  return r;
}
