import { index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, ts } from './columns';
import { tenants, users } from './tenancy';

/**
 * OAuth clients: registered dynamically (RFC 7591), or known by a Client ID Metadata Document
 * (`client_id` is the document's URL; the row caches the validated document until
 * `metadata_expires_at`). Global, read by the authorization server only (no grant to the
 * application role). A confidential client's secret is kept sealed by the deployment's master
 * key, never in plaintext.
 */
export const oauthClients = pgTable('oauth_clients', {
  clientId: text('client_id').primaryKey(),
  kind: text('kind', { enum: ['registered', 'metadata_document'] })
    .notNull()
    .default('registered'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  redirectUris: text('redirect_uris').array().notNull(),
  secretSealed: bytea('secret_sealed'),
  secretExpiresAt: ts('secret_expires_at'),
  /** A metadata-document client's cache expiry: fetched again after it. */
  metadataExpiresAt: ts('metadata_expires_at'),
  createdAt: createdAt(),
});

/**
 * An authorization request between `/oauth/authorize` and the user's decision: the validated
 * parameters, and the user once signed in. Short-lived; its id travels in the sign-in and consent
 * pages' URLs.
 */
export const oauthRequests = pgTable('oauth_requests', {
  id: text('id').primaryKey(),
  clientId: text('client_id')
    .notNull()
    .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  state: text('state'),
  scopes: text('scopes').array().notNull(),
  codeChallenge: text('code_challenge').notNull(),
  resource: text('resource').notNull(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  decidedAt: ts('decided_at'),
});

/** Authorization codes (only a SHA-256 kept); single use, bound to client, redirect, PKCE challenge, tenant and resource. */
export const oauthCodes = pgTable('oauth_codes', {
  codeHash: text('code_hash').primaryKey(),
  clientId: text('client_id')
    .notNull()
    .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  scopes: text('scopes').array().notNull(),
  codeChallenge: text('code_challenge').notNull(),
  resource: text('resource').notNull(),
  /** The token family minted from this code; a replayed code revokes it. */
  familyId: uuid('family_id').notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/**
 * OAuth access and refresh tokens (only a SHA-256 kept). A family is every token descending from
 * one authorization code; a rotated refresh token presented again revokes the whole family.
 */
export const oauthTokens = pgTable(
  'oauth_tokens',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['access', 'refresh'] }).notNull(),
    familyId: uuid('family_id').notNull(),
    clientId: text('client_id')
      .notNull()
      .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    scopes: text('scopes').array().notNull(),
    resource: text('resource').notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    /** A refresh token's use (rotation); a second use is a replay. */
    usedAt: ts('used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('oauth_tokens_hash_idx').on(t.tokenHash), index('oauth_tokens_family_idx').on(t.familyId)],
);
