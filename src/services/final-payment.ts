import type { Actor } from '../domain/audit-events.js';
import { parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import type { PersonId } from '../domain/persons.js';
import { writeTransaction } from '../storage/database.js';
import type { Vault } from './vault.js';

/**
 * Records 最終支払日 of an employee or payee who has left (翌月払いの給与, 退職金,
 * a final invoice). Retention then counts from the later of it and the end date
 * (domain/retention.ts endEventOf). Audited as person.final_payment_recorded.
 */
export function recordFinalPayment(vault: Pick<Vault, 'db' | 'persons' | 'retention' | 'audit' | 'clock'>, actor: Actor, id: PersonId, input: string | undefined, client: string | null): string {
  const p = vault.persons.byId(id);
  if (!p) throw new AppError('not_found', '指定された人物は登録されていません。');
  if (p.kind === 'dependant') throw new AppError('invalid', '最終支払日は従業員と支払先にだけ記録できます。扶養親族は扶養する従業員の最終支払日で数えます。');
  if (p.status !== 'retired' || !p.retiredOn) {
    throw new AppError('invalid', `最終支払日は${p.kind === 'payee' ? '取引終了' : '退職'}を記録した後に入れてください。`);
  }
  const date = input ? parseDate(input) : undefined;
  if (!date) throw new AppError('invalid', '最終支払日を 2026-01-25 や 令和8年1月25日 の形で入れてください。');
  if (date < p.retiredOn) {
    throw new AppError('invalid', `最終支払日が${p.kind === 'payee' ? '取引終了日' : '退職日'}より前です。退職（取引終了）後の最後の支払いの日を入れてください。`);
  }
  const before = vault.retention.lastPaidOn(id);
  if (before === date) return date;
  writeTransaction(vault.db, () => {
    vault.retention.setLastPaidOn(id, date, actor.id, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'person.final_payment_recorded', subjects: [{ id: p.id, name: p.name }], client, detail: { paid_on: date, before } });
  });
  return date;
}
