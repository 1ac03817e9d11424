import { identityRuleProblem, KNOWN_BY_EMPLOYER } from './identity-documents.js';
import type { Person } from './persons.js';

/**
 * Who brings a 個人番号カード to the appliance and types its PIN on the PIN pad.
 *
 * - 'direct': the card's holder themself (番号確認 and 身元確認 by the card,
 *   番号法16条, 施行令12条1項1号).
 * - 'proxy': for a dependant (扶養親族), the supporting employee as the
 *   dependant's 代理人 (番号法16条, 施行令12条2項, 施行規則6条〜9条): the 代理権
 *   (委任状 for a 任意代理人, 戸籍謄本等 for a 法定代理人 such as a parent of a
 *   minor child), the 代理人's own 身元確認 (the company's own employee face to
 *   face at the appliance: 雇用関係にあり本人に相違ないことが明らか, or a photo
 *   ID), and the dependant's 番号確認 by the card read itself.
 *
 * The 第3号被保険者届・被扶養者異動届 is a procedure where the employer itself
 * must check the dependant (docs/legal-sources.md), so the employee cannot
 * record it by 扶養控除等申告書; a card read of a dependant therefore always
 * records either the dependant in person or the employee as 代理人 with 代理権
 * (the stricter reading: also for dependants whose purposes would not need it).
 */
export type CardHolder =
  | { route: 'direct' }
  | { route: 'proxy'; proxyPersonId: number; authorityDocument: string; proxyDocuments: readonly string[] };

/** Why this holder may not read the card for `person`, or undefined. */
export function cardHolderProblem(person: Person, proxy: Person | undefined, holder: CardHolder, purposes: readonly string[]): { field: string; message: string } | undefined {
  if (holder.route === 'direct') return undefined;
  if (person.kind !== 'dependant') return { field: 'holder', message: '代理人によるカード読み取りは扶養親族だけです。本人がカードを持参してください。' };
  if (proxy === undefined || proxy.id !== holder.proxyPersonId || person.supporterId !== proxy.id) {
    return { field: 'holder', message: '代理人は、この扶養親族を扶養している従業員だけです。扶養している従業員を登録してからやり直してください。' };
  }
  if (proxy.kind !== 'employee' || proxy.status !== 'active') return { field: 'holder', message: '代理人の従業員が在職中ではありません。本人がカードを持参するか、書類で取得してください。' };
  const problem = identityRuleProblem({
    kind: person.kind,
    method: 'in_person',
    route: 'proxy',
    // The card itself is the dependant's 番号確認 (its chip is read at the appliance).
    numberDocument: 'my_number_card',
    identityDocuments: [],
    otherDocumentName: '',
    authorityDocument: holder.authorityDocument,
    proxyDocuments: holder.proxyDocuments,
    purposes,
    earlierCheckSameNumber: false,
  });
  if (problem === undefined) return undefined;
  return { field: problem.field === 'authorityDocument' ? 'authorityDocument' : 'proxyDocuments', message: problem.message };
}

/** What a proxy's 身元確認 defaults to at the appliance: the company's own employee, face to face. */
export const DEFAULT_PROXY_DOCUMENTS: readonly string[] = [KNOWN_BY_EMPLOYER];
