import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { OPEN_STAGES } from '../crm/deals';
import { consentNote } from '../crm/paging';
import { pipelineHealth } from '../crm/pipeline';
import { callerPerson } from './caller';
import { followUpOf, refersBack, refersToPerson, type FollowUp, type Focus } from './conversation';
import { contactById, contactsPart, lastPersonPart, namedContacts, type NamedContact } from './people';
import { dealLine, dealRecord } from './facts';
import { money, percent, plural, prose } from './format';
import type { AgentService } from './index';
import { nameCandidates, readQuestion } from './question';
import { agentById } from './roster';
import { callerHas } from './scopes';
import { answerPrompt, openAgentCall, questionFor, unmetered, type AgentAnswer } from './runner';
import { findDeals, namedAccounts, namedIndustries, tenantMembers, type NamedAccount } from './search';
import { CITED, CONTEXT, accountDigest, accountsPart, activityPart, dealsPart, empty, filterOf, groupPart, quietPart, riskPart, type Asked, type Part } from './workspace-parts';
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

/**
 * Builds workspace-qa's grounded prompt without a model. The question is read for stages,
 * industries, time windows, owners ("my deals": the caller's, an API key's creator's), amounts,
 * risk, activity, grouping and account names (matched on an index), then answered from consented
 * records in one of a few shapes: pipeline overview, totals by group, deals at risk, quiet accounts,
 * activity, an account digest, or matching deals and accounts. Open, won and lost values are never
 * added together. "Nothing matched" says what was searched; consent is named only when it hid
 * matching records (with their count). Only the kinds the caller's scopes cover are read.
 * Contacts named by first and last name are matched on the blind index (people.ts), cited, never
 * named; a `followUp` lends its account (and person) to a question that refers back (conversation.ts).
 */
