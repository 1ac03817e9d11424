/**
 * 「カードで取得」 from a collection campaign's list (docs/campaigns.md,
 * docs/mynumber-card.md): who a campaign lets a handler start a card read for,
 * and how a sealed card read counts in campaign progress.
 *
 * A campaign's members are code holders (employees and payees); their
 * dependants are asked through them. A card read therefore belongs to a
 * campaign when it is a member's own card, or the card of a current dependant
 * of a member when the campaign notifies dependant purposes.
 *
 * Progress follows the self-intake route: a member's code used makes the member
 * 提出済 (migration 140's trigger), and an identity check recorded afterwards
 * 本人確認済. A card read is both at once: the member's number is in and its
 * identity check is the card itself, so the member becomes 提出済 before the
 * identity-check row is inserted, and that row's trigger makes it 本人確認済.
 * While a campaign that asks dependants' numbers still lacks one of this
 * member's, the member's own card leaves them waiting there (as self-intake,
 * which cannot finish without every dependant's number).
 * A dependant's card makes the supporting member 提出済 once the member's code
 * has nothing left to ask (own number and every current dependant's held),
 * as the member's own submission would; 本人確認済 then waits for the member's
 * identity check, as after a self-intake.
 */
import type { Person } from '../domain/persons.js';
import { codeTargets } from './intake.js';
import type { Vault } from './vault.js';

/** The part of the vault `cardCampaignAsks` and `countCardIntakeInCampaigns` use. */
export type CardCampaignReader = Pick<Vault, 'persons' | 'campaigns'>;

/** True when the campaign asks this person's number (a member, or a member's current dependant with dependant purposes). */
export function cardCampaignAsks(vault: CardCampaignReader, campaignId: number, person: Person): boolean {
  const campaign = vault.campaigns.byId(campaignId);
  if (!campaign) return false;
  if (vault.campaigns.isMember(campaignId, person.id)) return true;
  const supporterId = person.supporterId;
  return (
    person.kind === 'dependant' &&
    supporterId !== null &&
    (campaign.purposes.dependant ?? []).length > 0 &&
    vault.campaigns.isMember(campaignId, supporterId) &&
    vault.persons.dependantsOf(supporterId).some((d) => d.id === person.id && d.dependantUntil === null)
  );
}

/**
 * Inside the sealing transaction, after the number is stored and before the
 * identity-check row: counts the card read in every campaign still waiting
 * for this person (or, for a dependant, for the supporting member once
 * nothing is left to ask of them).
 */
export function countCardIntakeInCampaigns(vault: CardCampaignReader, person: Person, at: string): void {
  if (person.kind !== 'dependant' || person.supporterId === null) {
    // The member's own card: done where nothing more is owed (a dependant's number still missing keeps the
    // member waiting, with the dependants' 「カードで取得」 links, in the campaigns that ask for them).
    if (codeTargets(vault, person).length === 0) vault.campaigns.markSubmitted(person.id, at);
    else vault.campaigns.markSubmittedWhereNoDependantsAsked(person.id, at);
    return;
  }
  const supporter = vault.persons.byId(person.supporterId);
  if (!supporter || codeTargets(vault, supporter).length > 0) return;
  vault.campaigns.markSubmitted(supporter.id, at);
}
