import { describe, expect, it } from 'vitest';
import { groundAnswer, maskContactDetails } from '../../src/services/agents/grounding';
import { periodsOf } from '../../src/services/agents/metrics';
import { modelSpend, priceOf } from '../../src/services/agents/pricing';
import { readInstructions } from '../../src/services/agents/follow-up';
import { nameCandidates, readQuestion, type Vocabulary } from '../../src/services/agents/question';
import { withoutMarkers } from '../../src/services/agents/runner';
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

const vocab = (industries: string[] = [], today = '2026-11-16'): Vocabulary => ({
  industries,
  members: [
    { userId: 'u-admin', displayName: 'Admin (Demo)' },
    { userId: 'u-ada', displayName: 'Ada Lovelace' },
  ],
  today,
});

describe('question reading', () => {
  it('turns stage and industry words into filters and keeps the rest for full-text search', () => {
    expect(readQuestion('Which Software deals are in negotiation with Orbit?', vocab(['Software', 'Retail']))).toMatchObject({
      stages: ['negotiation'],
      industries: ['Software'],
      terms: ['orbit'],
      about: 'deals',
      overview: false,
    });
    expect(readQuestion('How is our pipeline doing?', vocab())).toMatchObject({ overview: true });
    expect(readQuestion('What are our largest accounts?', vocab())).toMatchObject({ about: 'accounts', largest: true, terms: [] });
  });

  it('reads time windows relative to today: this/next month, quarters, years, named months, overdue', () => {
    const at = (q: string) => readQuestion(q, vocab());
    expect(at('Which deals close this month?').window).toMatchObject({ from: '2026-11-01', to: '2026-11-30' });
    expect(at('Which deals are in negotiation and closing next month?')).toMatchObject({ stages: ['negotiation'], window: { from: '2026-12-01', to: '2026-12-31' }, terms: [] });
    expect(at('Which deals are at risk this quarter?')).toMatchObject({ risk: true, window: { from: '2026-10-01', to: '2026-12-31' }, terms: [] });
    expect(at('What closes next quarter?').window).toMatchObject({ from: '2027-01-01', to: '2027-03-31' });
    expect(at('deals closing in February').window).toMatchObject({ from: '2027-02-01', to: '2027-02-28' });
    expect(at('What did we win last quarter?')).toMatchObject({ stages: ['closed_won'], window: { from: '2026-07-01', to: '2026-09-30' } });
    expect(at('Which deals are overdue?')).toMatchObject({ overdue: true, stages: ['prospecting', 'qualification', 'proposal', 'negotiation'] });
    expect(at('anything closing in the next 30 days').window).toMatchObject({ from: '2026-11-16', to: '2026-12-16' });
  });

  it('reads owners, amounts, grouping, activity and staleness', () => {
    expect(readQuestion('Show my deals over 100k', vocab())).toMatchObject({ mine: true, minCents: 10_000_000, about: 'deals', terms: [] });
    expect(readQuestion("What is Ada Lovelace's pipeline?", vocab()).owners).toEqual([{ userId: 'u-ada', displayName: 'Ada Lovelace' }]);
    expect(readQuestion('Which deals does Admin own?', vocab()).owners.map((o) => o.userId)).toEqual(['u-admin']);
    expect(readQuestion('pipeline by owner', vocab())).toMatchObject({ groupBy: 'owner', owners: [], overview: false });
    expect(readQuestion('deals under $5,000', vocab())).toMatchObject({ maxCents: 500_000 });
    expect(readQuestion('What is happening with Orbit Labs?', vocab(), ['orbit labs'])).toMatchObject({ activity: true, terms: [] });
    expect(readQuestion('Which accounts have gone quiet?', vocab())).toMatchObject({ stale: true, about: 'accounts' });
    expect(nameCandidates("What's new at Orbit Labs?")).toContain('orbit labs');
  });
});

describe('the follow-up drafter', () => {
  it('reads the user’s instructions: topics to mention, a time to propose, tone', () => {
    expect(readInstructions('mention pricing, propose Tuesday')).toMatchObject({ mention: ['pricing'], propose: 'Tuesday' });
    expect(readInstructions('Keep it formal and suggest Thursday at 3pm; thank them for the demo')).toMatchObject({ propose: 'Thursday at 3pm', thank: 'the demo', tone: 'formal' });
    expect(readInstructions(null)).toMatchObject({ mention: [], propose: null });
  });

  it('keeps citations out of the message text', () => {
    expect(withoutMarkers(`To: a@b.example [contact:${A}]\nThanks for Orbit [deal:${D}].`)).toBe('To: a@b.example\nThanks for Orbit.');
  });
});

describe('metric periods', () => {
  it('defaults to the 90 days ending today and the 90 days before', () => {
    expect(periodsOf({}, '2026-11-22')).toEqual({ period: { from: '2026-08-25', to: '2026-11-22' }, comparedTo: { from: '2026-05-27', to: '2026-08-24' } });
    expect(periodsOf({ from: '2026-01-01', to: '2026-01-31' }, '2026-11-22')).toEqual({
      period: { from: '2026-01-01', to: '2026-01-31' },
      comparedTo: { from: '2025-12-01', to: '2025-12-31' },
    });
    expect(() => periodsOf({ from: '2026-02-30' }, '2026-11-22')).toThrow(/`from` must be a date/);
  });
});
