import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { consentOfEmail, consentOfId, type RecordConsent } from '../consent/records';
import { consentNote } from '../crm/paging';
import { requireId } from '../input';
import { briefingPrompt } from './briefing';
import type { AgentService } from './index';
import { metricFromQuestion, metricPrompt, periodsOf } from './metrics';
import { accountPrompt } from './account-research';
import { dealRiskPrompt } from './deal-risk';
import { followUpPrompt } from './follow-up';
import { contactPrompt, type BuiltPrompt } from './records';
import { AGENT_IDS, ROSTER, agentById, isAgentId, type AgentDefinition, type TargetKind } from './roster';
import { assertAgentScopes } from './scopes';
import { answerPrompt, blockRun, openAgentCall, type AgentAnswer, type AgentBlocked, type RunSubject } from './runner';
import { checkQuestion, workspacePrompt } from './workspace';

export interface FireInput {
  agent: string;
  /** The id of the record to run on: an account, a deal, a contact (also one deleted by erasure) or a consent subject. */
  targetId?: string | null | undefined;
  /** A contact's e-mail address (contact agents), looked up through the tenant's blind index. */
  targetEmail?: string | null | undefined;
  question?: string | null | undefined;
}

export interface RunTarget {
  kind: TargetKind;
  id: string;
}

export type FireResult =
  | (AgentAnswer & { blocked: false; target: RunTarget | null; consentFiltered: number; note: string })
  | (AgentBlocked & { target: RunTarget | null });

export const listAgents = (): readonly AgentDefinition[] => ROSTER;

/** The record kind a consent look-up names: a consent subject stands for a contact (e-mail) or an account (domain). */
const kindOf = (consent: RecordConsent): TargetKind => (consent.kind === 'subject' ? (consent.subjectKind === 'email' ? 'contact' : 'account') : consent.kind);

function checkTarget(agent: AgentDefinition, input: FireInput): { id: string | null; email: string | null } {
  const id = input.targetId === null || input.targetId === undefined || input.targetId === '' ? null : input.targetId;
  const email = input.targetEmail === null || input.targetEmail === undefined || input.targetEmail === '' ? null : input.targetEmail;
  if (id !== null && email !== null) throw badInput(ErrorCode.BadUserInput, 'Give `target_id` or `target_email`, not both.');
  if (agent.target === null && (id !== null || email !== null)) {
    throw badInput(ErrorCode.BadUserInput, `${agent.id} takes no target: it works on the whole workspace.`, { field: 'target_id' });
  }
  if (email !== null && agent.target !== 'contact') {
    throw badInput(ErrorCode.BadUserInput, `\`target_email\` names a contact; ${agent.id} runs on ${agent.target === 'account' ? 'an account' : `a ${agent.target}`}: give its \`target_id\`.`, { field: 'target_email' });
  }
  if (agent.needsTarget && id === null && email === null) {
    throw badInput(ErrorCode.BadUserInput, `${agent.id} needs a target: the \`target_id\` of ${agent.target === 'account' ? 'an account' : `a ${agent.target}`}${agent.target === 'contact' ? ' or its `target_email`' : ''}.`, {
      field: 'target_id',
    });
  }
  return { id: id === null ? null : requireId(id, 'target_id'), email };
}

/**
 * Resolves the target through the consent gate (no personal data read): NOT_FOUND when the tenant
 * holds nothing by that id or address; BAD_USER_INPUT for a record of another kind than the agent's.
 */
