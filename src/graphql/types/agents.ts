import { toCents } from '../../services/audit/call';
import { aiBudget, updateAiSettings, type AiBudget } from '../../services/agents/budget';
import { fireAgent, listAgents, type FireResult, type RunTarget } from '../../services/agents/fire';
import { KPIS, explainMetric, type MetricDeal, type MetricDriver, type MetricExplanation, type Period } from '../../services/agents/metrics';
import type { AgentDefinition } from '../../services/agents/roster';
import type { AgentAnswer, AgentBlocked } from '../../services/agents/runner';
import type { Citation } from '../../services/agents/types';
import { askWorkspace, type WorkspaceAnswer } from '../../services/agents/workspace';
import { builder } from '../builder';
import { svc } from '../context';
import { DealStage } from './deal';

const cents = (value: number) => value / 100;
const str = (v: string | number | null | undefined) => (v === null || v === undefined ? v : String(v));

const Agent = builder.objectRef<AgentDefinition>('Agent').implement({
  description: "An AI agent of Pact's roster.",
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The id fire_agent takes, e.g. `deal-risk`.' }),
    purpose: t.exposeString('purpose'),
    readsPii: t.exposeBoolean('readsPii', {
      description: 'Reads contact PII: refused on a contact whose consent is not granted; PII reaches an external model only when the tenant allows it.',
    }),
    target: t.string({ nullable: true, description: 'The record kind it runs on (`account`, `deal`, `contact`); null when it takes none.', resolve: (a) => a.target }),
    needsTarget: t.exposeBoolean('needsTarget', { description: 'A target is required.' }),
    question: t.string({ description: '`required`, `optional` or `none`: whether it takes a free-text question.', resolve: (a) => a.question }),
    requiredScopes: t.stringList({
      description: 'Every scope `fireAgent` needs to run it: read:workflows plus the read scope of each kind of record it reads.',
      resolve: (a) => [...a.requiredScopes],
    }),
  }),
});

const AgentRoster = builder.objectRef<{ items: readonly AgentDefinition[]; provider: string; model: string | null }>('AgentRoster').implement({
  description: 'The agent roster, and the model provider that runs it.',
  fields: (t) => ({
    items: t.field({ type: [Agent], resolve: (r) => [...r.items] }),
    returned: t.int({ resolve: (r) => r.items.length }),
    provider: t.exposeString('provider', { description: '`offline` (built in: retrieval and structured queries), `anthropic` or `openai`.' }),
    model: t.exposeString('model', { nullable: true }),
  }),
});

export const AgentCitation = builder.objectRef<Citation>('AgentCitation').implement({
  description: 'A record an answer cites (inline as `[kind:id]`): a consented record of the caller’s tenant. The label is never personal data.',
  fields: (t) => ({
    kind: t.exposeString('kind', { description: '`account`, `deal` or `contact`.' }),
    id: t.exposeID('id'),
    label: t.exposeString('label'),
  }),
});

const AgentTarget = builder.objectRef<RunTarget>('AgentTarget').implement({
  description: 'The record an agent ran on.',
  fields: (t) => ({
    kind: t.exposeString('kind'),
    id: t.exposeID('id'),
  }),
});

/** The fields every agent answer carries: run, grounding and model spend. */
export function answerFields<T extends AgentAnswer>(t: PothosSchemaTypes.ObjectFieldBuilder<GraphQLTypes, T>) {
  return {
    runId: t.id({ description: 'The stored agent run.', resolve: (a) => a.runId }),
    citations: t.field({ type: [AgentCitation], description: 'Every record the answer cites, each checked against what the agent was given.', resolve: (a) => a.citations }),
    droppedCitations: t.int({ description: 'Citations the model made to records it was not given: removed from the answer.', resolve: (a) => a.droppedCitations }),
    provider: t.string({ resolve: (a) => a.provider }),
    model: t.string({ nullable: true, resolve: (a) => a.model }),
    inputTokens: t.int({ resolve: (a) => a.inputTokens }),
    outputTokens: t.int({ resolve: (a) => a.outputTokens }),
    modelCostCents: t.float({ description: "Model spend (tokens × the model's price), included in the call's cost_cents.", resolve: (a) => toCents(a.modelCostMicrocents) }),
  };
}

type GraphQLTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type RunResult = Extract<FireResult, { blocked: false }>;
type BlockedResult = AgentBlocked & { target: RunTarget | null };

const AgentRun = builder.objectRef<RunResult>('AgentRun').implement({
  description: 'A completed agent run: a grounded answer citing records.',
  fields: (t) => ({
    blocked: t.boolean({ description: 'True when the consent gate refused the run (no model called); false for a completed run.', resolve: () => false }),
    agent: t.exposeString('agent'),
    target: t.field({ type: AgentTarget, nullable: true, resolve: (r) => r.target }),
    answer: t.exposeString('answer', { description: 'The answer, citing records inline as `[kind:id]`.' }),
    consentFiltered: t.exposeInt('consentFiltered', { description: 'Records around the target or question that consent hid (never read).' }),
    note: t.exposeString('note'),
    ...answerFields(t),
  }),
});

const AgentBlockedRef = builder.objectRef<BlockedResult>('AgentBlocked').implement({
  description: "A run the consent gate refused: the target's subject is suppressed, withdrawn or erased. No model was called; nothing is charged.",
  fields: (t) => ({
    blocked: t.boolean({ description: 'True when the consent gate refused the run (no model called); false for a completed run.', resolve: () => true }),
    reason: t.exposeString('reason', { description: '`consent_withdrawn`, `consent_suppressed` or `consent_erased`.' }),
    agent: t.exposeString('agent'),
    runId: t.exposeID('runId', { description: 'The stored agent run.' }),
    target: t.field({ type: AgentTarget, nullable: true, resolve: (r) => r.target }),
  }),
});

const FireAgentResult = builder.unionType('FireAgentResult', {
  description: 'An agent run, or a consent block (data, not an error).',
  types: [AgentRun, AgentBlockedRef],
  resolveType: (value) => (value.blocked ? AgentBlockedRef : AgentRun),
});

const Kpi = builder.enumType('Kpi', {
  values: Object.fromEntries(KPIS.map((k) => [k.toUpperCase(), { value: k }])) as Record<Uppercase<(typeof KPIS)[number]>, { value: (typeof KPIS)[number] }>,
});

const MetricPeriod = builder.objectRef<Period>('MetricPeriod').implement({
  fields: (t) => ({
    from: t.expose('from', { type: 'Date' }),
    to: t.expose('to', { type: 'Date' }),
  }),
});

const MetricDriverRef = builder.objectRef<MetricDriver>('MetricDriver').implement({
  description: "A group's KPI in both periods and its contribution to the change (a dimension's contributions add up to the change when both periods have data).",
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Stage, owner id (or `unassigned`) or industry.' }),
    label: t.exposeString('label'),
    current: t.exposeFloat('current', { nullable: true, description: 'Null for a ratio KPI when the group has no deals in the period.' }),
    previous: t.exposeFloat('previous', { nullable: true }),
    contribution: t.exposeFloat('contribution'),
  }),
});

const MetricDrivers = builder.objectRef<MetricExplanation['drivers']>('MetricDrivers').implement({
  description: 'Drivers by dimension, largest contribution first.',
  fields: (t) => ({
    stage: t.field({ type: [MetricDriverRef], resolve: (d) => d.stage }),
    owner: t.field({ type: [MetricDriverRef], resolve: (d) => d.owner }),
    industry: t.field({ type: [MetricDriverRef], resolve: (d) => d.industry }),
  }),
});

const MetricDealRef = builder.objectRef<MetricDeal>('MetricDeal').implement({
  description: 'A deal with one of the largest effects on the KPI, cited by id.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    stage: t.field({ type: DealStage, resolve: (d) => d.stage }),
    amount: t.float({ resolve: (d) => cents(d.amountCents) }),
    period: t.exposeString('period', { description: '`current` or `previous`.' }),
    contribution: t.exposeFloat('contribution'),
  }),
});

