import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, ts } from './columns';
import { activityKindEnum, dealStageEnum } from './enums';
import { tenants, users } from './tenancy';
import { consentSubjects } from './consent';

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    domain: text('domain'),
    industry: text('industry'),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    employeeCount: integer('employee_count'),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('accounts_tenant_id_idx').on(t.tenantId, t.id),
    index('accounts_tenant_domain_idx').on(t.tenantId, t.domain),
    index('accounts_tenant_owner_idx').on(t.tenantId, t.ownerId),
    index('accounts_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
    /** Account names recognised in a question (services/agents/search.ts matches `lower(name)` against its word runs). */
    index('accounts_tenant_name_idx').on(t.tenantId, sql`lower(${t.name})`),
    /** Industries recognised in a question (services/agents/search.ts looks the question's words up here). */
    index('accounts_tenant_industry_idx').on(t.tenantId, sql`lower(${t.industry})`),
    /** Full-text search over non-PII fields only (agents' retrieval); services/agents/search.ts uses the same expression. */
    index('accounts_search_idx').using('gin', sql`to_tsvector('english'::regconfig, ${t.name} || ' ' || coalesce(${t.domain}, '') || ' ' || coalesce(${t.industry}, ''))`),
  ],
);

/**
 * Contacts. Name, e-mail and phone exist only inside `pii` (AES-256-GCM under the tenant's data key
 * version `key_version`); `email_index` is the tenant's HMAC blind index of the normalised e-mail.
 */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    title: text('title'),
    pii: bytea('pii'),
    keyVersion: integer('key_version'),
    emailIndex: text('email_index'),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('contacts_tenant_id_idx').on(t.tenantId, t.id),
    index('contacts_tenant_email_idx').on(t.tenantId, t.emailIndex),
    index('contacts_tenant_account_idx').on(t.tenantId, t.accountId),
    index('contacts_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
  ],
);

export const deals = pgTable(
  'deals',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    stage: dealStageEnum('stage').notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    probability: integer('probability').notNull(),
    closeDate: date('close_date', { mode: 'string' }),
    /** Maintained by database triggers from consent_subjects; never written by the application. */
    consentHidden: boolean('consent_hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('deals_tenant_id_idx').on(t.tenantId, t.id),
    index('deals_tenant_account_idx').on(t.tenantId, t.accountId),
    index('deals_tenant_stage_idx').on(t.tenantId, t.stage),
    /** Time windows in questions and the risk scan ("closing this month", "overdue"). */
    index('deals_tenant_close_idx').on(t.tenantId, t.closeDate),
    /** "My deals", a member's deals, briefings and risk lists by owner. */
    index('deals_tenant_owner_idx').on(t.tenantId, t.ownerId),
    index('deals_visible_idx').on(t.tenantId, t.id).where(sql`consent_hidden = false`),
    /** Full-text search over the deal name (no PII); services/agents/search.ts uses the same expression. */
    index('deals_search_idx').using('gin', sql`to_tsvector('english'::regconfig, ${t.name})`),
  ],
);

export const activities = pgTable(
  'activities',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    kind: activityKindEnum('kind').notNull(),
    subject: text('subject').notNull(),
    body: text('body'),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'cascade' }),
    dealId: uuid('deal_id').references(() => deals.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    occurredAt: ts('occurred_at').notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    index('activities_tenant_id_idx').on(t.tenantId, t.id),
    index('activities_tenant_deal_idx').on(t.tenantId, t.dealId),
    index('activities_tenant_account_idx').on(t.tenantId, t.accountId),
    index('activities_tenant_occurred_idx').on(t.tenantId, t.occurredAt),
  ],
);

/**
 * Per-tenant HMAC tokens (blind index, kind `tok`) of the lowercase words of a contact's name and
 * e-mail; `piiSearch` matches contacts holding every token of the query. Deleted with the contact.
 */
export const contactSearchTokens = pgTable(
  'contact_search_tokens',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token, t.contactId] }), index('contact_search_tokens_contact_idx').on(t.contactId)],
);

/**
 * The words of each contact's title (`pact_title_words`), one row per word, with the contact's
 * consent flag: written only by database triggers on `contacts` (migration search_tokens), so a
 * title search and its hidden count are btree range scans on equality (leakproof under forced RLS).
 */
export const contactTitleTokens = pgTable(
  'contact_title_tokens',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
    hidden: boolean('hidden').notNull(),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token, t.hidden, t.contactId] }), index('contact_title_tokens_contact_idx').on(t.contactId)],
);

/**
 * Per tenant and title word, how many hidden contacts' titles hold it: kept by triggers on
 * `contact_title_tokens` (migration 0023), so a one-word title search's hidden count is one row,
 * not a scan of every hidden match.
 */
export const contactTitleCounts = pgTable(
  'contact_title_counts',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
    hidden: bigint('hidden', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token] })],
);

/**
 * Contacts deleted by an e-mail erasure: the contact id and its (erased) consent subject, nothing
 * derived from the address, so an agent given a deleted contact's id can answer `consent_erased`.
 */
export const erasedContacts = pgTable(
  'erased_contacts',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').notNull(),
    subjectId: uuid('subject_id')
      .notNull()
      .references(() => consentSubjects.id, { onDelete: 'cascade' }),
    erasedAt: ts('erased_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.contactId] })],
);
