import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQL } from 'drizzle-orm';
import { openDatabase, type Database, type Db } from '../../src/db/client';
import { fixedClock, type Clock } from '../../src/lib/clock';
import { createLogger, type Logger } from '../../src/lib/logger';
import type { ModelConfig } from '../../src/services/agents/providers/index';
import type { ClientMetadataOptions } from '../../src/services/oauth/client-metadata';
import { createServices, type Services } from '../../src/services/index';
import type { UpstreamPolicy } from '../../src/services/federation/upstream';
import type { LimitPolicy } from '../../src/services/limits/policy';
import { DEMO_PASSWORD, seedDemo, type SeedResult, type TenantSize } from '../../src/services/seed/demo';
import { pactMcp } from '../../src/mcp/index';
import { createApp, type AppOptions } from '../../src/server/app';
import { keepConnectionsAlive } from '../../src/app/start';
import { freshDatabase } from './database';
import { persistedOperations } from '../../src/graphql/persisted';

/** Small seed with known consent numbers; tests count the rest from the database. */
export const TEST_SIZE: TenantSize = {
  accounts: 24,
  contacts: 80,
  deals: 40,
  activities: 20,
  emailConsent: { suppressed: 3, withdrawn: 2, erased: 1 },
  domainConsent: { suppressed: 2, withdrawn: 1, erased: 1 },
};

export const SECOND_TEST_SIZE: TenantSize = {
  accounts: 10,
  contacts: 30,
  deals: 12,
  activities: 5,
  emailConsent: { suppressed: 1, withdrawn: 1, erased: 0 },
  domainConsent: { suppressed: 1, withdrawn: 0, erased: 0 },
};

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, unknown> };
}

export interface CallOptions {
  token?: string | undefined;
  tenant?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface TestPact {
  url: string;
  /** The PostgreSQL URL of its database (null on PGlite): a second instance given it opens its own pool. */
  databaseUrl: string | null;
  database: Database;
  services: Services;
  seed: SeedResult;
  masterKey: Buffer;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: CallOptions): Promise<GqlResponse<T>>;
  /** Signs a seeded user in and returns a `pact_sess_` token. */
  signIn(email: string, password?: string): Promise<string>;
  /** Mints an API key in the user's tenant through GraphQL. */
  mintKey(ownerToken: string, scopes: string[], tenant?: string): Promise<string>;
  /** Raw rows as the owner role (bypassing RLS), for assertions. */
  sql<R extends Record<string, unknown>>(query: SQL): Promise<R[]>;
  close(): Promise<void>;
}

export interface TestPactOptions {
  limits?: Partial<LimitPolicy>;
  redisUrl?: string;
  production?: boolean;
  /** Client addresses from `X-Forwarded-For` (PACT_TRUST_PROXY). */
  trustProxy?: boolean;
  hardening?: AppOptions['hardening'];
  /** Where the server logs (silent by default). */
  logger?: Logger;
  /** OAuth settings (auto-approve for headless flows); the endpoints' rate limits are off unless given. */
  oauth?: AppOptions['oauth'];
  /** Share another test server's database (a second instance). */
  database?: { database: Database; masterKey: Buffer; seed: SeedResult; url?: string | null };
  /** The agents' model provider (offline by default). */
  model?: ModelConfig;
  /** Browser origins allowed besides the server's own (PACT_ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
  /** How OAuth Client ID Metadata Documents are fetched (a resolver, the private-host allowance). */
  clientMetadata?: ClientMetadataOptions;
  /** How federated MCP servers are reached (`allowPrivate` for loopback upstreams, a resolver, the deadline). */
  upstreams?: Partial<UpstreamPolicy>;
  /** What "today" is for the seed and the agents (TEST_TODAY by default: tests never depend on the calendar). */
  clock?: Clock;
  /** Seed sizes (TEST_SIZE and SECOND_TEST_SIZE by default). */
  sizes?: { demo: TenantSize; second: TenantSize };
  /** Serve GraphiQL (development: console sessions may then send query text too). */
  graphiql?: boolean;
  /** The console bundle served at /ui/. */
  consoleDist?: string;
  /** Mark the session cookie Secure. */
  secureCookies?: boolean;
}

