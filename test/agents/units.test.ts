import { describe, expect, it } from 'vitest';
import { groundAnswer, maskContactDetails } from '../../src/services/agents/grounding';
import { periodsOf } from '../../src/services/agents/metrics';
import { modelSpend, priceOf } from '../../src/services/agents/pricing';
import { readQuestion } from '../../src/services/agents/search';
import type { ContextRecord } from '../../src/services/agents/types';

const A = '01900000-0000-7000-8000-000000000001';
const D = '01900000-0000-7000-8000-000000000002';
const X = '01900000-0000-7000-8000-0000000000ff';
const records: ContextRecord[] = [
  { kind: 'account', id: A, label: 'Orbit Labs', facts: '' },
  { kind: 'deal', id: D, label: 'Orbit Labs — Pilot 1', facts: '' },
];

describe('grounding', () => {
  it('keeps citations of context records, removes and counts the rest (unknown ids, wrong kinds, bare ids)', () => {
    const grounded = groundAnswer(`See [deal:${D}] and [account:${A}], not [deal:${X}] nor [deal:${A}] nor ${X}; ${D} again.`, records);
    expect(grounded.citations).toEqual([
      { kind: 'deal', id: D, label: 'Orbit Labs — Pilot 1' },
      { kind: 'account', id: A, label: 'Orbit Labs' },
    ]);
    expect(grounded.dropped).toBe(3);
    expect(grounded.text).toBe(`See [deal:${D}] and [account:${A}], not [unverified citation removed] nor [unverified citation removed] nor [unverified citation removed]; ${D} again.`);
  });

  it('masks e-mail addresses and phone numbers, not dates or amounts', () => {
    expect(maskContactDetails('ada.lovelace@x.example, +1 555 123 4567, due 2026-07-01, 250000')).toBe('[e-mail removed], [phone removed], due 2026-07-01, 250000');
  });
});

describe('pricing', () => {
  it('charges integer micro-cents per token, by the longest model prefix; an unknown model at the highest price', () => {
    expect(priceOf('anthropic', 'claude-haiku-4-5-20251001')).toEqual({ input: 100, output: 500 });
    expect(priceOf('openai', 'gpt-4o-mini-2024-07-18')).toEqual({ input: 15, output: 60 });
    expect(priceOf('openai', 'gpt-4o')).toEqual({ input: 250, output: 1000 });
    expect(priceOf('anthropic', 'claude-unknown-9')).toEqual({ input: 1500, output: 7500 });
    expect(priceOf('offline', null)).toEqual({ input: 0, output: 0 });
    expect(modelSpend({ input: 300, output: 1500 }, 1000, 100)).toBe(450_000);
  });
});

describe('question reading', () => {
  it('turns stage and industry words into filters and keeps the rest for full-text search', () => {
    expect(readQuestion('Which Software deals are in negotiation with Orbit?', ['Software', 'Retail'])).toMatchObject({
      stages: ['negotiation'],
      industries: ['Software'],
      terms: ['orbit'],
      about: 'deals',
      overview: false,
    });
    expect(readQuestion('How is our pipeline doing?', [])).toMatchObject({ overview: true });
    expect(readQuestion('What are our largest accounts?', [])).toMatchObject({ about: 'accounts', largest: true, terms: [] });
  });
});

describe('metric periods', () => {
  it('defaults to the 90 days ending today and the 90 days before', () => {
    expect(periodsOf({}, '2026-11-22')).toEqual({ period: { from: '2026-08-25', to: '2026-11-22' }, comparedTo: { from: '2026-05-27', to: '2026-08-24' } });
    expect(periodsOf({ from: '2026-01-01', to: '2026-01-31' }, '2026-11-22')).toEqual({
      period: { from: '2026-01-01', to: '2026-01-31' },
      comparedTo: { from: '2025-12-01', to: '2025-12-31' },
    });
    expect(() => periodsOf({ from: '2026-02-30' })).toThrow(/`from` must be a date/);
  });
});
