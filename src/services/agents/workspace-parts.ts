import type { ServiceContext } from '../context';
import { OPEN_STAGES } from '../crm/deals';
import { lapse } from './account-research';
import { accountLine, accountRecord, dealLine, dealRecord } from './facts';
import { addDays, daysBetween, money, plural, prose, stageName } from './format';
import { cite } from './grounding';
import type { QuestionIntent } from './question';
import { STALE_DAYS, dealRisks, quietSince, staleAccounts } from './risk';
import { findAccounts, findActivities, findDeals, groupTotals, lastActivity, type DealFilter, type DealTotals, type NamedAccount } from './search';
import type { ContextRecord } from './types';

/**
 * The shapes of a workspace answer, each from the storage reads of search.ts and risk.ts: matching
 * deals or accounts, deals at risk, quiet accounts, activity, an account's digest, totals by group.
 * Each part says what it searched, for the "nothing matched" answer.
 */

/** Records cited in an answer, and how many more the model may see. */
export const CITED = 5;
export const CONTEXT = 15;

/** What one part of the answer found: sentences for the offline answer, records and facts for a model. */
export interface Part {
  sentences: string[];
  records: ContextRecord[];
  facts: string[];
  matched: number;
  hidden: number;
  /** What was searched, in words, for the "nothing matched" answer. */
  searched: string;
}

export const empty = (searched: string): Part => ({ sentences: [], records: [], facts: [], matched: 0, hidden: 0, searched });

/** "open deals in negotiation in Software matching “north” closing this month (…) owned by you over 100,000.00". */
function dealsPhrase(intent: QuestionIntent, owners: string | null, accounts: readonly NamedAccount[]): string {
  const stages = new Set(intent.stages);
  const allOpen = OPEN_STAGES.every((s) => stages.has(s)) && stages.size === OPEN_STAGES.length;
  const kind = allOpen
    ? 'open deals'
    : stages.size === 1 && stages.has('closed_won')
      ? 'won deals'
      : stages.size === 1 && stages.has('closed_lost')
        ? 'lost deals'
        : stages.size === 2 && stages.has('closed_won') && stages.has('closed_lost')
          ? 'closed deals'
          : stages.size > 0
            ? `deals in ${prose(intent.stages.map(stageName))}`
            : 'deals';
  const parts = [kind];
  if (accounts.length > 0) parts.push(`of ${prose(accounts.map((a) => a.name))}`);
  if (intent.industries.length > 0) parts.push(`in ${prose(intent.industries)}`);
  if (intent.terms.length > 0) parts.push(`matching “${intent.terms.join(' ')}”`);
  if (intent.window) parts.push(`${allOpen || stages.size === 0 ? 'closing' : 'with a close date'} ${intent.window.label}`);
  if (owners) parts.push(`owned by ${owners}`);
  if (intent.minCents !== null) parts.push(`of at least ${money(intent.minCents)}`);
  if (intent.maxCents !== null) parts.push(`of at most ${money(intent.maxCents)}`);
  return parts.join(' ');
}

/** Totals by outcome, never added together: "4 open worth 1,200.00; 2 won worth 300.00". */
function totalsPhrase(t: DealTotals): string {
  const parts = [
    t.open.n > 0 ? `${t.open.n} open worth ${money(t.open.cents)}` : null,
    t.won.n > 0 ? `${t.won.n} won worth ${money(t.won.cents)}` : null,
    t.lost.n > 0 ? `${t.lost.n} lost worth ${money(t.lost.cents)}` : null,
  ].filter((x): x is string => x !== null);
  return parts.join('; ');
}

export interface Asked {
  intent: QuestionIntent;
  today: string;
  ownerIds: string[] | null;
  owners: string | null;
  /** Said when "my" could not be resolved (an API key without a creator on file). */
  ownerNote: string | null;
  named: NamedAccount[];
}

export const filterOf = (a: Asked): DealFilter => ({
  stages: a.intent.stages,
  industries: a.intent.industries,
  terms: a.intent.terms,
  window: a.intent.window,
  ownerIds: a.ownerIds,
  accountIds: a.named.map((n) => n.id),
  minCents: a.intent.minCents,
  maxCents: a.intent.maxCents,
});

