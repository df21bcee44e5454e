/** Every scope Pact knows. Read scopes gate the MCP tools; write and admin scopes gate mutations. */
export const SCOPES = [
  'read:accounts',
  'read:contacts',
  'read:deals',
  'read:workflows',
  'write:crm',
  'write:consent',
  /** Only `consentCheck`: may one data subject be processed (an author's MCP server asking, PactConsentStore). */
  'check:consent',
  'admin:keys',
  /** The audit log: search and chain verification (owners, admins, and read-only auditor keys). */
  'read:audit',
  /** Usage and cost from the ledger. */
  'read:usage',
  /** Consent records and their counts (the list; one subject is looked up with write:consent). */
  'read:consent',
  /** Federated MCP servers: publish, discover, govern, approve and delete them (owners and admins). */
  'admin:mcp',
  /** Call the federated tools of servers published into the tenant (each tool's `allowed_roles` decides further). */
  'call:federated',
] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

export const READ_SCOPES: readonly Scope[] = ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows'];

export type MemberRole = 'owner' | 'admin' | 'manager' | 'member';
export type Role = MemberRole | 'api';

/** Every role a signed-in person can hold, most powerful first. */
export const MEMBER_ROLES: readonly MemberRole[] = ['owner', 'admin', 'manager', 'member'];

/** Roles that administer the tenant: every API key, consent erasure, publishing MCP servers. */
export const ADMIN_ROLES: readonly MemberRole[] = ['owner', 'admin'];

/** Scopes a signed-in user holds by role. */
export const ROLE_SCOPES: Record<MemberRole, readonly Scope[]> = {
  owner: SCOPES,
  admin: SCOPES,
  manager: [...READ_SCOPES, 'write:crm', 'write:consent', 'check:consent', 'read:usage', 'read:consent', 'call:federated'],
  member: [...READ_SCOPES, 'write:crm', 'call:federated'],
};

/**
 * Scopes owners and admins may give a member beyond the role (read-only oversight): `read:audit`
 * makes a read-only auditor, `read:usage` and `read:consent` show the ledger and consent records.
 */
export const GRANTABLE_SCOPES: readonly Scope[] = ['read:audit', 'read:usage', 'read:consent'];

/** The scopes a member holds in a tenant: the role's, plus those given to them (unknown names ignored). */
export const memberScopes = (role: MemberRole, extra: readonly string[] = []): Set<Scope> =>
  new Set<Scope>([...ROLE_SCOPES[role], ...extra.filter(isScope).filter((s) => GRANTABLE_SCOPES.includes(s))]);

/** Scopes an API key may carry (a key never manages keys). */
export const API_KEY_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'admin:keys');

