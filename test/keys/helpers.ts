import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import type { Principal } from '../../src/services/auth/principal';
import { SCOPES } from '../../src/services/auth/scopes';
import type { ServiceContext } from '../../src/services/context';
import { createLocalKeyProvider } from '../../src/services/keys/key-provider';
import { createKeyService, type KeyService, type KeyServiceOptions } from '../../src/services/keys/tenant-keys';
import type { GqlResponse, TestPact } from '../helpers/pact';

export type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type GqlError = NonNullable<GqlResponse['body']['errors']>[number];

/** A caller bound to one signed-in user (and tenant): `call` throws on any error, `raw` does not. */
export interface Caller {
  token: string;
  call(query: string, variables?: Record<string, unknown>): Promise<Data>;
  raw(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<Data>>;
}

export async function caller(pact: TestPact, email: string, tenant?: string): Promise<Caller> {
  const token = await pact.signIn(email);
  const options = { token, ...(tenant ? { tenant } : {}) };
  const raw = (query: string, variables: Record<string, unknown> = {}) => pact.gql<Data>(query, variables, options);
  return {
    token,
    raw,
    async call(query, variables) {
      const res = await raw(query, variables);
      if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
      return res.body.data as Data;
    },
  };
}

export const CREATE_CONTACT = 'mutation($input: ContactInput!) { createContact(input: $input) { id name email phone } }';

/** Every contact id of a tenant with its key version, straight from the database. */
export const contactVersions = (pact: TestPact, tenantId: string) =>
  pact.sql<{ id: string; key_version: number }>(sql`select id, key_version from contacts where tenant_id = ${tenantId} order by id`);

/** The errors of a response that say the tenant key is unavailable. */
export const keyUnavailableErrors = (errors: GqlError[] | undefined) =>
  (errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN' && e.extensions?.reason === 'KEY_UNAVAILABLE');

/**
 * Opens every contact of a tenant with a fresh key service (no cache), in one transaction as the owner
 * (the application role sees only the contacts consent leaves visible): name by id, or the error code
 * of a row that does not open.
 */
export async function openAll(
  pact: Pick<TestPact, 'database' | 'masterKey'>,
  tenantId: string,
  keys: KeyService = freshKeys(pact),
): Promise<Map<string, string>> {
  return pact.database.withSystem(async (tx) => {
    const rows = await pact.database.rows<{ id: string; pii: Buffer | Uint8Array; key_version: number }>(
      tx,
      sql`select id, pii, key_version from contacts where tenant_id = ${tenantId} and pii is not null order by id`,
    );
    const out = new Map<string, string>();
    for (const row of rows) {
      try {
        const key = await keys.version(tx, tenantId, row.key_version);
        const pii = keys.openJson<{ name: string }>(key, { tenantId, table: 'contacts', rowId: row.id, field: 'pii' }, Buffer.from(row.pii));
        out.set(row.id, pii.name);
      } catch (error) {
        out.set(row.id, `error:${String((error as { extensions?: { reason?: string } }).extensions?.reason ?? error)}`);
      }
    }
    return out;
  });
}

/** A key service of the same master key with an empty cache (another instance's view). */
export const freshKeys = (pact: Pick<TestPact, 'masterKey'>, options: KeyServiceOptions = {}): KeyService =>
  createKeyService(createLocalKeyProvider(pact.masterKey), options);

/** A service context for the tenant's owner, to call services directly with chosen keys. */
export function serviceContext(pact: TestPact, tenantId: string, tx: Db, keys: KeyService): ServiceContext {
  const owner = pact.seed.users[0];
  const principal: Principal = {
    kind: 'user',
    tenantId,
    tenantSlug: tenantId === pact.seed.demoTenantId ? 'demo' : 'globex',
    userId: owner?.id ?? null,
    apiKeyId: null,
    role: 'owner',
    scopes: new Set(SCOPES),
    client: 'test',
    path: 'graphql',
    trustedDocumentsOnly: false,
  };
  return { principal, tx, database: pact.database, keys, cursors: pact.services.cursors };
}