/** Deals matching the question, largest first, with totals per outcome. */
export async function dealsPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const found = await findDeals(ctx, filterOf(a), CONTEXT);
  const what = dealsPhrase(a.intent, a.owners, a.named);
  const part = empty(what);
  part.matched = found.matched;
  part.hidden = found.hidden;
  part.records.push(...found.items.map((d) => dealRecord(d, d.closeDate && d.closeDate < a.today && OPEN_STAGES.includes(d.stage) ? `slipped: close date passed ${daysBetween(d.closeDate, a.today)} days ago` : undefined)));
  part.facts.push(`Consented ${what}: ${found.matched} (${totalsPhrase(found.totals) || 'none'}). Open, won and lost values are never added together.`);
  if (found.matched > 0) {
    const shown = found.items.slice(0, a.intent.top ?? CITED);
    const head = `${found.matched} ${found.matched === 1 ? what.replace(/\bdeals\b/, 'deal') : what}`;
    const slipped = shown.filter((d) => d.closeDate && d.closeDate < a.today && OPEN_STAGES.includes(d.stage));
    part.sentences.push(
      `${head}: ${totalsPhrase(found.totals)}${found.matched > shown.length ? `; the ${shown.length} largest` : ''}: ${shown.map(dealLine).join('; ')}.`,
      ...(slipped.length > 0 ? [`Of these, ${prose(slipped.map((d) => `${d.name} is ${lapse(daysBetween(d.closeDate as string, a.today))} past its close date`))}.`] : []),
    );
  }
  return part;
}

export async function accountsPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const found = await findAccounts(ctx, { industries: a.intent.industries, terms: a.intent.terms, largest: a.intent.largest }, CONTEXT);
  const what = `accounts${a.intent.industries.length > 0 ? ` in ${prose(a.intent.industries)}` : ''}${a.intent.terms.length > 0 ? ` matching “${a.intent.terms.join(' ')}”` : ''}`;
  const part = empty(what);
  part.matched = found.matched;
  part.hidden = found.hidden;
  part.records.push(...found.items.map(accountRecord));
  part.facts.push(`Consented ${what}: ${found.matched}.`);
  if (found.matched > 0) {
    const shown = found.items.slice(0, CITED);
    part.sentences.push(`${plural(found.matched, 'account')}${what.slice('accounts'.length)}${found.matched > shown.length ? `; the ${a.intent.largest ? 'largest' : 'first'} ${shown.length}` : ''}: ${shown.map(accountLine).join('; ')}.`);
  }
  return part;
}

/** "Which deals are at risk / overdue": open deals with a risk signal in scope, ranked by value at risk, each reason with its fact. */
export async function riskPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const only = a.intent.overdue ? 'overdue' : a.intent.stale && !a.intent.risk ? 'stale' : undefined;
  const owners = a.ownerIds;
  const what = `${dealsPhrase(a.intent, a.owners, a.named)} ${only === 'overdue' ? 'past their close date' : only === 'stale' ? `with no activity in ${STALE_DAYS} days` : 'at risk (close date passed, no activity in 30 days, or closing within 14 days at low probability)'}`;
  const part = empty(what);
  if (owners && owners.length === 0) return part;
  const found = await dealRisks(
    ctx,
    a.today,
    {
      ...(owners && owners.length === 1 ? { ownerId: owners[0] } : {}),
      ...(a.named.length === 1 ? { accountId: a.named[0]?.id } : {}),
      stages: a.intent.stages,
      ...(a.intent.window ? { closeFrom: a.intent.window.from, closeTo: a.intent.window.to } : {}),
      minCents: a.intent.minCents,
      maxCents: a.intent.maxCents,
      industries: a.intent.industries,
      ...(only ? { only } : {}),
    },
    CITED,
  );
  part.matched = found.total;
  part.records.push(...found.risks.map((r) => dealRecord(r.deal, `at risk: ${r.reasons.join('; ')}`)));
  part.facts.push(`As of ${a.today}: ${found.total} ${what}, worth ${money(found.valueCents)} in total (ranked by value at risk).`);
  if (found.total > 0) {
    part.sentences.push(
      `${plural(found.total, what.replace(/^open deals/, 'open deal'), what)}, worth ${money(found.valueCents)} as of ${a.today}; ranked by value at risk: ${found.risks
        .map((r) => `${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} (${stageName(r.deal.stage)}, ${money(r.deal.amountCents)}, closes ${r.deal.closeDate ?? 'undated'}): ${r.reasons.join('; ')}`)
        .join('. ')}.${found.total > found.risks.length ? ` ${plural(found.total - found.risks.length, 'smaller one')} not listed.` : ''}`,
    );
  }
  return part;
}

