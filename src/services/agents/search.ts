import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { accounts, deals, users } from '../../db/schema';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { OPEN_STAGES, type DealStage } from '../crm/deals';
import type { DealFacts } from './facts';

/** The full-text document of an account: name, domain and industry (no PII). The accounts_search_idx expression. */
export const accountDocument = sql`to_tsvector('english'::regconfig, ${accounts.name} || ' ' || coalesce(${accounts.domain}, '') || ' ' || coalesce(${accounts.industry}, ''))`;
/** The full-text document of a deal: its name (no PII). The deals_search_idx expression. */
export const dealDocument = sql`to_tsvector('english'::regconfig, ${deals.name})`;

/** What a workspace question asks for, read without a model. */
export interface QuestionIntent {
  /** Deal stages named ("negotiation", "won", "open", …); empty for any. */
  stages: DealStage[];
  /** Industries of the tenant named in the question (as stored). */
  industries: string[];
  /** Words left for full-text search. */
  terms: string[];
  /** The question is about deals, accounts, or both (null: not said). */
  about: 'deals' | 'accounts' | null;
  /** "largest", "biggest", "top": order by size. */
  largest: boolean;
  /** Nothing to search for: answer with the pipeline overview. */
  overview: boolean;
}

const STAGE_WORDS: Record<string, DealStage[]> = {
  prospecting: ['prospecting'],
  prospect: ['prospecting'],
  prospects: ['prospecting'],
  qualification: ['qualification'],
  qualifying: ['qualification'],
  qualified: ['qualification'],
  proposal: ['proposal'],
  proposals: ['proposal'],
  negotiation: ['negotiation'],
  negotiations: ['negotiation'],
  negotiating: ['negotiation'],
  won: ['closed_won'],
  lost: ['closed_lost'],
  closed: ['closed_won', 'closed_lost'],
  open: [...OPEN_STAGES],
};
const DEAL_WORDS = new Set(['deal', 'deals', 'opportunity', 'opportunities', 'pipeline', 'stage', 'stages']);
const ACCOUNT_WORDS = new Set(['account', 'accounts', 'company', 'companies', 'customer', 'customers', 'client', 'clients', 'industry', 'industries']);
const LARGEST_WORDS = new Set(['largest', 'biggest', 'top', 'big', 'large', 'highest']);
const STOP_WORDS = new Set(
  (
    'a an and any are about all as at be by can could did do does for from give have has how i in into is it its list many me much my ' +
    'need needs of on or our please show should tell than that the their them there these they this those to us was we were what ' +
    'when where which who whom why will with would you your count number total value worth amount amounts currently now right ' +
    'across workspace crm status summary summarize summarise overview know find get see look looking up owned owner ' +
    'doing going state health healthy overall general like today'
  ).split(' '),
);

/** Reads a question's intent: stage and industry words become filters, other content words full-text terms. */
export function readQuestion(question: string, industries: readonly string[]): QuestionIntent {
  const words = question.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}.&-]*/gu) ?? [];
  const byLower = new Map(industries.map((i) => [i.toLowerCase(), i]));
  const stages = new Set<DealStage>();
  const found = new Set<string>();
  const terms: string[] = [];
  let about: QuestionIntent['about'] = null;
  let largest = false;
  let mentionsPipeline = false;
  for (const raw of words) {
    const word = raw.replace(/[.&-]+$/, '');
    const industry = byLower.get(word);
    if (industry) {
      found.add(industry);
      continue;
    }
    const stage = STAGE_WORDS[word];
    if (stage) {
      for (const s of stage) stages.add(s);
      about ??= 'deals';
      continue;
    }
    if (DEAL_WORDS.has(word)) {
      if (word === 'pipeline') mentionsPipeline = true;
      about = about === 'accounts' ? null : 'deals';
      continue;
    }
    if (ACCOUNT_WORDS.has(word)) {
      about = about === 'deals' ? null : 'accounts';
      continue;
    }
    if (LARGEST_WORDS.has(word)) {
      largest = true;
      continue;
    }
    if (STOP_WORDS.has(word) || word.length < 2) continue;
    terms.push(word);
  }
  const intent = { stages: [...stages], industries: [...found], terms, about, largest, overview: false };
  intent.overview = terms.length === 0 && found.size === 0 && stages.size === 0 && !largest && (about === null || (about === 'deals' && mentionsPipeline));
  return intent;
}

