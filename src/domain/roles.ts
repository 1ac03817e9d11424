import type { Person, PersonId, PersonKind } from './persons.js';

/**
 * A role a person holds over their one sealed number. The primary role is the
 * person's kind (persons.kind, with its code, supporter and dates); further
 * roles are recorded beside it. Purposes are notified per role and a use is
 * judged against the roles the purpose concerns; each role carries its own
 * end (退職・取引終了・異動) and 最終支払日, the retention inputs of that role.
 */
export interface PersonRole {
  role: PersonKind;
  primary: boolean;
  /** 社員番号 / 取引先コード of this role. */
  code: string | null;
  /** For a dependant role: whose dependant. */
  supporterId: PersonId | null;
  relationship: string | null;
  endedOn: string | null;
  lastPaidOn: string | null;
}

/** Why the role cannot be added to the person, or undefined. */
export function addRoleProblem(person: Person, roles: readonly PersonRole[], add: Pick<PersonRole, 'role' | 'supporterId'>, supporter: Person | undefined): string | undefined {
  if (add.role === 'dependant') {
    if (!supporter || supporter.kind !== 'employee') return '扶養する従業員を社員番号で指定してください。';
    if (supporter.id === person.id) return '自分自身の扶養親族にはなれません。';
    if (roles.some((r) => r.role === 'dependant' && r.supporterId === supporter.id)) return 'この従業員の扶養親族として既に登録されています。';
    return undefined;
  }
  if (roles.some((r) => r.role === add.role)) return 'この役割は既に登録されています。';
  if (add.role === 'payee' && person.corporateNumber) return '法人番号のある人物に役割は追加できません。';
  return undefined;
}

/** The primary role of a person, as the persons row holds it. */
export function primaryRole(person: Person, dependantUntil: string | null): PersonRole {
  return {
    role: person.kind,
    primary: true,
    code: person.code,
    supporterId: person.supporterId,
    relationship: person.relationship,
    endedOn: person.kind === 'dependant' ? dependantUntil : person.status === 'retired' ? person.retiredOn : null,
    lastPaidOn: null,
  };
}

/**
 * The role a person is written as in a file made for a purpose (an export):
 * the primary role when the purpose concerns it, else a further role it
 * concerns — one still running first, else the one that ended last. One
 * number, one record: a 社長 in a 支払調書 file is there as the payee, under his
 * 取引先コード, not as an employee under his 社員番号 (番号法19条: the number is
 * provided for the 事務 of that role only).
 */
export function roleForPurpose(primary: PersonRole, others: readonly PersonRole[], appliesTo: readonly PersonKind[]): PersonRole {
  if (appliesTo.includes(primary.role)) return primary;
  const concerned = others.filter((r) => appliesTo.includes(r.role));
  const running = concerned.find((r) => r.endedOn === null);
  if (running) return running;
  const latest = [...concerned].sort((a, b) => (b.endedOn ?? '').localeCompare(a.endedOn ?? ''))[0];
  return latest ?? primary;
}
