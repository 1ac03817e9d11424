import { findPurpose, purposesFor } from '../domain/purposes.js';
import { PERSON_KIND_LABEL, type Person } from '../domain/persons.js';
import { formatDate } from '../web/view-models.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';

/**
 * 利用目的通知書 (docs/legal-sources.md, 利用目的): the purposes notified to a person at
 * intake — those recorded with their number, or else every purpose for their
 * kind. Name, purposes, company and date; never the number.
 */
export function buildNoticeReport(ctx: ReportContext, person: Pick<Person, 'id' | 'name' | 'kind'>, notified: readonly string[], dateIso: string): ReportModel {
  const codes = notified.length > 0 ? notified : purposesFor(person.kind).map((p) => p.code);
  const rows = codes.map((c) => findPurpose(c)).filter((p) => p !== undefined).map((p) => [p.name, p.forms, p.submittedTo]);
  const body = section('個人番号の利用目的', {
    paragraphs: [
      `${ctx.company}は、行政手続における特定の個人を識別するための番号の利用等に関する法律（番号法）に基づき、あなた（${PERSON_KIND_LABEL[person.kind]}）の個人番号を、次の事務のためにだけ利用します。これ以外の目的には利用しません。`,
    ],
    tables: [{ columns: ['事務', '書類', '提出先'], rows, empty: NONE, variant: 'purposes' }],
  });
  const handling = section('取扱いについて', {
    paragraphs: [
      '個人番号は暗号化した装置に封緘して保管し、上記の事務に必要なときだけ、管理区域で本人確認を受けた事務取扱担当者が取り扱います。取扱いはすべて記録されます。',
      '上記の事務に必要がなくなり、法令で定められた保存期間を過ぎた後は、復元できない方法で削除・廃棄します。',
      'ご不明な点は、事務取扱責任者にお問い合わせください。',
    ],
    facts: [['通知日', formatDate(dateIso)]],
  });
  return model('notice', ctx, null, [body, handling], { addressee: `${person.name} 様`, signatures: ['事務取扱責任者'] });
}
