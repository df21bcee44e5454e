import { ACTIVITY_KINDS, createActivity, listDealActivities, type ActivityRecord, type DealActivities } from '../../services/crm/activities';
import { builder } from '../builder';
import { svc } from '../context';

export const ActivityKind = builder.enumType('ActivityKind', {
  values: Object.fromEntries(ACTIVITY_KINDS.map((k) => [k.toUpperCase(), { value: k }])) as Record<
    Uppercase<(typeof ACTIVITY_KINDS)[number]>,
    { value: (typeof ACTIVITY_KINDS)[number] }
  >,
});

const Activity = builder.objectRef<ActivityRecord>('Activity').implement({
  description: 'A note, call, e-mail, meeting or task logged against records.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: ActivityKind, resolve: (a) => a.kind }),
    subject: t.exposeString('subject'),
    body: t.exposeString('body', { nullable: true }),
    accountId: t.exposeID('accountId', { nullable: true }),
    contactId: t.exposeID('contactId', { nullable: true }),
    dealId: t.exposeID('dealId', { nullable: true }),
    userId: t.exposeID('userId', { nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
});

const ActivityInput = builder.inputType('ActivityInput', {
  fields: (t) => ({
    kind: t.field({ type: ActivityKind }),
    subject: t.string({ required: true }),
    body: t.string(),
    accountId: t.id(),
    contactId: t.id(),
    dealId: t.id(),
    occurredAt: t.field({ type: 'DateTime' }),
  }),
});

const str = (v: string | number | null | undefined) => (v === null || v === undefined ? v : String(v));

builder.mutationField('createActivity', (t) =>
  t.field({
    type: Activity,
    scope: 'write:crm',
    cost: 0.05,
    args: { input: t.arg({ type: ActivityInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      createActivity(svc(ctx), {
        ...input,
        accountId: str(input.accountId),
        contactId: str(input.contactId),
        dealId: str(input.dealId),
      }),
  }),
);

const DealActivitiesRef = builder.objectRef<DealActivities>('DealActivities').implement({
  description: "A deal's activities, newest first, after the consent gate.",
  fields: (t) => ({
    items: t.field({ type: [Activity], resolve: (r) => r.items }),
    returned: t.exposeInt('returned'),
    consentFiltered: t.exposeInt('consentFiltered', { description: 'Activities hidden because the contact they were logged against is hidden by consent.' }),
  }),
});

builder.queryField('dealActivities', (t) =>
  t.field({
    type: DealActivitiesRef,
    scope: 'read:deals',
    cost: 0.05,
    rateLimitPerMin: 60,
    description: 'The activities logged against a deal, newest first (a hidden or unknown deal answers an empty list).',
    args: { dealId: t.arg.id({ required: true }), first: t.arg.int({ description: 'At most this many, 1–100 (default 25).' }) },
    resolve: (_, args, ctx) => listDealActivities(svc(ctx), String(args.dealId), args.first ?? 25),
  }),
);