const MetricExplanationRef = builder.objectRef<MetricExplanation>('MetricExplanation').implement({
  description: 'Why a KPI moved between two periods, from aggregates over consented deals only (no PII is read).',
  fields: (t) => ({
    kpi: t.field({ type: Kpi, resolve: (m) => m.kpi }),
    unit: t.exposeString('unit', { description: '`currency` (currency units), `ratio` (0 to 1) or `days`.' }),
    definition: t.exposeString('definition'),
    period: t.field({ type: MetricPeriod, resolve: (m) => m.period }),
    comparedTo: t.field({ type: MetricPeriod, resolve: (m) => m.comparedTo }),
    current: t.exposeFloat('current', { nullable: true, description: 'Null for a ratio KPI (win rate, average deal size, cycle time) when no deal counts in the period.' }),
    previous: t.exposeFloat('previous', { nullable: true }),
    delta: t.exposeFloat('delta', { nullable: true }),
    deltaPct: t.exposeFloat('deltaPct', { nullable: true, description: 'The change relative to the previous value (0.1 = +10%); null when that was 0.' }),
    summary: t.string({ description: 'The explanation, citing the large deals inline as `[deal:id]`.', resolve: (m) => m.answer }),
    drivers: t.field({ type: MetricDrivers, resolve: (m) => m.drivers }),
    largeDeals: t.field({ type: [MetricDealRef], resolve: (m) => m.largeDeals }),
    consentFiltered: t.exposeInt('consentFiltered', { description: 'Deals in the periods hidden by consent and excluded.' }),
    note: t.exposeString('note'),
    ...answerFields(t),
  }),
});

const WorkspaceAnswerRef = builder.objectRef<WorkspaceAnswer>('WorkspaceAnswer').implement({
  description: 'A grounded answer across the workspace, from consented records only.',
  fields: (t) => ({
    question: t.exposeString('question'),
    answer: t.exposeString('answer', { description: 'The answer, citing records inline as `[kind:id]`.' }),
    matched: t.exposeInt('matched', { description: 'Consented records matching the question.' }),
    notSearched: t.stringList({
      description: "Record kinds left out because the caller lacks their read scope, as `kind (scope)`, e.g. `deals (read:deals)`; the answer says so too.",
      resolve: (w) => w.notSearched,
    }),
    consentFiltered: t.exposeInt('consentFiltered', { description: 'Matching records hidden by consent: counted, never read or cited.' }),
    note: t.exposeString('note'),
    ...answerFields(t),
  }),
});

const AiSettingsRef = builder.objectRef<AiBudget & { provider: string; model: string | null }>('AiSettings').implement({
  description: "The workspace's AI settings and this month's model spend.",
  fields: (t) => ({
    provider: t.exposeString('provider'),
    model: t.exposeString('model', { nullable: true }),
    monthlyBudgetCents: t.float({ description: 'Model spend allowed per calendar month (UTC); 0 turns AI calls off.', resolve: (s) => toCents(s.monthlyBudgetMicrocents) }),
    spentCents: t.float({ description: 'Model spend this month.', resolve: (s) => toCents(s.spentMicrocents) }),
    remainingCents: t.float({ resolve: (s) => toCents(Math.max(0, s.monthlyBudgetMicrocents - s.spentMicrocents)) }),
    month: t.expose('month', { type: 'Date' }),
    allowPiiToModel: t.exposeBoolean('allowPiiToModel', {
      description: 'Contact PII may be sent to an external model (agents that read PII, after the consent gate). Off by default.',
    }),
  }),
});

const AiSettingsInput = builder.inputType('AiSettingsInput', {
  fields: (t) => ({
    monthlyBudgetCents: t.float({ description: 'Model spend allowed per calendar month, in cents (0 turns AI calls off).' }),
    allowPiiToModel: t.boolean({ description: 'Allow contact PII to reach an external model.' }),
  }),
});