/** "Which accounts have gone quiet?": accounts with open deals and no activity in 30 days. */
export async function quietPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const owners = a.ownerIds;
  const what = `accounts with open deals${a.owners ? ` owned by ${a.owners}` : ''} and no activity in the last ${STALE_DAYS} days`;
  const part = empty(what);
  if (owners && owners.length === 0) return part;
  const found = await staleAccounts(ctx, a.today, { ...(owners && owners.length === 1 ? { ownerId: owners[0] } : {}) }, CITED);
  part.matched = found.total;
  part.records.push(...found.accounts.map((x) => ({ kind: 'account' as const, id: x.id, label: x.name, facts: `${plural(x.openDeals, 'open deal')} worth ${money(x.openValueCents)}, ${quietSince(x.lastActivity, a.today)}` })));
  part.facts.push(`As of ${a.today}: ${found.total} ${what}.`);
  if (found.total > 0) {
    part.sentences.push(
      `${plural(found.total, 'account has', 'accounts have')} gone quiet (open deals, no activity in ${STALE_DAYS} days) as of ${a.today}; the largest: ${found.accounts
        .map((x) => `${x.name} ${cite({ kind: 'account', id: x.id })} (${plural(x.openDeals, 'open deal')}, ${money(x.openValueCents)}, ${quietSince(x.lastActivity, a.today)})`)
        .join('; ')}.`,
    );
  }
  return part;
}

/** "What happened with Orbit Labs?" / "recent activity": logged activity (kind, day, record), newest first. */
export async function activityPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const window = a.intent.window && a.intent.window.from <= a.today ? { from: a.intent.window.from, to: a.intent.window.to < a.today ? a.intent.window.to : a.today } : { from: addDays(a.today, -(a.named.length > 0 ? 89 : 13)), to: a.today };
  const what = `activity${a.named.length > 0 ? ` on ${prose(a.named.map((n) => n.name))}` : ''}${a.owners ? ` on deals owned by ${a.owners}` : ''} from ${window.from} to ${window.to}`;
  const part = empty(what);
  if (a.ownerIds && a.ownerIds.length === 0) return part;
  const found = await findActivities(ctx, { accountIds: a.named.map((n) => n.id), ownerIds: a.ownerIds, ...window }, 8);
  part.matched = found.matched;
  const seen = new Map<string, ContextRecord>();
  for (const x of found.items) {
    const ref = x.dealId ? { kind: 'deal' as const, id: x.dealId, label: x.dealName ?? '' } : { kind: 'account' as const, id: x.accountId, label: x.accountName };
    const prior = seen.get(ref.id);
    seen.set(ref.id, { ...ref, facts: `${prior ? `${prior.facts}; ` : `account ${x.accountName}; `}${x.kind} on ${x.day}` });
  }
  part.records.push(...seen.values());
  part.facts.push(`${found.matched} activities logged: ${what}.`);
  if (found.matched === 0) part.sentences.push(`No activity logged ${what.slice('activity '.length)}.`);
  if (found.matched > 0) {
    part.sentences.push(
      `${plural(found.matched, 'activity', 'activities')} logged ${what.slice('activity '.length)}; the latest: ${found.items
        .slice(0, 5)
        .map((x) => `${x.kind} on ${x.day} on ${x.dealId ? `${x.dealName} ${cite({ kind: 'deal', id: x.dealId })}` : `${x.accountName} ${cite({ kind: 'account', id: x.accountId })}`}`)
        .join('; ')}.`,
    );
  }
  return part;
}

