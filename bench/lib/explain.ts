import { and, asc, count, eq, sql as dsql, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import { APP_ROLE } from '../../src/db/client';
import { accounts, consentCounts, contactTitleCounts, contacts, users } from '../../src/db/schema';
import { CONSENT_ROLE, titleWordHidden } from '../../src/services/consent/hidden';
import { titleMatch } from '../../src/services/crm/contact-filter';
import type { Sql } from './database';

export interface Statement {
  label: string;
  sql: string;
  params: unknown[];
  /** The role Pact runs it under (the application role unless said). */
  role?: string;
}

const qb = new QueryBuilder();

/**
 * The statement `listContacts` (src/services/crm/contacts.ts) sends for an unfiltered first page of
 * `first` rows, rebuilt with the same drizzle builder calls (columns, joins, order, `first + 1` rows;
 * the consent filter is the `consent_gate` policy of the application role), so EXPLAIN sees what Pact sends.
 */
export function pactPageStatement(tenantId: string, first = 50, search?: string): Statement {
  const bySearch: SQL | undefined = search === undefined ? undefined : dsql`${contacts.id} in (${titleMatch(tenantId, search)})`;
  const q = qb
    .select({
      id: contacts.id,
      accountId: contacts.accountId,
      accountName: accounts.name,
      ownerId: contacts.ownerId,
      ownerName: users.displayName,
      title: contacts.title,
      pii: contacts.pii,
      keyVersion: contacts.keyVersion,
      createdAt: contacts.createdAt,
      updatedAt: contacts.updatedAt,
    })
    .from(contacts)
    .leftJoin(accounts, eq(accounts.id, contacts.accountId))
    .leftJoin(users, eq(users.id, contacts.ownerId))
    .where(and(eq(contacts.tenantId, tenantId), bySearch))
    .orderBy(asc(contacts.id))
    .limit(first + 1)
    .toSQL();
  return { label: `page query (listContacts, first ${first} → limit ${first + 1}${search === undefined ? '' : `, filter: { search: "${search}" }`})`, ...q };
}

/** The hidden count an unfiltered list reads (`consentHiddenCount`, not filtered: the maintained total). */
export function hiddenCountStatement(tenantId: string): Statement {
  const q = qb
    .select({ n: consentCounts.hidden })
    .from(consentCounts)
    .where(and(eq(consentCounts.tenantId, tenantId), eq(consentCounts.list, 'contacts')))
    .toSQL();
  return { label: 'hidden count, unfiltered list (consent_counts)', ...q };
}

/**
 * The hidden count a list filtered by a title search alone runs (`hiddenCount`): for one word its
 * maintained count (`contact_title_counts`, as pact_app); for several words the token range with
 * `hidden = true` (under pact_consent).
 */
export function filteredHiddenCountStatement(tenantId: string, search: string): Statement {
  if (search.trim().split(/[\s\p{P}]+/u).filter(Boolean).length === 1) {
    const one = titleWordHidden(tenantId, search);
    const q = qb.select(one.fields).from(contactTitleCounts).where(one.where).toSQL();
    return { label: `hidden count of a filtered list (filter: { search: "${search}" }): its word's row of contact_title_counts`, ...q };
  }
  const q = qb
    .select({ n: count() })
    .from(dsql`(${titleMatch(tenantId, search, dsql`t1.hidden`)}) as m`)
    .toSQL();
  return { label: `hidden count of a filtered list (filter: { search: "${search}" }): contact_title_tokens, hidden = true`, ...q, role: CONSENT_ROLE };
}

/** EXPLAIN (ANALYZE, BUFFERS) as a request runs it: one transaction under the app role, bound to the tenant (RLS on). */
export async function explainAsTenant(sql: Sql, tenantId: string, statement: Statement, runs = 3): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${statement.role ?? APP_ROLE}`);
    await tx`select set_config('app.tenant_id', ${tenantId}, true)`;
    const params = statement.params as postgres.ParameterOrJSON<never>[];
    // Warm the caches first, so the plan shown is the steady state a loaded server sees.
    for (let i = 1; i < runs; i += 1) await tx.unsafe(statement.sql, params);
    const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${statement.sql}`, params);
    return rows.map((r) => r['QUERY PLAN']);
  }) as Promise<string[]>;
}

/** EXPLAIN (ANALYZE, BUFFERS) as the owner role (no RLS), e.g. for the bare path. */
export async function explainRaw(sql: Sql, text: string, params: unknown[]): Promise<string[]> {
  const p = params as postgres.ParameterOrJSON<never>[];
  await sql.unsafe(text, p);
  const rows = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${text}`, p);
  return rows.map((r) => r['QUERY PLAN']);
}

/** Index names and scan kinds a plan uses, in order, e.g. `Index Scan using contacts_visible_idx`. */
export function planAccessPaths(plan: string[]): string[] {
  const found: string[] = [];
  for (const line of plan) {
    const m = /(Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan|Parallel Seq Scan)(?: Backward)?(?: using (\S+))? on (\S+)|(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? on (\S+)/.exec(line);
    if (m) found.push(m[0].replace(/\s+/g, ' '));
  }
  return found;
}

export const planTime = (plan: string[]): string => plan.find((l) => l.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';

export function printPlan(title: string, plan: string[]): void {
  console.log(`\n  EXPLAIN (ANALYZE, BUFFERS) — ${title}`);
  for (const line of plan) console.log(`    ${line}`);
}

/**
 * Wall time of each target's `statements` run back to back as a request runs them (one transaction
 * under the app role, tenant bound) — the database's share of a page without Pact — alternating
 * between targets so they see the same machine noise; `samples` rounds after `warmup`.
 */
export async function statementLatency(sql: Sql, targets: { tenantId: string; statements: Statement[] }[], warmup: number, samples: number): Promise<number[][]> {
  const times: number[][] = targets.map(() => []);
  for (let i = 0; i < warmup + samples; i += 1) {
    for (const [t, target] of targets.entries()) {
      await sql.begin(async (tx) => {
        await tx.unsafe(`set local role ${APP_ROLE}`);
        await tx`select set_config('app.tenant_id', ${target.tenantId}, true)`;
        const started = performance.now();
        for (const s of target.statements) {
          if (s.role) await tx.unsafe(`set local role ${s.role}`);
          await tx.unsafe(s.sql, s.params as postgres.ParameterOrJSON<never>[]);
          if (s.role) await tx.unsafe(`set local role ${APP_ROLE}`);
        }
        if (i >= warmup) times[t]?.push(performance.now() - started);
      });
    }
  }
  return times;
}