builder.queryFields((t) => ({
  agents: t.field({
    type: AgentRoster,
    scope: 'read:workflows',
    cost: 0.01,
    rateLimitPerMin: 60,
    description: "Pact's AI agent roster: id, purpose, whether each reads PII, what it runs on and the scopes it needs.",
    resolve: (_, __, ctx) => ({ items: listAgents(), provider: ctx.services.agents.provider.id, model: ctx.services.agents.provider.model }),
  }),
  fireAgent: t.field({
    type: FireAgentResult,
    scope: 'read:workflows',
    cost: 1,
    rateLimitPerMin: 60,
    description:
      "Runs a roster agent, optionally on a target record; a target whose consent is not granted answers AgentBlocked. Stores the run. Needs read:workflows and every scope in the agent's `requiredScopes` (FORBIDDEN naming the missing one).",
    args: {
      agent: t.arg.string({ required: true, description: 'The agent id (see `agents`).' }),
      targetId: t.arg.id({ description: 'The record to run on: an account, a deal or a contact.' }),
      targetEmail: t.arg.string({ description: "A contact's e-mail address (contact agents)." }),
      question: t.arg.string({ description: 'A question or instruction (workspace-qa requires one).' }),
    },
    resolve: (_, args, ctx) => fireAgent(svc(ctx), ctx.services.agents, { ...args, targetId: str(args.targetId) }),
  }),
  metricExplanation: t.field({
    type: MetricExplanationRef,
    scope: 'read:deals',
    cost: 0.5,
    rateLimitPerMin: 60,
    description: 'Why a KPI moved between two periods (the metric-explainer agent, on aggregates only).',
    args: {
      kpi: t.arg({ type: Kpi, required: true }),
      from: t.arg({ type: 'Date', description: 'Start of the period (default: 90 days ending `to`).' }),
      to: t.arg({ type: 'Date', description: 'End of the period (default: today, UTC).' }),
      compareFrom: t.arg({ type: 'Date', description: 'Start of the comparison period (default: as long as the period, right before it).' }),
      compareTo: t.arg({ type: 'Date', description: 'End of the comparison period (default: the day before `from`).' }),
    },
    resolve: (_, args, ctx) => explainMetric(svc(ctx), ctx.services.agents, args.kpi, args),
  }),
  askWorkspace: t.field({
    type: WorkspaceAnswerRef,
    scope: 'read:accounts',
    cost: 0.5,
    rateLimitPerMin: 60,
    description:
      'A natural-language question across the workspace (the workspace-qa agent), answered from consented records and citing them. Understands time windows (this/next month or quarter, "Q1 2027", overdue), owners ("my deals": for an API key, its creator\'s; a member by name), stages and outcomes, industries, amounts ("over 100k"), risk, quiet accounts, activity, "by owner/stage/industry", and account names in free phrasing; open, won and lost values are never added together. Nothing matched says what was searched, and consent only when it hid records. Searches accounts, and deals only when the caller also holds read:deals (`notSearched` lists what was left out). With read:contacts, a contact named in the question (first and last name) is matched on the blind index of name words, never decrypted: the answer cites the contact with its title and never writes the name; a withdrawn contact answers as an unknown name. `followUpOf` continues a conversation: a question that refers back ("what about their open deals?") is about the account (or person) of that earlier answer, re-checked against consent now.',
    args: {
      question: t.arg.string({ required: true }),
      followUpOf: t.arg.id({
        description:
          'The `runId` of an earlier askWorkspace answer of the same caller (user or API key) in this workspace, to continue that conversation. Another caller\'s run or an unknown id: NOT_FOUND, nothing charged.',
      }),
    },
    resolve: (_, args, ctx) => askWorkspace(svc(ctx), ctx.services.agents, args.question, str(args.followUpOf)),
  }),
  aiSettings: t.field({
    type: AiSettingsRef,
    scope: 'read:workflows',
    description: "The workspace's AI budget, this month's model spend, and its PII policy.",
    resolve: async (_, __, ctx) => ({ ...(await aiBudget(svc(ctx), ctx.services.agents.clock)), provider: ctx.services.agents.provider.id, model: ctx.services.agents.provider.model }),
  }),
}));

builder.mutationField('updateAiSettings', (t) =>
  t.field({
    type: AiSettingsRef,
    scope: 'admin:keys',
    cost: 0.05,
    description: 'Sets the monthly AI budget and whether contact PII may reach an external model (owners and admins).',
    args: { input: t.arg({ type: AiSettingsInput, required: true }) },
    resolve: async (_, args, ctx) => {
      await updateAiSettings(svc(ctx), args.input);
      return { ...(await aiBudget(svc(ctx), ctx.services.agents.clock)), provider: ctx.services.agents.provider.id, model: ctx.services.agents.provider.model };
    },
  }),
);
