import { agentRuns } from '../../db/schema';
import { isPactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { chargeModelSpend, markBlocked, outsideTransaction, record, type ServiceContext } from '../context';
import { sealTenantJson } from '../keys/sealed-json';
import { assertWithinBudget, releaseBudget, reserveBudget, type AiBudget } from './budget';
import { groundAnswer, maskContactDetails } from './grounding';
import type { AgentService } from './index';
import { modelSpend, priceOf } from './pricing';
import { estimateTokens, fillPlaceholders, renderPrompt } from './providers/prompt';
import type { AgentDefinition, AgentId } from './roster';
import type { Citation, GroundedPrompt, ModelProvider, ProviderId } from './types';

/** The most a run can cost: the prompt's estimated tokens and the longest answer, at the model's price. */
const largestSpend = (provider: ModelProvider, prompt: GroundedPrompt, withPii: boolean): number => {
  const price = priceOf(provider.id, provider.model);
  if (price.input === 0 && price.output === 0) return 0;
  const { system, user } = renderPrompt(prompt, withPii);
  return modelSpend(price, estimateTokens(system) + estimateTokens(user), provider.maxTokens);
};

/** What a run is about, as stored: the target's kind and id (never an e-mail address), and the input's digest. */
export interface RunSubject {
  targetKind: string | null;
  targetId: string | null;
  /** The run's input (agent, target, question, options); only its HMAC is stored. */
  input: unknown;
  /** Stored beside the answer in the run's output (record ids only, never personal data): what a follow-up reads back. */
  keep?: Record<string, unknown>;
}

/** One agent run's answer, grounded and charged. */
export interface AgentAnswer {
  runId: string;
  agent: AgentId;
  answer: string;
  citations: Citation[];
  /** Citations or ids the model wrote that were not in its context: removed from the answer. */
  droppedCitations: number;
  provider: ProviderId;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  /** Model spend charged for this run, on top of the tool's own cost. */
  modelCostMicrocents: number;
}

/** A run the consent gate refused: data, not an error. */
export interface AgentBlocked {
  blocked: true;
  reason: string;
  agent: AgentId;
  runId: string;
}

/** A message's text without its `[kind:id]` markers (and the spaces they leave): the citations go beside it. */
export const withoutMarkers = (text: string): string =>
  text
    .replace(/[ \t]*\[(?:account|deal|contact):[0-9a-fA-F-]{36}\]/g, '')
    .replace(/[ \t]*\[unverified citation removed\]/g, '')
    .replace(/ +([,.;:!?])/g, '$1');

/** The context without the call's counters: reads an agent makes for its context are not the records it reports. */
export const unmetered = (ctx: ServiceContext): ServiceContext => ({ ...ctx, metrics: undefined });

/** The AI budget gate every agent entry point passes first: AI_BUDGET_EXCEEDED once the month's model spend (the agents' clock's month) reached it. */
export const openAgentCall = (ctx: ServiceContext, agents: AgentService): Promise<AiBudget> => assertWithinBudget(ctx, agents.clock);

/** The caller's question as a model that may not read PII gets it: e-mail addresses and phone numbers masked. */
export const questionFor = (agent: AgentDefinition, question: string | null): string | null =>
  question === null ? null : agent.readsPii ? question : maskContactDetails(question);

type RunRow = typeof agentRuns.$inferInsert & { id: string };

function runRow(ctx: ServiceContext, agents: AgentService, agent: AgentDefinition, subject: RunSubject): RunRow {
  return {
    id: newId(),
    tenantId: ctx.principal.tenantId,
    agent: agent.id,
    path: ctx.principal.path,
    userId: ctx.principal.userId,
    apiKeyId: ctx.principal.apiKeyId,
    targetKind: subject.targetKind,
    targetId: subject.targetId,
    inputDigest: agents.digest(ctx.principal.tenantId, subject.input),
    outcome: 'ok',
    provider: agents.provider.id,
    model: agents.provider.model,
    // Stamped by the agents' clock, whose month the AI budget counts.
    createdAt: agents.clock.now(),
  };
}

/**
 * Records a run refused by the consent gate: stored with outcome `blocked`, the call marked blocked
 * (audited so, not charged), and no model called.
 */
export async function blockRun(ctx: ServiceContext, agents: AgentService, agent: AgentDefinition, subject: RunSubject, reason: string): Promise<AgentBlocked> {
  const row = { ...runRow(ctx, agents, agent, subject), outcome: 'blocked' as const, reason };
  await ctx.tx.insert(agentRuns).values(row);
  markBlocked(ctx, reason);
  record(ctx, 0, 1);
  return { blocked: true, reason, agent: agent.id, runId: row.id };
}

/**
 * Answers a grounded prompt with the configured provider and stores the run. Personal data reaches an
 * external model only for an agent that reads PII, whose subject already passed the consent gate, in a
 * tenant that allows it; otherwise the model sees `{{placeholders}}` that Pact fills in afterwards.
 * The answer's citations are checked against the prompt's records; the model spend (tokens × the
 * model's price) is added to the call's cost. A provider failure is stored as a failed run and thrown.
 */
export async function answerPrompt(
  ctx: ServiceContext,
  agents: AgentService,
  agent: AgentDefinition,
  subject: RunSubject,
  prompt: GroundedPrompt,
  budget: AiBudget,
): Promise<AgentAnswer> {
  const { provider } = agents;
  const row = runRow(ctx, agents, agent, subject);
  const withPii = agent.readsPii && provider.external && budget.allowPiiToModel;
  const ask = async (detached: boolean) => {
    const held = await reserveBudget(ctx, agents.clock, largestSpend(provider, prompt, withPii), detached);
    try {
      return { reply: await provider.answer(prompt, { withPii }), held };
    } catch (error) {
      await releaseBudget(ctx, held, detached);
      throw error;
    }
  };
  let answered;
  try {
    // An external model answers with no transaction open; the offline one is in process.
    answered = provider.external ? await outsideTransaction(ctx, ask) : await ask(false);
  } catch (error) {
    const code = isPactError(error) ? error.code : 'MODEL_ERROR';
    agents.logger.warn({ agent: agent.id, provider: provider.id, code }, 'agent run failed');
    if (code !== 'AI_BUDGET_EXCEEDED') await ctx.tx.insert(agentRuns).values({ ...row, outcome: 'error', reason: code });
    throw error;
  }
  const { reply, held } = answered;
  await releaseBudget(ctx, held, false);
  const grounded = groundAnswer(reply.text, prompt.records);
  if (grounded.dropped > 0) agents.logger.warn({ agent: agent.id, provider: provider.id, dropped: grounded.dropped }, 'model cited records outside its context');
  const text = prompt.citations === 'beside' ? withoutMarkers(grounded.text) : grounded.text;
  const answer = fillPlaceholders(text, prompt.substitutions);
  const cost = modelSpend(priceOf(provider.id, provider.model), reply.inputTokens, reply.outputTokens);
  const output = agent.readsPii
    ? await sealTenantJson(ctx.tx, ctx.keys, ctx.principal.tenantId, { table: 'agent_runs', rowId: row.id, field: 'output' }, { answer, ...subject.keep })
    : { answer, ...subject.keep };
  await ctx.tx.insert(agentRuns).values({
    ...row,
    model: reply.model,
    inputTokens: reply.inputTokens,
    outputTokens: reply.outputTokens,
    costMicrocents: cost,
    output: output as unknown as Record<string, unknown>,
    outputSealed: agent.readsPii,
    citations: grounded.citations.map((c) => ({ kind: c.kind, id: c.id })),
  });
  chargeModelSpend(ctx, cost);
  return {
    runId: row.id,
    agent: agent.id,
    answer,
    citations: grounded.citations,
    droppedCitations: grounded.dropped,
    provider: provider.id,
    model: reply.model,
    inputTokens: reply.inputTokens,
    outputTokens: reply.outputTokens,
    modelCostMicrocents: cost,
  };
}