/** The tenant's industries (distinct, non-PII), to recognise them in questions. */
export async function tenantIndustries(ctx: ServiceContext): Promise<string[]> {
  const rows = await ctx.tx
    .selectDistinct({ industry: accounts.industry })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.principal.tenantId), sql`${accounts.industry} is not null`));
  return rows.flatMap((r) => (r.industry ? [r.industry] : []));
}

export type FoundDeal = DealFacts & { accountId: string; industry: string | null; ownerName: string | null };

export interface FoundAccount {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  employeeCount: number | null;
  ownerName: string | null;
}

export interface Found<T> {
  /** The first `limit` matches, best first. */
  items: T[];
  /** Consented records matching. */
  matched: number;
  /** Matching records consent hid (counted, never read). */
  hidden: number;
}

const tsQuery = (terms: readonly string[]) => sql`plainto_tsquery('english'::regconfig, ${terms.join(' ')})`;

/** Deals matching the intent (stage, industry, full-text terms on the deal or its account), largest first. */
export async function findDeals(ctx: ServiceContext, intent: QuestionIntent, limit: number): Promise<Found<FoundDeal> & { totalCents: number }> {
  const where: SQL | undefined = and(
    eq(deals.tenantId, ctx.principal.tenantId),
    intent.stages.length > 0 ? inArray(deals.stage, intent.stages) : undefined,
    intent.industries.length > 0 ? inArray(accounts.industry, intent.industries) : undefined,
    intent.terms.length > 0 ? or(sql`${dealDocument} @@ ${tsQuery(intent.terms)}`, sql`${accountDocument} @@ ${tsQuery(intent.terms)}`) : undefined,
  );
  const items = await ctx.tx
    .select({
      id: deals.id,
      name: deals.name,
      stage: deals.stage,
      amountCents: deals.amountCents,
      probability: deals.probability,
      closeDate: deals.closeDate,
      accountId: deals.accountId,
      accountName: accounts.name,
      industry: accounts.industry,
      ownerName: users.displayName,
    })
    .from(deals)
    .innerJoin(accounts, and(eq(accounts.tenantId, deals.tenantId), eq(accounts.id, deals.accountId)))
    .leftJoin(users, eq(users.id, deals.ownerId))
    .where(where)
    .orderBy(desc(deals.amountCents), asc(deals.id))
    .limit(limit);
  const onAccount = and(eq(accounts.tenantId, deals.tenantId), eq(accounts.id, deals.accountId)) as SQL;
  const [totals] = await ctx.tx
    .select({ matched: sql<number>`count(*)::int`, totalCents: sql<string>`coalesce(sum(${deals.amountCents}), 0)` })
    .from(deals)
    .innerJoin(accounts, onAccount)
    .where(where);
  const hidden = await hiddenCount(ctx, { from: deals, where, join: { table: accounts, on: onAccount } });
  return { items, matched: totals?.matched ?? 0, hidden, totalCents: Number(totals?.totalCents ?? 0) };
}

/** Accounts matching the intent (industry, full-text terms): best match first, or largest (employees) first. */
export async function findAccounts(ctx: ServiceContext, intent: QuestionIntent, limit: number): Promise<Found<FoundAccount>> {
  const query = intent.terms.length > 0 ? tsQuery(intent.terms) : null;
  const where: SQL | undefined = and(
    eq(accounts.tenantId, ctx.principal.tenantId),
    intent.industries.length > 0 ? inArray(accounts.industry, intent.industries) : undefined,
    query ? sql`${accountDocument} @@ ${query}` : undefined,
  );
  const order = query && !intent.largest ? [desc(sql`ts_rank(${accountDocument}, ${query})`), asc(accounts.name), asc(accounts.id)] : intent.largest ? [sql`${accounts.employeeCount} desc nulls last`, asc(accounts.id)] : [asc(accounts.name), asc(accounts.id)];
  const items = await ctx.tx
    .select({
      id: accounts.id,
      name: accounts.name,
      domain: accounts.domain,
      industry: accounts.industry,
      employeeCount: accounts.employeeCount,
      ownerName: users.displayName,
    })
    .from(accounts)
    .leftJoin(users, eq(users.id, accounts.ownerId))
    .where(where)
    .orderBy(...order)
    .limit(limit);
  const [totals] = await ctx.tx.select({ matched: sql<number>`count(*)::int` }).from(accounts).where(where);
  return { items, matched: totals?.matched ?? 0, hidden: await hiddenCount(ctx, { from: accounts, where }) };
}

