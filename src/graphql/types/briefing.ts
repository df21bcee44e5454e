import { readBriefing, type Briefing, type BriefingActivity, type BriefingDeal, type BriefingPipeline, type DealRisk } from '../../services/agents/briefing';
import { builder } from '../builder';
import { svc } from '../context';
import { ActivityKind } from './activity';
import { answerFields } from './agents';
import { DealStage } from './deal';

const cents = (value: number) => value / 100;

// The briefing's own types, citing deals by id and name, so that read:accounts alone reads it.
const BriefingDealRef = builder.objectRef<BriefingDeal>('BriefingDeal').implement({
  description: 'A consented deal in the briefing, cited by id and name.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    stage: t.field({ type: DealStage, resolve: (d) => d.stage }),
    amount: t.float({ resolve: (d) => cents(d.amountCents) }),
    probability: t.exposeInt('probability'),
    closeDate: t.expose('closeDate', { type: 'Date', nullable: true }),
    account: t.string({ description: "The account's name.", resolve: (d) => d.accountName }),
  }),
});

const BriefingActivityRef = builder.objectRef<BriefingActivity>('BriefingActivity').implement({
  description: 'Activity logged on a deal in the last 7 days.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: ActivityKind, resolve: (a) => a.kind }),
    subject: t.exposeString('subject', { description: 'E-mail addresses and phone numbers masked; withheld for an activity logged with a contact unless the caller holds read:contacts.' }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
    deal: t.field({ type: BriefingDealRef, resolve: (a) => a.deal }),
  }),
});

const BriefingRiskRef = builder.objectRef<DealRisk>('BriefingRisk').implement({
  description: 'An open deal at risk and why.',
  fields: (t) => ({
    deal: t.field({ type: BriefingDealRef, resolve: (r) => r.deal }),
    level: t.exposeString('level', { description: '`high` or `medium`.' }),
    reasons: t.exposeStringList('reasons'),
  }),
});

const BriefingPipelineRef = builder.objectRef<BriefingPipeline>('BriefingPipeline').implement({
  description: 'Pipeline snapshot over the consented deals in scope.',
  fields: (t) => ({
    openValue: t.float({ resolve: (p) => cents(p.openValueCents) }),
    weightedValue: t.float({ resolve: (p) => cents(p.weightedValueCents) }),
    openDeals: t.exposeInt('openDeals'),
    winRate: t.exposeFloat('winRate', { description: 'Won ÷ (won + lost), from 0 to 1.' }),
    closingSoon: t.exposeInt('closingSoon', { description: 'Open deals whose close date is in the next 14 days.' }),
  }),
});

const BriefingRef = builder.objectRef<Briefing>('Briefing').implement({
  description: "The caller's daily briefing (the daily-briefing agent): a user's own deals (signed in or through OAuth); for an API key, the whole workspace.",
  fields: (t) => ({
    asOf: t.expose('asOf', { type: 'Date' }),
    scope: t.exposeString('scope', { description: '`user` (deals the caller owns) or `tenant` (API keys: the whole workspace).' }),
    ownerName: t.exposeString('ownerName', { nullable: true }),
    pipeline: t.field({ type: BriefingPipelineRef, resolve: (b) => b.pipeline }),
    recentActivity: t.field({ type: [BriefingActivityRef], resolve: (b) => b.recentActivity }),
    atRisk: t.field({ type: [BriefingRiskRef], resolve: (b) => b.atRisk }),
    narrative: t.string({ description: 'The briefing in words, citing deals inline as `[deal:id]`.', resolve: (b) => b.answer }),
    consentFiltered: t.exposeInt('consentFiltered', { description: 'Deals in scope hidden by consent and left out.' }),
    note: t.exposeString('note'),
    ...answerFields(t),
  }),
});

builder.queryField('briefing', (t) =>
  t.field({
    type: BriefingRef,
    scope: 'read:accounts',
    cost: 0.5,
    rateLimitPerMin: 60,
    description: "The caller's daily briefing: pipeline snapshot, recent deal activity, deals at risk and a grounded narrative.",
    args: { asOf: t.arg({ type: 'Date', description: 'The day of the briefing (default: today, UTC).' }) },
    resolve: (_, args, ctx) => readBriefing(svc(ctx), ctx.services.agents, args.asOf),
  }),
);
