import { usageReport, type UsageReport, type UsageRow } from '../../services/audit/usage';
import { builder } from '../builder';
import { svc } from '../context';

const UsageDay = builder.objectRef<UsageReport['days'][number]>('UsageDay').implement({
  fields: (t) => ({
    day: t.expose('day', { type: 'Date' }),
    calls: t.exposeInt('calls'),
    costCents: t.exposeFloat('costCents'),
  }),
});

const UsageTool = builder.objectRef<UsageReport['tools'][number]>('UsageTool').implement({
  fields: (t) => ({
    operation: t.exposeString('operation', { description: 'The GraphQL operation or MCP tool name.' }),
    calls: t.exposeInt('calls'),
    costCents: t.exposeFloat('costCents'),
  }),
});

const UsageRowRef = builder.objectRef<UsageRow>('UsageRow').implement({
  fields: (t) => ({
    day: t.expose('day', { type: 'Date' }),
    operation: t.exposeString('operation'),
    path: t.exposeString('path', { description: 'graphql, mcp or ui.' }),
    calls: t.exposeInt('calls'),
    costCents: t.exposeFloat('costCents'),
  }),
});

const UsageReportRef = builder.objectRef<UsageReport>('UsageReport').implement({
  description: 'What calls cost, from the usage ledger (the charge of every call), by UTC day and by tool.',
  fields: (t) => ({
    from: t.expose('from', { type: 'Date' }),
    to: t.expose('to', { type: 'Date' }),
    totalCalls: t.exposeInt('totalCalls'),
    totalCents: t.exposeFloat('totalCents'),
    days: t.field({ type: [UsageDay], resolve: (r) => r.days }),
    tools: t.field({ type: [UsageTool], resolve: (r) => r.tools }),
    rows: t.field({ type: [UsageRowRef], description: 'By day, operation and path.', resolve: (r) => r.rows }),
  }),
});

builder.queryField('usage', (t) =>
  t.field({
    type: UsageReportRef,
    scope: 'read:usage',
    rateLimitPerMin: 60,
    description: 'Usage and cost by day and by tool from the ledger (read:usage: owners, admins, managers and keys given it). At most 92 days.',
    args: {
      from: t.arg({ type: 'Date', description: 'First UTC day (default: 29 days before `to`).' }),
      to: t.arg({ type: 'Date', description: 'Last UTC day, inclusive (default: today).' }),
    },
    resolve: (_, args, ctx) => usageReport(svc(ctx), { from: args.from ?? null, to: args.to ?? null }),
  }),
);
