import { findPurpose, purposesFor } from '../domain/purposes.js';
import { PERSON_KIND_LABEL, type Person } from '../domain/persons.js';
import { formatDate } from '../web/view-models.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';

/** What one notice says: the purposes shown on it, the day it was handed over (null: not yet), and those notified before. */
export interface NoticeContent {
  purposes: readonly string[];
  notifiedOn: string | null;
  earlier: readonly string[];
}

/**
 * 利用目的通知書 (docs/legal-sources.md, 利用目的): the purposes notified to a person on one
 * occasion — at intake (chosen by the handler or carried by the self-intake
 * code) or by a later 追加通知 — with the real 通知日 recorded for it. Before
 * anything is notified it is a blank to hand over: the purposes of the kind
 * and a 通知日 line to fill in. Name, purposes, company and date; never the number.
 */
export function buildNoticeReport(ctx: ReportContext, person: Pick<Person, 'id' | 'name' | 'kind'>, notice: NoticeContent): ReportModel {
  const codes = notice.notifiedOn === null && notice.purposes.length === 0 ? purposesFor(person.kind).map((p) => p.code) : notice.purposes;
  const rows = codes.map((c) => findPurpose(c)).filter((p) => p !== undefined).map((p) => [p.name, p.forms, p.submittedTo]);
  const earlier = notice.earlier.map((c) => findPurpose(c)?.name).filter((n) => n !== undefined);
  const body = section(notice.earlier.length > 0 ? '追加する個人番号の利用目的' : '個人番号の利用目的', {
    paragraphs: [
      `${ctx.company}は、行政手続における特定の個人を識別するための番号の利用等に関する法律（番号法）に基づき、あなた（${PERSON_KIND_LABEL[person.kind]}）の個人番号を、次の事務のためにだけ利用します。これ以外の目的には利用しません。`,
      ...(earlier.length > 0 ? [`既に通知した利用目的（${earlier.join('、')}）に加えて、次の事務にも利用します。`] : []),
    ],
    tables: [{ columns: ['事務', '書類', '提出先'], rows, empty: NONE, variant: 'purposes' }],
  });
  const handling = section('取扱いについて', {
    paragraphs: [
      '個人番号は暗号化した装置に封緘して保管し、上記の事務に必要なときだけ、管理区域で本人確認を受けた事務取扱担当者が取り扱います。取扱いはすべて記録されます。',
      '上記の事務に必要がなくなり、法令で定められた保存期間を過ぎた後は、復元できない方法で削除・廃棄します。',
      'ご不明な点は、事務取扱責任者にお問い合わせください。',
    ],
    facts: [['通知日', notice.notifiedOn === null ? '　　　　年　　月　　日（交付時に記入）' : formatDate(notice.notifiedOn)]],
  });
  return model('notice', ctx, null, [body, handling], { addressee: `${person.name} 様`, signatures: ['事務取扱責任者'] });
}
