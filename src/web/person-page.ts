import { japanDate } from '../domain/dates.js';
import { purposesOffered } from '../domain/purpose-use.js';
import { defaultNoticePurposes, findPurpose, purposesFor } from '../domain/purposes.js';
import { noticesAndRoles, type PersonDetail } from '../services/persons.js';
import { kindsOf, notifiedPurposes, purposeFacts } from '../services/purpose-use.js';
import type { Vault } from '../services/vault.js';
import { codeTargets } from '../services/intake.js';
import { toHistory } from './view-models.js';

/** Each person a self-intake code would ask (the person, dependants), with the purposes to choose from and the defaults ticked. */
function codeTargetsOf(vault: Pick<Vault, 'persons'>, d: PersonDetail) {
  if (d.person.kind === 'dependant' || d.person.corporateNumber) return [];
  return codeTargets(vault, d.person).map((t) => ({ person: t, choices: purposesFor(t.kind), defaults: defaultNoticePurposes(t.kind) as string[] }));
}

/**
 * The person page's view model: the purposes notified (at intake and later),
 * the purposes the person's state still offers for a reveal, those a
 * 追加通知 could add, and those only an admin's co-approval can open.
 */
export function personPage(vault: Pick<Vault, 'persons' | 'purposeNotices' | 'roles' | 'clock'>, d: PersonDetail, extra: Record<string, unknown> = {}) {
  const facts = purposeFacts(vault, d.person);
  const notified = notifiedPurposes(vault, d.person.id);
  const offered = purposesOffered(facts, japanDate(vault.clock.now()));
  const offeredCodes = new Set(offered.map((p) => p.code as string));
  const kinds = kindsOf(vault, d.person);
  const { notices, roles } = noticesAndRoles(vault, d.person.id);
  return {
    d,
    purposes: notified.map((c) => findPurpose(c)?.name ?? c),
    notices,
    revealPurposes: offered,
    addablePurposes: kinds.flatMap((k) => purposesFor(k)).filter((p, i, all) => all.indexOf(p) === i && !notified.includes(p.code)),
    roles,
    coApprovable: notified.filter((c) => !offeredCodes.has(c)).map((c) => findPurpose(c)!).filter((p) => p !== undefined),
    history: toHistory(d.history),
    codeTargets: codeTargetsOf(vault, d),
    ...extra,
  };
}
