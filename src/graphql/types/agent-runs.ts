import { listAgentRuns, type AgentRunEntry, type AgentRunPage } from '../../services/agents/runs';
import { builder } from '../builder';
import { svc } from '../context';

const RunCitation = builder.objectRef<{ kind: string; id: string }>('AgentRunCitation').implement({
  fields: (t) => ({ kind: t.exposeString('kind', { description: 'account, deal or contact.' }), id: t.exposeID('id') }),
});

const AgentRunEntryRef = builder.objectRef<AgentRunEntry>('AgentRunEntry').implement({
  description: 'A stored agent run: who fired it, on what, the outcome (`blocked` with its consent reason), cost and cited records.',
  fields: (t) => ({
    id: t.exposeID('id'),
    agent: t.exposeString('agent'),
    path: t.exposeString('path'),
    userId: t.exposeID('userId', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
    targetKind: t.exposeString('targetKind', { nullable: true }),
    targetId: t.exposeID('targetId', { nullable: true, description: 'Null while consent hides the target (a blocked run, or a record withdrawn since).' }),
    outcome: t.exposeString('outcome', { description: 'ok, blocked, denied, rate_limited or error.' }),
    reason: t.exposeString('reason', { nullable: true, description: '`consent_<status>` for a blocked run, the error code for a failed one.' }),
    provider: t.exposeString('provider'),
    model: t.exposeString('model', { nullable: true }),
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    costCents: t.exposeFloat('costCents'),
    citations: t.field({ type: [RunCitation], description: 'The cited records consent still lets the caller read.', resolve: (r) => r.citations }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AgentRunPageRef = builder.objectRef<AgentRunPage>('AgentRunPage').implement({
  fields: (t) => ({
    items: t.field({ type: [AgentRunEntryRef], resolve: (p) => p.items }),
    returned: t.exposeInt('returned'),
    hasMore: t.exposeBoolean('hasMore'),
    nextCursor: t.exposeString('nextCursor', { nullable: true }),
  }),
});

builder.queryField('agentRuns', (t) =>
  t.field({
    type: AgentRunPageRef,
    scope: 'read:workflows',
    rateLimitPerMin: 60,
    description: "Stored agent runs, newest first: the tenant's for owners and admins, the caller's own otherwise.",
    args: {
      agent: t.arg.string({ description: 'Only this agent id.' }),
      first: t.arg.int({ description: 'Page size, 1–100 (default 25).' }),
      after: t.arg.string({ description: 'The `nextCursor` of the previous page.' }),
    },
    resolve: (_, args, ctx) => listAgentRuns(svc(ctx), { agent: args.agent ?? null }, args),
  }),
);
