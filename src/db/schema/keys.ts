import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, ts } from './columns';
import { keyStatusEnum } from './enums';
import { tenants } from './tenancy';

/** Versioned per-tenant data keys, each wrapped by the tenant's key-encryption key. */
export const tenantKeys = pgTable(
  'tenant_keys',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    provider: text('provider').notNull(),
    wrappedKey: bytea('wrapped_key').notNull(),
    status: keyStatusEnum('status').notNull(),
    encryptions: bigint('encryptions', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);

/**
 * A tenant's own key material (BYOK), used as its key-encryption key. Stored only wrapped by the
 * local/KMS provider; `wrapped_material` is destroyed (null) when the tenant revokes its key.
 */
export const tenantKeyMaterial = pgTable('tenant_key_material', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  provider: text('provider').notNull(),
  wrappedMaterial: bytea('wrapped_material'),
  status: text('status', { enum: ['active', 'revoked'] }).notNull(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Key rotations: the target version and how far re-encryption got (`cursor`, the last contact id
 * done), so a killed rotation resumes where it stopped. At most one is `running` per tenant.
 */
export const tenantKeyRotations = pgTable(
  'tenant_key_rotations',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    targetVersion: integer('target_version').notNull(),
    reason: text('reason', { enum: ['requested', 'threshold'] }).notNull(),
    status: text('status', { enum: ['running', 'done', 'superseded', 'aborted'] }).notNull(),
    cursor: uuid('cursor'),
    reencrypted: bigint('reencrypted', { mode: 'number' }).notNull().default(0),
    /** Rows of the current pass whose ciphertext did not open (tampered); left under their version. */
    unreadable: bigint('unreadable', { mode: 'number' }).notNull().default(0),
    batches: integer('batches').notNull().default(0),
    startedAt: ts('started_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('tenant_key_rotations_tenant_idx').on(t.tenantId, t.startedAt),
    uniqueIndex('tenant_key_rotations_running_idx').on(t.tenantId).where(sql`status = 'running'`),
  ],
);
