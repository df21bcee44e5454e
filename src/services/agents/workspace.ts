import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { OPEN_STAGES } from '../crm/deals';
import { consentNote } from '../crm/paging';
import { pipelineHealth } from '../crm/pipeline';
import { accountLine, accountRecord, dealLine, dealRecord } from './facts';
import { money, percent, plural, prose, stageName } from './format';
import type { AgentService } from './index';
import { agentById } from './roster';
import { callerHas } from './scopes';
import { answerPrompt, openAgentCall, questionFor, unmetered, type AgentAnswer } from './runner';
import { findAccounts, findDeals, readQuestion, tenantIndustries, type QuestionIntent } from './search';
import type { ContextRecord, GroundedPrompt } from './types';

/** ask_workspace's answer: grounded, cited, and saying what consent hid. */
export interface WorkspaceAnswer extends AgentAnswer {
  question: string;
  /** Consented records matching the question. */
  matched: number;
  /** Record kinds left out because the caller lacks their read scope, as `kind (scope)`. */
  notSearched: string[];
  /** Matching records consent hid: counted, never read or cited. */
  consentFiltered: number;
  note: string;
}

/** Records cited in an answer, and how many more the model may see. */
const CITED = 5;
const CONTEXT = 15;

/** "3 deals in negotiation in Software matching “north”": what was searched for, in words. */
function dealsPhrase(n: number, intent: QuestionIntent): string {
  const stages = new Set(intent.stages);
  const open = stages.size === 4 && !intent.stages.some((s) => s.startsWith('closed'));
  const adjective = open ? 'open ' : stages.size === 1 && stages.has('closed_won') ? 'won ' : stages.size === 1 && stages.has('closed_lost') ? 'lost ' : stages.size === 2 && stages.has('closed_won') && stages.has('closed_lost') ? 'closed ' : '';
  const inStages = adjective || stages.size === 0 ? '' : ` in ${prose(intent.stages.map(stageName))}`;
  return `${plural(n, `${adjective}deal`)}${inStages}${filtersPhrase(intent)}`;
}

