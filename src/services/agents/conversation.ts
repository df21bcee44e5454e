import { and, eq, isNull } from 'drizzle-orm';
import { accounts, agentRuns, contacts } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { consentRowOfId } from '../consent/hidden';
import type { NamedAccount } from './search';

/**
 * Conversation memory for ask_workspace: a question may name an earlier answer of the same caller
 * (`followUpOf`, its run id), whose account in focus (stored with that run: ids only) a question
 * that refers back ("what about their open deals?", "and who did we last talk to there?") is about.
 * The focus is read again now, under the consent gate: an account withdrawn since is not used.
 */

/** What an answer was about, stored with its run (record ids, never names). */
export interface Focus {
  accountId: string | null;
  contactId: string | null;
}

/** The earlier answer a follow-up continues, read again now. */
export interface FollowUp {
  runId: string;
  /** The account in focus, when consent still lets it be read. */
  account: NamedAccount | null;
  /** The contact in focus, when consent still lets it be read. */
  contactId: string | null;
  /** The account in focus is hidden by consent now (its subject withdrew, was suppressed or erased since). */
  withdrawn: boolean;
  /** The account in focus no longer exists. */
  gone: boolean;
}

const focusOf = (output: Record<string, unknown> | null, citations: readonly { kind: string; id: string }[]): Focus => {
  const stored = output?.focus as { accountId?: unknown; contactId?: unknown } | undefined;
  if (stored && typeof stored === 'object') {
    return { accountId: typeof stored.accountId === 'string' ? stored.accountId : null, contactId: typeof stored.contactId === 'string' ? stored.contactId : null };
  }
  return { accountId: citations.find((c) => c.kind === 'account')?.id ?? null, contactId: null };
};

/**
 * The earlier ask_workspace run `runId` names, if it is the caller's own (the same user, or the same
 * API key, in this tenant), with its focus re-checked against consent now. Another caller's run, a
 * run of another agent or an unknown id answers NOT_FOUND (the same for each: a run id tells nothing
 * about another caller), before anything is read or charged.
 */
export async function followUpOf(ctx: ServiceContext, runId: string | null | undefined): Promise<FollowUp | null> {
  if (runId === null || runId === undefined) return null;
  if (!isUuid(runId)) throw badInput(ErrorCode.InvalidId, '`followUpOf` must be the `runId` of an earlier ask_workspace answer.', { field: 'followUpOf' });
  const { tenantId, userId, apiKeyId, kind } = ctx.principal;
  const caller = kind === 'api_key' ? eq(agentRuns.apiKeyId, apiKeyId ?? '00000000-0000-0000-0000-000000000000') : and(eq(agentRuns.userId, userId ?? '00000000-0000-0000-0000-000000000000'), isNull(agentRuns.apiKeyId));
  const [run] = await ctx.tx
    .select({ output: agentRuns.output, citations: agentRuns.citations })
    .from(agentRuns)
    .where(and(eq(agentRuns.tenantId, tenantId), eq(agentRuns.id, runId), eq(agentRuns.agent, 'workspace-qa'), eq(agentRuns.outcome, 'ok'), caller))
    .limit(1);
  if (!run) {
    throw new PactError(ErrorCode.NotFound, '`followUpOf` names no earlier ask_workspace answer of yours: use the `runId` of an answer you (this user or this API key) got in this workspace.', {
      field: 'followUpOf',
    });
  }
  const focus = focusOf(run.output ?? null, run.citations);
  const result: FollowUp = { runId, account: null, contactId: null, withdrawn: false, gone: false };
  if (focus.accountId && isUuid(focus.accountId)) {
    const [account] = await ctx.tx
      .select({ id: accounts.id, name: accounts.name })
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, focus.accountId)))
      .limit(1);
    if (account) result.account = account;
    else if (await consentRowOfId(ctx, focus.accountId)) result.withdrawn = true;
    else result.gone = true;
  }
  if (focus.contactId && isUuid(focus.contactId) && !result.withdrawn) {
    const [contact] = await ctx.tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), eq(contacts.id, focus.contactId)))
      .limit(1);
    result.contactId = contact?.id ?? null;
  }
  return result;
}

const REFERS_BACK = /\b(?:they|them|their|theirs|there|it|its|this account|that account|the account|this company|that company|this customer|that customer|he|she|him|her|his)\b/i;
const ELLIPTICAL = /^\s*(?:and|also|what about|how about|what of|same for|ok|okay|so)\b/i;

/** The question refers back to what the conversation was about: a pronoun, an elliptical opening ("and …", "what about …"), or three words or fewer. */
export const refersBack = (question: string): boolean =>
  REFERS_BACK.test(question) || ELLIPTICAL.test(question) || (question.match(/[\p{L}\p{N}]+/gu) ?? []).length <= 3;

/** "He", "she", "him", "her", "his": the person in focus rather than the account. */
export const refersToPerson = (question: string): boolean => /\b(?:he|she|him|her|his)\b/i.test(question);
