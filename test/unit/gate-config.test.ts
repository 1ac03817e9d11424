import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('the gate windows from the environment', () => {
  it('default to 5 minutes for approval and 60 seconds for viewing, and take seconds in range', () => {
    expect(loadConfig({}).gateWindows).toEqual({ approvalMs: 300_000, viewMs: 60_000 });
    expect(loadConfig({ MNVAULT_GATE_APPROVAL_SECONDS: '120', MNVAULT_GATE_VIEW_SECONDS: '30' }).gateWindows).toEqual({ approvalMs: 120_000, viewMs: 30_000 });
  });

  it('refuse values out of range or not whole numbers, naming the variable in Japanese', () => {
    for (const [name, value] of [['MNVAULT_GATE_APPROVAL_SECONDS', '10'], ['MNVAULT_GATE_VIEW_SECONDS', '601'], ['MNVAULT_GATE_VIEW_SECONDS', '1.5'], ['MNVAULT_GATE_APPROVAL_SECONDS', '-60']] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(expect.objectContaining({ code: 'invalid', publicMessage: expect.stringContaining(name) }));
    }
  });
});