/** "Tell me about Orbit Labs": the account, its open deals (slipped ones called out), won and lost apart, its last activity. */
export async function accountDigest(ctx: ServiceContext, a: Asked, account: NamedAccount, canDeals: boolean): Promise<Part> {
  const part = empty(account.name);
  const details = await findAccounts(ctx, { industries: [], terms: [], accountIds: [account.id], largest: false }, 1);
  const row = details.items[0];
  if (!row) return part;
  part.matched += 1;
  part.records.push(accountRecord(row));
  part.sentences.push(`${accountLine(row)}, owned by ${row.ownerName ?? 'nobody'}.`);
  const touched = await lastActivity(ctx, account.id, a.today);
  if (canDeals) {
    const found = await findDeals(ctx, { ...filterOf({ ...a, named: [account] }), stages: [], terms: [], window: null, minCents: null, maxCents: null, industries: [] }, CONTEXT);
    part.hidden += found.hidden;
    part.matched += found.matched;
    const open = found.items.filter((d) => OPEN_STAGES.includes(d.stage));
    const won = found.items.filter((d) => d.stage === 'closed_won');
    const lost = found.items.filter((d) => d.stage === 'closed_lost');
    part.records.push(...found.items.map((d) => dealRecord(d)));
    part.sentences.push(
      found.totals.open.n > 0 ? `Open: ${plural(found.totals.open.n, 'deal')} worth ${money(found.totals.open.cents)}: ${open.slice(0, CITED).map(dealLine).join('; ')}.` : 'No open deals.',
    );
    const slipped = open.filter((d) => d.closeDate && d.closeDate < a.today);
    if (slipped.length > 0) {
      part.sentences.push(
        `Slipped: ${prose(slipped.map((d) => `${found.totals.open.n === 1 ? 'its only open deal, ' : ''}${d.name} is ${lapse(daysBetween(d.closeDate as string, a.today))} past its close date (${d.closeDate})`))}.`,
      );
    }
    if (found.totals.won.n + found.totals.lost.n > 0) {
      part.sentences.push(
        `Closed, counted apart: ${found.totals.won.n} won (${money(found.totals.won.cents)})${won.length > 0 ? `: ${won.slice(0, 3).map((d) => `${d.name} ${cite({ kind: 'deal', id: d.id })} on ${d.closeDate ?? 'an unknown date'}`).join('; ')}` : ''}; ${found.totals.lost.n} lost (${money(found.totals.lost.cents)})${lost.length > 0 ? `: ${lost.slice(0, 2).map((d) => `${d.name} ${cite({ kind: 'deal', id: d.id })}`).join('; ')}` : ''}.`,
      );
    }
    part.facts.push(`${account.name}: ${totalsPhrase(found.totals) || 'no deals'}; ${slipped.length} open deals past their close date.`);
  }
  const quiet = touched.last === null || daysBetween(touched.last, a.today) > STALE_DAYS;
  part.sentences.push(touched.last ? `Last activity on ${touched.last} (${plural(daysBetween(touched.last, a.today), 'day')} ago, ${plural(touched.n, 'activity', 'activities')} in all)${quiet ? ': the account has gone quiet' : ''}.` : 'No activity logged.');
  part.facts.push(`${account.name}: ${touched.n} activities, ${quietSince(touched.last, a.today)}.`);
  return part;
}

/** "Pipeline by owner": totals per owner, stage or industry, outcomes apart. */
export async function groupPart(ctx: ServiceContext, a: Asked): Promise<Part> {
  const groupBy = a.intent.groupBy ?? 'owner';
  const stages = a.intent.stages.length > 0 ? a.intent.stages : [...OPEN_STAGES];
  const intent = { ...a.intent, stages };
  const what = `${dealsPhrase(intent, a.owners, a.named)} by ${groupBy}`;
  const part = empty(what);
  const groups = await groupTotals(ctx, groupBy, { ...filterOf(a), stages });
  const showOpen = stages.some((s) => OPEN_STAGES.includes(s));
  const showWon = stages.includes('closed_won');
  const showLost = stages.includes('closed_lost');
  const line = (g: (typeof groups)[number]) =>
    `${groupBy === 'stage' ? stageName(g.label) : g.label}: ${[
      showOpen ? `${g.open.n} open (${money(g.open.cents)})` : null,
      showWon ? `${g.won.n} won (${money(g.won.cents)})` : null,
      showLost ? `${g.lost.n} lost (${money(g.lost.cents)})` : null,
    ]
      .filter(Boolean)
      .join(', ')}`;
  part.matched = groups.reduce((s, g) => s + g.open.n + g.won.n + g.lost.n, 0);
  part.facts.push(`${what}: ${groups.map(line).join('; ') || 'none'}.`);
  if (groups.length > 0) part.sentences.push(`${capitalise(what)}: ${groups.map(line).join('; ')}.`);
  return part;
}

const capitalise = (s: string) => s.replace(/^./, (c) => c.toUpperCase());