export async function workspacePrompt(
  ctx: ServiceContext,
  question: string,
  today: string,
  followUp: FollowUp | null = null,
): Promise<{ prompt: GroundedPrompt; matched: number; consentFiltered: number; notSearched: string[]; focus: Focus }> {
  const agent = agentById('workspace-qa');
  // The agent reads no PII: e-mail addresses and phone numbers in the question are neither searched, echoed nor stored.
  const asked = questionFor(agent, question) as string;
  const clean = asked.replace(/\[(?:e-mail|phone) removed\]/g, ' ');
  const canDeals = callerHas(ctx, 'read:deals');
  const canAccounts = callerHas(ctx, 'read:accounts');
  const notSearched = [...(canDeals ? [] : ['deals (read:deals)']), ...(canAccounts ? [] : ['accounts (read:accounts)'])];
  const candidates = nameCandidates(clean);
  const [industries, members, names] = [await namedIndustries(ctx, candidates), await tenantMembers(ctx), await namedAccounts(ctx, candidates)];
  const people = await namedContacts(ctx, clean);
  const hiddenNames = names.hidden + people.hidden;
  // A contact's name words are neither searched as words nor echoed.
  const unnamed = people.words.reduce((text, w) => text.replace(new RegExp(`(?<![\\p{L}\\p{N}])${w}(?![\\p{L}\\p{N}])`, 'giu'), ' '), clean);
  const intent = readQuestion(unnamed, { industries, members, today }, [...names.accounts.map((n) => n.name.toLowerCase())]);
  // An account consent hides was named: its name is not searched for as words either.
  if (names.hidden > 0) intent.terms = [];
  // A follow-up that names no account or person is about the conversation's account (and person).
  const continues = followUp !== null && names.accounts.length === 0 && hiddenNames === 0 && people.contacts.length === 0 && refersBack(clean);
  const person: NamedContact | null = continues && followUp.contactId && refersToPerson(clean) ? await contactById(ctx, followUp.contactId) : null;
  const named = continues && followUp.account ? [followUp.account] : names.accounts;
  const a: Asked = { intent, today, ownerIds: null, owners: null, ownerNote: null, named };
  if (intent.mine) {
    const me = await callerPerson(ctx);
    if (me.userId) {
      a.ownerIds = [me.userId];
      a.owners = me.name ? `you (${me.name})` : 'you';
    } else {
      a.ownerNote = 'This API key has no creator on file, so "my" could not be resolved: the whole workspace was searched.';
    }
  }
  if (intent.owners.length > 0) {
    a.ownerIds = [...(a.ownerIds ?? []), ...intent.owners.map((o) => o.userId)];
    a.owners = prose([...(a.owners ? [a.owners] : []), ...intent.owners.map((o) => o.displayName)]);
  }

  const parts: Part[] = [];
  const facts: string[] = [`Today is ${today}.`];
  // The question names only accounts consent hides: nothing else is searched in their place.
  const onlyHidden = names.hidden > 0 && names.accounts.length === 0;
  const lost = continues && (followUp.withdrawn || followUp.gone);
  if (onlyHidden) {
    parts.push(empty('the account named in the question'));
  } else if (lost) {
    const part = empty('the account this conversation was about');
    part.sentences.push(
      followUp.withdrawn
        ? 'The account this conversation was about has been hidden by consent since the earlier answer (its consent was withdrawn), so nothing about it was used.'
        : 'The account this conversation was about no longer exists.',
    );
    parts.push(part);
  } else if (people.contacts.length > 0 || person) {
    parts.push(await contactsPart(ctx, a, person ? [person] : people.contacts, canDeals));
  } else if (intent.person && a.named.length > 0 && canAccounts) {
    parts.push(await lastPersonPart(ctx, a, a.named[0] as NamedAccount));
    parts.push(await activityPart(ctx, a));
  } else if (intent.overview && canDeals && a.named.length === 0 && hiddenNames === 0) {
    const health = await pipelineHealth(unmetered(ctx), {});
    const top = await findDeals(ctx, { ...filterOf(a), stages: [...OPEN_STAGES] }, CONTEXT);
    const part = empty('the pipeline');
    part.hidden = health.consentFiltered;
    part.matched = health.openDeals;
    part.records.push(...top.items.map((d) => dealRecord(d)));
    part.facts.push(
      `Open pipeline ${money(health.openValueCents)} across ${health.openDeals} open deals; weighted ${money(health.weightedValueCents)}.`,
      `Separately, closed deals: ${health.wonDeals} won, ${health.lostDeals} lost: win rate ${percent(health.winRate)}.`,
    );
    part.sentences.push(
      `The open pipeline is ${money(health.openValueCents)} across ${plural(health.openDeals, 'open deal')} (weighted ${money(health.weightedValueCents)}); win rate ${percent(health.winRate)} (${health.wonDeals} won, ${health.lostDeals} lost).`,
    );
    if (top.items.length > 0) part.sentences.push(`Largest open deals: ${top.items.slice(0, CITED).map(dealLine).join('; ')}.`);
    parts.push(part);
  } else if (intent.groupBy && canDeals) {
    parts.push(await groupPart(ctx, a));
  } else if ((intent.risk || intent.overdue || (intent.stale && intent.about === 'deals')) && canDeals) {
    parts.push(await riskPart(ctx, a));
  } else if (intent.stale && canAccounts) {
    parts.push(await quietPart(ctx, a));
  } else if (intent.activity && canAccounts && (a.named.length > 0 || intent.terms.length === 0)) {
    for (const account of a.named.slice(0, 1)) parts.push(await accountDigest(ctx, { ...a, named: [account] }, account, canDeals));
    parts.push(await activityPart(ctx, a));
  } else if (a.named.length > 0 && canAccounts && intent.stages.length === 0 && !intent.window && intent.terms.length === 0 && intent.minCents === null && intent.maxCents === null && intent.about !== 'deals') {
    for (const account of a.named.slice(0, 2)) parts.push(await accountDigest(ctx, a, account, canDeals));
  } else if (intent.contacts && a.named.length === 0 && intent.terms.length === 0 && intent.industries.length === 0) {
    // Only people were asked about: the note below says where to look.
  } else {
    const wantDeals = (intent.about !== 'accounts' || a.named.length > 0) && canDeals;
    const wantAccounts = intent.about !== 'deals' && a.named.length === 0 && a.ownerIds === null && !intent.window && canAccounts && (intent.terms.length > 0 || intent.industries.length > 0 || intent.about === 'accounts' || !canDeals);
    if (wantDeals) parts.push(await dealsPart(ctx, a));
    if (wantAccounts && names.hidden === 0) parts.push(await accountsPart(ctx, a));
  }

  const hidden = parts.reduce((s, p) => s + p.hidden, 0) + hiddenNames;
  const focusHidden = lost && followUp.withdrawn ? 1 : 0;
  const matched = parts.reduce((s, p) => s + p.matched, 0);
  const sentences = parts.flatMap((p) => p.sentences);
  const records = dedupe(parts.flatMap((p) => p.records));
  facts.push(...parts.flatMap((p) => p.facts));
  if (focusHidden > 0) facts.push('The account this conversation was about is hidden by consent now: not shown, not usable.');
  if (sentences.length === 0 && !(intent.contacts && parts.length === 0)) {
    const searched = parts.map((p) => p.searched).filter(Boolean);
    // The question itself is not echoed: the answer is stored with the run, and free text may name people.
    sentences.push(
      searched.length > 0
        ? `Nothing matched: searched ${prose(searched)}${canDeals || canAccounts ? '' : ''}.`
        : `Nothing matched: searched ${canDeals && canAccounts ? 'accounts and deals' : canDeals ? 'deals' : 'accounts'}.`,
    );
  }
  if (intent.contacts) {
    const people = 'Contacts are not searched here: ask_workspace reads no personal data. Use query_contacts, or fire_agent contact-summary on a contact.';
    sentences.push(people);
    facts.push(people);
  }
  if (a.ownerNote) {
    sentences.push(a.ownerNote);
    facts.push(a.ownerNote);
  }
  if (notSearched.length > 0) {
    const missing = `Not searched: ${prose(notSearched)}: the caller's credentials lack ${notSearched.length === 1 ? 'that scope' : 'those scopes'}.`;
    sentences.push(missing);
    facts.push(missing);
  }
  if (hidden > 0) sentences.push(`${plural(hidden, 'matching record')} ${hidden === 1 ? 'is' : 'are'} hidden by consent and ${hidden === 1 ? 'was' : 'were'} not used.`);
  facts.push(`${hidden} matching records are hidden by consent (not shown, not usable).`);
  const single = people.contacts.length === 1 ? people.contacts[0] : person;
  const focus: Focus = single
    ? { accountId: single.accountId, contactId: single.id }
    : a.named.length === 1
      ? { accountId: a.named[0]?.id ?? null, contactId: continues ? (followUp?.contactId ?? null) : null }
      : { accountId: followUp && !lost ? (followUp.account?.id ?? null) : null, contactId: followUp && !lost ? followUp.contactId : null };
  return {
    prompt: { agent: agent.id, instruction: agent.instruction, question: asked, records, facts, draft: sentences.join(' '), substitutions: {} },
    matched,
    consentFiltered: hidden + focusHidden,
    notSearched,
    focus,
  };
}

