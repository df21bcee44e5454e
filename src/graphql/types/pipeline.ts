import { dealOutcomes, pipelineHealth, type DealOutcomes, type OutcomeMonth, type PipelineHealth, type StageHealth, type TopDeal } from '../../services/crm/pipeline';
import { builder } from '../builder';
import { svc } from '../context';
import { DealStage } from './deal';

const cents = (value: number) => value / 100;

const StageHealthRef = builder.objectRef<StageHealth>('StageHealth').implement({
  fields: (t) => ({
    stage: t.field({ type: DealStage, resolve: (s) => s.stage }),
    count: t.exposeInt('count'),
    value: t.float({ resolve: (s) => cents(s.valueCents) }),
    weightedValue: t.float({ resolve: (s) => cents(s.weightedValueCents) }),
  }),
});

const TopDealRef = builder.objectRef<TopDeal>('PipelineTopDeal').implement({
  description: 'An open deal cited by id.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    stage: t.field({ type: DealStage, resolve: (d) => d.stage }),
    amount: t.float({ resolve: (d) => cents(d.amountCents) }),
    probability: t.exposeInt('probability'),
    accountName: t.exposeString('accountName'),
  }),
});

const PipelineHealthRef = builder.objectRef<PipelineHealth>('PipelineHealth').implement({
  description: 'Pipeline aggregates over consented deals; `consentFiltered` says how many deals were excluded.',
  fields: (t) => ({
    openValue: t.float({ resolve: (p) => cents(p.openValueCents) }),
    weightedValue: t.float({ resolve: (p) => cents(p.weightedValueCents) }),
    openDeals: t.exposeInt('openDeals'),
    wonDeals: t.exposeInt('wonDeals'),
    lostDeals: t.exposeInt('lostDeals'),
    winRate: t.exposeFloat('winRate', { description: 'Won ÷ (won + lost), from 0 to 1.' }),
    byStage: t.field({ type: [StageHealthRef], resolve: (p) => p.byStage }),
    topDeals: t.field({ type: [TopDealRef], resolve: (p) => p.topDeals }),
    consentFiltered: t.exposeInt('consentFiltered'),
    note: t.exposeString('note'),
  }),
});

builder.queryField('pipelineHealth', (t) =>
  t.field({
    type: PipelineHealthRef,
    scope: 'read:deals',
    cost: 0.2,
    rateLimitPerMin: 60,
    description: 'Open value, weighted value, win rate and stages over consented deals, with the top open deals cited by id.',
    args: { ownerId: t.arg.id() },
    resolve: (_, args, ctx) => pipelineHealth(svc(ctx), { ownerId: args.ownerId === null || args.ownerId === undefined ? args.ownerId : String(args.ownerId) }),
  }),
);

const OutcomeMonthRef = builder.objectRef<OutcomeMonth>('DealOutcomeMonth').implement({
  description: 'Deals closed in one month (by close date): won and lost counts and values.',
  fields: (t) => ({
    month: t.exposeString('month', { description: 'YYYY-MM.' }),
    won: t.exposeInt('won'),
    lost: t.exposeInt('lost'),
    wonValue: t.float({ resolve: (m) => cents(m.wonValueCents) }),
    lostValue: t.float({ resolve: (m) => cents(m.lostValueCents) }),
  }),
});

const DealOutcomesRef = builder.objectRef<DealOutcomes>('DealOutcomes').implement({
  description: 'Won and lost deals per close month over every consented closed deal; `consentFiltered` counts the closed deals consent excluded.',
  fields: (t) => ({
    months: t.field({ type: [OutcomeMonthRef], resolve: (o) => o.months, description: 'Months with a closed deal, oldest first.' }),
    consentFiltered: t.exposeInt('consentFiltered'),
    note: t.exposeString('note'),
  }),
});

builder.queryField('dealOutcomes', (t) =>
  t.field({
    type: DealOutcomesRef,
    scope: 'read:deals',
    cost: 0.1,
    rateLimitPerMin: 60,
    description: 'Won and lost deals per month of their close date (counts and values), from every consented closed deal; `from`/`to` bound the close date (inclusive).',
    args: { from: t.arg({ type: 'Date' }), to: t.arg({ type: 'Date' }) },
    resolve: (_, args, ctx) => dealOutcomes(svc(ctx), { from: args.from ?? null, to: args.to ?? null }),
  }),
);