async function resolveTarget(ctx: ServiceContext, agent: AgentDefinition, target: { id: string | null; email: string | null }): Promise<RecordConsent | null> {
  if (target.id === null && target.email === null) return null;
  const consent = target.id !== null ? await consentOfId(ctx, target.id) : await consentOfEmail(ctx, target.email as string);
  if (!consent) {
    throw new PactError(ErrorCode.NotFound, target.id !== null ? 'No record with this id in this workspace.' : 'No contact with this e-mail address in this workspace.', {
      field: target.id !== null ? 'target_id' : 'target_email',
    });
  }
  const kind = kindOf(consent);
  if (kind !== agent.target) {
    throw badInput(ErrorCode.BadUserInput, `${agent.id} runs on ${agent.target === 'account' ? 'an account' : `a ${agent.target}`}, and this target is ${kind === 'account' ? 'an account' : `a ${kind}`}.`, {
      field: 'target_id',
    });
  }
  if (consent.visible && consent.kind === 'subject') {
    throw new PactError(ErrorCode.NotFound, `No ${kind} of this workspace has this ${target.id !== null ? 'id' : 'e-mail address'}${target.id !== null ? ' (it names a consent subject: give the record’s id)' : ''}.`, {
      field: target.id !== null ? 'target_id' : 'target_email',
    });
  }
  return consent;
}

async function build(ctx: ServiceContext, agents: AgentService, agent: AgentDefinition, targetId: string | null, question: string | null): Promise<BuiltPrompt> {
  const today = agents.today();
  switch (agent.id) {
    case 'metric-explainer': {
      const { kpi, periods } = metricFromQuestion(question);
      const built = await metricPrompt(ctx, kpi, periodsOf(periods, today), question);
      return { prompt: built.prompt, consentFiltered: built.explanation.consentFiltered };
    }
    case 'workspace-qa': {
      const built = await workspacePrompt(ctx, question as string, today);
      return { prompt: built.prompt, consentFiltered: built.consentFiltered };
    }
    case 'daily-briefing': {
      const built = await briefingPrompt(ctx, today);
      return { prompt: built.prompt, consentFiltered: built.briefing.consentFiltered };
    }
    case 'deal-risk':
      return dealRiskPrompt(ctx, targetId, today);
    case 'account-research':
      return accountPrompt(ctx, targetId as string, question, today);
    case 'contact-summary':
      return contactPrompt(ctx, targetId as string);
    case 'follow-up-drafter':
      return followUpPrompt(ctx, targetId as string, question, today);
  }
}

/**
 * fire_agent: runs a roster agent, optionally on a target record. The target passes the consent gate
 * first: a target whose subject is suppressed, withdrawn or erased answers `{blocked: true, reason:
 * "consent_<status>"}` as data, the run is stored as blocked, and no model is called. A contact
 * deleted by erasure answers `consent_erased` by its id; by e-mail an erased address answers
 * NOT_FOUND, since Pact keeps nothing derived from it. A caller without every scope the agent
 * declares (`requiredScopes`) is refused with FORBIDDEN naming the first one missing.
 */
export async function fireAgent(ctx: ServiceContext, agents: AgentService, input: FireInput): Promise<FireResult> {
  if (!isAgentId(input.agent)) {
    throw badInput(ErrorCode.BadUserInput, `Unknown agent '${String(input.agent).slice(0, 60)}'. Agents: ${AGENT_IDS.join(', ')} (list_agents describes them).`, { field: 'agent' });
  }
  const agent = agentById(input.agent);
  assertAgentScopes(ctx, agent);
  const question = checkQuestion(input.question, agent.question === 'required');
  const target = checkTarget(agent, input);
  const budget = await openAgentCall(ctx, agents);
  const consent = await resolveTarget(ctx, agent, target);
  const runTarget: RunTarget | null = consent && consent.kind !== 'subject' ? { kind: consent.kind, id: consent.id } : null;
  const subject: RunSubject = {
    targetKind: consent ? (consent.kind === 'subject' ? 'consent_subject' : consent.kind) : null,
    targetId: consent?.id ?? null,
    input: { agent: agent.id, targetId: target.id, targetEmail: target.email, question },
  };
  if (consent && !consent.visible) {
    return { ...(await blockRun(ctx, agents, agent, subject, `consent_${consent.status}`)), target: runTarget };
  }
  const built = await build(ctx, agents, agent, runTarget?.id ?? null, agent.question === 'none' ? null : question);
  const answer = await answerPrompt(ctx, agents, agent, subject, built.prompt, budget);
  record(ctx, answer.citations.length, built.consentFiltered);
  return { blocked: false, ...answer, target: runTarget, consentFiltered: built.consentFiltered, note: consentNote(built.consentFiltered) };
}
