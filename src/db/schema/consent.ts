import { bigint, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, ts } from './columns';
import { consentKindEnum, consentStatusEnum } from './enums';
import { tenants } from './tenancy';

/**
 * Consent per data subject: a contact's e-mail (keyed by the tenant's e-mail blind index, never the
 * address) or an account's domain. No row means granted.
 */
export const consentSubjects = pgTable(
  'consent_subjects',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    kind: consentKindEnum('kind').notNull(),
    subjectKey: text('subject_key').notNull(),
    status: consentStatusEnum('status').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('consent_subjects_key_idx').on(t.tenantId, t.kind, t.subjectKey)],
);

export const consentEvents = pgTable(
  'consent_events',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    subjectId: uuid('subject_id').notNull().references(() => consentSubjects.id, { onDelete: 'cascade' }),
    fromStatus: consentStatusEnum('from_status'),
    toStatus: consentStatusEnum('to_status').notNull(),
    reason: text('reason'),
    actorUserId: uuid('actor_user_id'),
    actorApiKeyId: uuid('actor_api_key_id'),
    createdAt: createdAt(),
  },
  (t) => [index('consent_events_subject_idx').on(t.tenantId, t.subjectId, t.createdAt)],
);

/** Records hidden by consent per tenant and list (`accounts`, `contacts`, `deals`); maintained by triggers. */
export const consentCounts = pgTable(
  'consent_counts',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    list: text('list').notNull(),
    hidden: bigint('hidden', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.list] })],
);
