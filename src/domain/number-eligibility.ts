import type { Person } from './persons.js';

/**
 * Whether the company may collect a My Number for this person at all.
 * A payee with a 法人番号 is a corporation: it has no My Number, and there is
 * no 個人番号関係事務 for which one could be collected (番号法20条 forbids
 * collecting or keeping a number outside those 事務; 15条 forbids asking for it).
 * Every path that takes a number asks this one rule: handler intake, a
 * self-intake code and its submission, the card read at the appliance, the CSV
 * import, and an edit that would add a 法人番号 to a person whose number is held.
 */
export const CORPORATION_NUMBER_REFUSAL = '法人（法人番号のある支払先）には個人番号を登録しません。個人番号は個人の支払先にだけ登録できます（番号法20条）。';

export const CORPORATE_NUMBER_ON_HELD_REFUSAL =
  'この人物には個人番号が登録されているため、法人番号は追加できません。法人の取引先であれば、別の支払先として登録し、この人物の個人番号は廃棄の手続きをしてください。';

/** Undefined when a number may be collected for the person; else why not. */
export function numberCollectionRefusal(person: Pick<Person, 'corporateNumber'>): string | undefined {
  return person.corporateNumber ? CORPORATION_NUMBER_REFUSAL : undefined;
}
