import type { Role, Scope } from './scopes';

/** Which door a call came through; recorded in the audit row. */
export type CallPath = 'graphql' | 'ui' | 'mcp';

/** Who is calling, for which tenant, with what rights. Built once per request by the authenticator. */
export interface Principal {
  kind: 'api_key' | 'user' | 'oauth';
  tenantId: string;
  tenantSlug: string;
  userId: string | null;
  apiKeyId: string | null;
  role: Role;
  scopes: ReadonlySet<Scope>;
  /** A short label of the client (API key name, or the session kind). */
  client: string | null;
  path: CallPath;
  /** API keys restricted to persisted operations. */
  trustedDocumentsOnly: boolean;
  /** Signed-in sessions: every tenant of the user and the role there (the console's tenant switcher). */
  tenants?: readonly { id: string; slug: string; name: string; role: string }[];
  /** OAuth access tokens: the resource (RFC 8707) the token was issued for. */
  resource?: string;
}
