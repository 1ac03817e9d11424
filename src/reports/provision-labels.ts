import { PROVISION_CHANNEL_LABEL, PROVISION_DESTINATION_LABEL } from '../domain/provision.js';

type Detail = Record<string, unknown>;

/** 「税務署へ e-Tax で 2027年1月31日 提出（出力 seq 12）」 from an export.provided event's detail. */
export function provisionRemark(d: Detail): string {
  const to = PROVISION_DESTINATION_LABEL[d.destination as keyof typeof PROVISION_DESTINATION_LABEL] ?? String(d.destination ?? '');
  const by = PROVISION_CHANNEL_LABEL[d.channel as keyof typeof PROVISION_CHANNEL_LABEL] ?? String(d.channel ?? '');
  return `${to}へ ${by}（${String(d.provided_on ?? '')}、出力 seq ${String(d.export_seq ?? '')}）`;
}