const dedupe = (records: ContextRecord[]): ContextRecord[] => {
  const byId = new Map<string, ContextRecord>();
  for (const r of records) if (!byId.has(r.id)) byId.set(r.id, r);
  return [...byId.values()];
};

export function checkQuestion(question: string | null | undefined, required: boolean): string | null {
  const text = question?.trim() ?? '';
  if (!text) {
    if (required) throw badInput(ErrorCode.BadUserInput, '`question` is required: ask something about the workspace.', { field: 'question' });
    return null;
  }
  if (text.length > 1000) throw badInput(ErrorCode.BadUserInput, '`question` may be at most 1,000 characters.', { field: 'question' });
  return text;
}

/**
 * ask_workspace: a question across the workspace, answered from consented records only, citing them.
 * An answer that found nothing is charged like any read (the operation's cost; no model spend offline).
 */
export async function askWorkspace(ctx: ServiceContext, agents: AgentService, question: string, followUpRunId?: string | null): Promise<WorkspaceAnswer> {
  const text = checkQuestion(question, true) as string;
  // Another caller's run is refused before the budget gate and any read: nothing is charged.
  const followUp = await followUpOf(ctx, followUpRunId);
  const budget = await openAgentCall(ctx, agents);
  const built = await workspacePrompt(ctx, text, agents.today(), followUp);
  const agent = agentById('workspace-qa');
  const input = { agent: agent.id, question: text, ...(followUp ? { followUpOf: followUp.runId } : {}) };
  const answer = await answerPrompt(ctx, agents, agent, { targetKind: null, targetId: null, input, keep: { focus: built.focus } }, built.prompt, budget);
  record(ctx, answer.citations.length, built.consentFiltered);
  return { ...answer, question: text, matched: built.matched, notSearched: built.notSearched, consentFiltered: built.consentFiltered, note: consentNote(built.consentFiltered) };
}
