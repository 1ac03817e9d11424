import { describe, expect, it } from 'vitest';
import { askedKinds, campaignPurposeProblems } from '../../src/domain/campaign.js';

describe('campaign purpose rules (番号法15条・20条)', () => {
  it('refuses a purpose that does not concern the kind it is chosen for', () => {
    expect(campaignPurposeProblems('missing', { employee: ['payment_record_fees'] })).toHaveProperty('purposes_employee');
    expect(campaignPurposeProblems('missing', { dependant: ['employment_insurance'], employee: ['withholding_slip'] })).toHaveProperty('purposes_dependant');
    expect(campaignPurposeProblems('missing', { payee: ['withholding_slip'], employee: ['withholding_slip'] })).toHaveProperty('purposes_payee');
  });

  it('requires purposes for the kind a filter is about, and none for a 本人確認未了 campaign', () => {
    expect(campaignPurposeProblems('payees_of_year', { employee: ['withholding_slip'] })).toHaveProperty('purposes_payee');
    expect(campaignPurposeProblems('dependants', { employee: ['withholding_slip'] })).toHaveProperty('purposes_dependant');
    expect(campaignPurposeProblems('joined_since', {})).toHaveProperty('purposes_employee');
    expect(campaignPurposeProblems('missing', {})).toHaveProperty('purposes_employee');
    expect(campaignPurposeProblems('unchecked', {})).toEqual({});
    expect(campaignPurposeProblems('dependants', { dependant: ['withholding_slip'] })).toEqual({});
  });

  it('leaves out of a 未取得 campaign the kinds it notifies no purpose to (no payee is asked without a payee purpose)', () => {
    expect(askedKinds('missing', { employee: ['withholding_slip'] })).toEqual(['employee']);
    expect(askedKinds('missing', { payee: ['payment_record_fees'] })).toEqual(['payee']);
    expect(askedKinds('missing', { employee: ['withholding_slip'], payee: ['payment_record_fees'] })).toEqual(['employee', 'payee']);
    expect(askedKinds('payees_of_year', {})).toEqual(['payee']);
  });
});