/** The day tests run on: the seed's dates and the agents' "today" are placed relative to it. */
export const TEST_TODAY = '2026-11-16';

export async function startTestPact(options: TestPactOptions = {}): Promise<TestPact> {
  const fresh = options.database ? null : await freshDatabase();
  // A second instance on PostgreSQL opens its own pool, as another process would; PGlite has one connection to share.
  const ownPool = options.database?.url ? await openDatabase({ url: options.database.url, max: 5 }) : null;
  const database = ownPool ?? options.database?.database ?? (fresh as NonNullable<typeof fresh>).database;
  const masterKey = options.database?.masterKey ?? randomBytes(32);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const clock = options.clock ?? fixedClock(TEST_TODAY);
  const services = createServices({ database, masterKey, logger, redisUrl: options.redisUrl, limits: options.limits, model: options.model, clock, ...(options.clientMetadata ? { clientMetadata: options.clientMetadata } : {}), ...(options.upstreams ? { upstreams: options.upstreams } : {}) });
  const seed = options.database?.seed ?? (await seedDemo(database, services.keys, options.sizes ?? { demo: TEST_SIZE, second: SECOND_TEST_SIZE }, { clock }));
  let listener: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer((req, res) => listener?.(req, res));
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const app = createApp({
    services,
    publicUrl: url,
    listen: { host: '127.0.0.1', port },
    allowedOrigins: options.allowedOrigins ?? [],
    production: options.production ?? false,
    mcp: pactMcp({ services, publicUrl: url }),
    oauth: { rateLimit: false, ...options.oauth },
    ...(options.hardening ? { hardening: options.hardening } : {}),
    ...(options.trustProxy ? { trustProxy: true } : {}),
    ...(options.graphiql ? { graphiql: true } : {}),
    ...(options.consoleDist ? { consoleDist: options.consoleDist } : {}),
    ...(options.secureCookies ? { secureCookies: true } : {}),
  });
  listener = app.listener;

  const gql: TestPact['gql'] = async (query, variables, options = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.tenant) headers['x-tenant-id'] = options.tenant;
    if (options.cookie) {
      headers.cookie = options.cookie;
      headers['x-pact-csrf'] ??= '1';
    }
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResponse['body'] } as never;
  };

  const signIn = async (email: string, password = DEMO_PASSWORD) => {
    const res = await fetch(`${url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, kind: 'token' }),
    });
    const body = (await res.json()) as { token?: string };
    if (!body.token) throw new Error(`sign-in failed for ${email}: ${res.status}`);
    return body.token;
  };

  const mintKey = async (ownerToken: string, scopes: string[], tenant?: string) => {
    const res = await gql<{ createApiKey: { secret: string } }>(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { input: { name: `test ${scopes.join(' ')}`, scopes } },
      { token: ownerToken, ...(tenant ? { tenant } : {}) },
    );
    const secret = res.body.data?.createApiKey.secret;
    if (!secret) throw new Error(`mint failed: ${JSON.stringify(res.body)}`);
    return secret;
  };

  return {
    url,
    databaseUrl: fresh?.url ?? options.database?.url ?? null,
    database,
    services,
    seed,
    masterKey,
    gql,
    signIn,
    mintKey,
    sql: (query) => database.withSystem((tx: Db) => database.rows(tx, query)),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await services.close();
      await ownPool?.close();
      if (fresh) await fresh.drop();
    },
  };
}

/** A persisted operation's manifest text (what a restricted caller may send as `query`). */
export const persistedText = (document: unknown): string => {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash ?? '';
  const text = persistedOperations()[hash];
  if (!text) throw new Error(`not a persisted document: ${hash}`);
  return text;
};

/** The database's own message for a failed statement (drizzle wraps it as `cause`). */
export async function dbError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    return cause?.message ?? (error as Error).message;
  }
  return 'no error';
}
