import { DEAL_STAGES, createDeal, getDeal, listDeals, updateDeal, type DealRecord } from '../../services/crm/deals';
import { builder } from '../builder';
import { svc } from '../context';
import { listType } from './list';

export const DealStage = builder.enumType('DealStage', {
  values: Object.fromEntries(DEAL_STAGES.map((s) => [s.toUpperCase(), { value: s }])) as Record<
    Uppercase<(typeof DEAL_STAGES)[number]>,
    { value: (typeof DEAL_STAGES)[number] }
  >,
});

export const Deal = builder.objectRef<DealRecord>('Deal').implement({
  description: "An opportunity on an account. Filtered by consent on the linked account's domain.",
  consent: 'account.domain',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    stage: t.field({ type: DealStage, resolve: (d) => d.stage }),
    amount: t.float({ description: 'Deal value in currency units.', resolve: (d) => d.amountCents / 100 }),
    probability: t.exposeInt('probability', { description: 'Win probability in percent.' }),
    closeDate: t.expose('closeDate', { type: 'Date', nullable: true }),
    accountId: t.exposeID('accountId'),
    accountName: t.exposeString('accountName'),
    ownerId: t.exposeID('ownerId', { nullable: true }),
    ownerName: t.exposeString('ownerName', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const DealList = listType('DealList', Deal, 'deals');

const DealFilter = builder.inputType('DealFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Case-insensitive text in the deal name.' }),
    stage: t.field({ type: DealStage }),
    ownerId: t.id(),
    accountId: t.id(),
  }),
});

const DealInput = builder.inputType('DealInput', {
  fields: (t) => ({
    name: t.string(),
    accountId: t.id(),
    stage: t.field({ type: DealStage }),
    amount: t.float(),
    probability: t.int(),
    closeDate: t.field({ type: 'Date' }),
    ownerId: t.id(),
  }),
});

const idOrUndefined = (v: string | number | null | undefined) => (v === null || v === undefined ? v : String(v));

builder.queryFields((t) => ({
  deals: t.field({
    type: DealList,
    scope: 'read:deals',
    cost: 0.1,
    rateLimitPerMin: 60,
    description: 'Search pipeline deals, consent-filtered by the linked account and counted.',
    args: {
      filter: t.arg({ type: DealFilter }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx) => listDeals(svc(ctx), args.filter ?? {}, args),
  }),
  deal: t.field({
    type: Deal,
    nullable: true,
    scope: 'read:deals',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => getDeal(svc(ctx), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createDeal: t.field({
    type: Deal,
    scope: 'write:crm',
    cost: 0.05,
    args: { input: t.arg({ type: DealInput, required: true }) },
    resolve: (_, args, ctx) => createDeal(svc(ctx), { ...args.input, accountId: idOrUndefined(args.input.accountId) }),
  }),
  updateDeal: t.field({
    type: Deal,
    scope: 'write:crm',
    cost: 0.05,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: DealInput, required: true }) },
    resolve: (_, args, ctx) => updateDeal(svc(ctx), String(args.id), { ...args.input, accountId: idOrUndefined(args.input.accountId) }),
  }),
}));