function filtersPhrase(intent: QuestionIntent): string {
  const parts: string[] = [];
  if (intent.industries.length > 0) parts.push(`in ${prose(intent.industries)}`);
  if (intent.terms.length > 0) parts.push(`matching “${intent.terms.join(' ')}”`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * Builds workspace-qa's grounded prompt without a model: the question's intent (stages, industries,
 * full-text terms over account name/domain/industry and deal name), the consented accounts and deals
 * matching it, the pipeline overview when it names nothing, and how many matches consent hid. Only
 * the kinds the caller's scopes cover are read (deals and the pipeline need read:deals, accounts
 * read:accounts); the answer says what was not searched.
 */
export async function workspacePrompt(ctx: ServiceContext, question: string): Promise<{ prompt: GroundedPrompt; matched: number; consentFiltered: number; notSearched: string[] }> {
  const agent = agentById('workspace-qa');
  // The agent reads no PII: e-mail addresses and phone numbers in the question are neither searched, echoed nor stored.
  const asked = questionFor(agent, question) as string;
  const intent = readQuestion(asked.replace(/\[(?:e-mail|phone) removed\]/g, ' '), await tenantIndustries(ctx));
  const records: ContextRecord[] = [];
  const facts: string[] = [];
  const sentences: string[] = [];
  let matched = 0;
  let hidden = 0;
  const canDeals = callerHas(ctx, 'read:deals');
  const canAccounts = callerHas(ctx, 'read:accounts');
  const notSearched = [...(canDeals ? [] : ['deals (read:deals)']), ...(canAccounts ? [] : ['accounts (read:accounts)'])];

  if (intent.overview && canDeals) {
    const health = await pipelineHealth(unmetered(ctx), {});
    const top = await findDeals(ctx, { ...intent, stages: [...OPEN_STAGES] }, CONTEXT);
    hidden = health.consentFiltered;
    matched = health.openDeals;
    records.push(...top.items.map((d) => dealRecord(d)));
    facts.push(
      `Open pipeline ${money(health.openValueCents)} across ${health.openDeals} open deals; weighted ${money(health.weightedValueCents)}.`,
      `Won ${health.wonDeals}, lost ${health.lostDeals}: win rate ${percent(health.winRate)}.`,
    );
    sentences.push(
      `The open pipeline is ${money(health.openValueCents)} across ${plural(health.openDeals, 'open deal')} (weighted ${money(health.weightedValueCents)}); win rate ${percent(health.winRate)} (${health.wonDeals} won, ${health.lostDeals} lost).`,
    );
    if (top.items.length > 0) sentences.push(`Largest open deals: ${top.items.slice(0, CITED).map(dealLine).join('; ')}.`);
  } else {
    const wantDeals = intent.about !== 'accounts' && canDeals;
    const wantAccounts = (intent.about !== 'deals' || !canDeals) && canAccounts;
    if (wantDeals) {
      const found = await findDeals(ctx, intent, CONTEXT);
      matched += found.matched;
      hidden += found.hidden;
      records.push(...found.items.map((d) => dealRecord(d)));
      facts.push(`Consented: ${dealsPhrase(found.matched, intent)}, worth ${money(found.totalCents)} in total.`);
      if (found.matched > 0) {
        const shown = found.items.slice(0, CITED);
        sentences.push(
          `${dealsPhrase(found.matched, intent)}, worth ${money(found.totalCents)} in total${found.matched > shown.length ? `; the ${shown.length} largest` : ''}: ${shown.map(dealLine).join('; ')}.`,
        );
      }
    }
    if (wantAccounts) {
      const found = await findAccounts(ctx, intent, CONTEXT);
      matched += found.matched;
      hidden += found.hidden;
      records.push(...found.items.map(accountRecord));
      facts.push(`Consented: ${plural(found.matched, 'account')}${filtersPhrase(intent)}.`);
      if (found.matched > 0) {
        const shown = found.items.slice(0, CITED);
        sentences.push(
          `${plural(found.matched, 'account')}${filtersPhrase(intent)}${found.matched > shown.length ? `; the ${intent.largest ? 'largest' : 'first'} ${shown.length}` : ''}: ${shown.map(accountLine).join('; ')}.`,
        );
      }
    }
    // The question itself is not echoed: the answer is stored with the run, and free text may name people.
    if (sentences.length === 0) sentences.push(`No consented ${canDeals && canAccounts ? 'accounts or deals' : canDeals ? 'deals' : 'accounts'} match the question.`);
  }
  if (notSearched.length > 0) {
    const missing = `Not searched: ${prose(notSearched)}: the caller's credentials lack ${notSearched.length === 1 ? 'that scope' : 'those scopes'}.`;
    sentences.push(missing);
    facts.push(missing);
  }
  if (hidden > 0) sentences.push(`${plural(hidden, 'matching record')} ${hidden === 1 ? 'is' : 'are'} hidden by consent and ${hidden === 1 ? 'was' : 'were'} not used.`);
  facts.push(`${hidden} matching records are hidden by consent (not shown, not usable).`);
  return {
    prompt: { agent: agent.id, instruction: agent.instruction, question: asked, records, facts, draft: sentences.join(' '), substitutions: {} },
    matched,
    consentFiltered: hidden,
    notSearched,
  };
}

export function checkQuestion(question: string | null | undefined, required: boolean): string | null {
  const text = question?.trim() ?? '';
  if (!text) {
    if (required) throw badInput(ErrorCode.BadUserInput, '`question` is required: ask something about the workspace.', { field: 'question' });
    return null;
  }
  if (text.length > 1000) throw badInput(ErrorCode.BadUserInput, '`question` may be at most 1,000 characters.', { field: 'question' });
  return text;
}

/** ask_workspace: a question across the workspace, answered from consented records only, citing them. */
export async function askWorkspace(ctx: ServiceContext, agents: AgentService, question: string): Promise<WorkspaceAnswer> {
  const text = checkQuestion(question, true) as string;
  const budget = await openAgentCall(ctx);
  const built = await workspacePrompt(ctx, text);
  const agent = agentById('workspace-qa');
  const answer = await answerPrompt(ctx, agents, agent, { targetKind: null, targetId: null, input: { agent: agent.id, question: text } }, built.prompt, budget);
  record(ctx, answer.citations.length, built.consentFiltered);
  return { ...answer, question: text, matched: built.matched, notSearched: built.notSearched, consentFiltered: built.consentFiltered, note: consentNote(built.consentFiltered) };
}
