/**
 * The review page's model: counts, the rows to decide and the rows left
 * without a number, each by line, name and reason. It is built only from
 * names, lines, codes and dates; no number reaches it.
 */
import type { FilingCodec } from '../domain/filing.js';
import type { FilingMatch } from '../domain/filing-match.js';
import { PERSON_KIND_LABEL } from '../domain/persons.js';
import { PROVISION_CHANNEL_LABEL, PROVISION_DESTINATION_LABEL } from '../domain/provision.js';
import type { FilingDraft } from '../gate/filing-drafts.js';
import { FILING_MESSAGES as T } from './messages-filings.js';

export interface FilingReviewModel {
  draftId: string;
  kindLabel: string;
  year: number | null;
  destination: string;
  channel: string;
  counts: string;
  ambiguous: { key: string; line: number; name: string; role: string; reason: string; candidates: { id: number; label: string }[] }[];
  unfilled: { line: number; name: string; role: string; state: string; reason: string }[];
  requested: boolean;
}

export function filingReviewModel(draft: FilingDraft, codec: FilingCodec, match: FilingMatch): FilingReviewModel {
  const filled = match.outcomes.filter((o) => o.state === 'filled').length;
  return {
    draftId: draft.id,
    kindLabel: codec.label,
    year: draft.year ?? null,
    destination: PROVISION_DESTINATION_LABEL[codec.destination],
    channel: PROVISION_CHANNEL_LABEL[codec.channel],
    counts: T.counts
      .replace('{rows}', String(match.outcomes.length))
      .replace('{filled}', String(filled))
      .replace('{ambiguous}', String(match.ambiguous))
      .replace('{unfilled}', String(match.unfilled - match.ambiguous)),
    ambiguous: match.outcomes.flatMap((o) =>
      o.state === 'ambiguous'
        ? [
            {
              key: o.key,
              line: o.line,
              name: o.name,
              role: T.roles[o.role] ?? o.role,
              reason: o.reason,
              candidates: o.candidates.map((c) => ({
                id: c.id,
                label: T.candidateLabel
                  .replace('{name}', c.name)
                  .replace('{kind}', PERSON_KIND_LABEL[c.kind])
                  .replace('{code}', c.code ?? T.unknown)
                  .replace('{birth}', c.birthDate ?? T.unknown)
                  .replace('{ended}', c.ended ? T.ended : ''),
              })),
            },
          ]
        : [],
    ),
    unfilled: match.outcomes.flatMap((o) =>
      o.state === 'unmatched' || o.state === 'refused' ? [{ line: o.line, name: o.name, role: T.roles[o.role] ?? o.role, state: T.states[o.state] ?? o.state, reason: o.reason }] : [],
    ),
    requested: draft.requestId !== undefined,
  };
}
