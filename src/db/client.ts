import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import type { PgDialect } from 'drizzle-orm/pg-core';
import type { RelationalSchemaConfig, TablesRelationalConfig } from 'drizzle-orm/relations';
import postgres from 'postgres';
import { DatabaseUnavailableError, isConnectionLoss } from '../lib/faults';
import { noteFailure } from '../lib/request-context';
import { compileSql, type Db } from './compiled';
import * as schema from './schema';

export type Schema = typeof schema;
export type { Db };

/** Role that every request runs under; it owns nothing and cannot bypass row-level security. */
export const APP_ROLE = 'pact_app';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction under the application role, bound to `tenantId`. Reads pass
   * `{ snapshot: true }` (REPEATABLE READ), so every statement of the call sees one snapshot: a page
   * and its consent-hidden count cannot disagree while another client changes consent.
   */
  withTenant<T>(tenantId: string, fn: (tx: Db) => Promise<T>, options?: TenantTxOptions): Promise<T>;
  /** Runs `fn` in one transaction under the application role with no tenant bound (sees no tenant rows). */
  withAppRole<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction as the connecting (owner) role: migrations, seeding, credential
   * look-ups before a tenant is known, and security events. Never for a tenant's request.
   */
  withSystem<T>(fn: (tx: Db) => Promise<T>, options?: TenantTxOptions): Promise<T>;
  /**
   * Read-only look-ups as the owner role: straight on the pool with PostgreSQL (no BEGIN/COMMIT
   * round trips); in a transaction on PGlite, whose single connection must not be used beside one.
   */
  readSystem<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Rows of a raw statement, the same shape on both drivers. */
  rows<R extends Record<string, unknown>>(tx: Db, query: SQL): Promise<R[]>;
  migrate(): Promise<void>;
  /** A tarball of the embedded database (PGlite only), to clone it elsewhere. */
  dumpDataDir(): Promise<Blob>;
  close(): Promise<void>;
}

export interface TenantTxOptions {
  /** One snapshot for the whole transaction (REPEATABLE READ) instead of one per statement. */
  snapshot?: boolean;
}

export interface DatabaseOptions {
  /** A postgres:// URL; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; in memory when absent. */
  dataDir?: string | undefined;
  /** An existing PGlite instance (tests clone a migrated template into one). */
  pglite?: PGlite | undefined;
  /** Pool size for postgres.js (`PACT_DB_POOL_MAX`, default 10). */
  max?: number;
}

/** Default pool size of the PostgreSQL driver. */
export const DEFAULT_POOL_MAX = 10;

/**
 * Fails when the installed postgres.js lacks the connection-loss fixes that `npm install` applies
 * (scripts/patch-postgres.mjs): without them a backend lost mid-transaction ends the process.
 */
function assertDriverPatched(): void {
  const root = dirname(dirname(dirname(createRequire(import.meta.url).resolve('postgres'))));
  for (const file of ['src/connection.js', 'src/index.js']) {
    if (!readFileSync(join(root, file), 'utf8').startsWith('/* pact-patch:')) {
      throw new Error('The postgres driver lacks Pact\'s connection-loss fixes: run `npm run patch:postgres` (npm install runs it).');
    }
  }
}

/** Reconnection delay in seconds after `retries` failed attempts: quick, capped at one second. */
const backoff = (retries: number): number => Math.min(0.05 * 2 ** retries, 1);

/** A lost or refused connection becomes a DatabaseUnavailableError (safe message, driver error as cause). */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DatabaseUnavailableError || !isConnectionLoss(error)) throw error;
    const unavailable = new DatabaseUnavailableError(error);
    noteFailure(unavailable);
    throw unavailable;
  }
}

/** A transaction's first statement: the application role, and the tenant when there is one. */
type Setup = (tx: Db) => Promise<unknown>;
const BIND_APP_ROLE = compileSql(sql`select set_config('role', ${APP_ROLE}, true)`);
const BIND_TENANT = compileSql(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${sql.placeholder('tenantId')}, true)`);

type RawResult = { rows: Record<string, unknown>[] } | Record<string, unknown>[];

const toRows = <R>(result: unknown): R[] =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as R[];

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.max ?? DEFAULT_POOL_MAX);
  const client = options.pglite ?? (await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {}));
  const db = drizzlePglite({ client, schema });
  return build('pglite', db as unknown as Db, {
    migrate: () => migratePglite(db, { migrationsFolder }),
    dump: () => client.dumpDataDir('gzip'),
    close: () => client.close(),
  });
}

/**
 * A session whose statements are named prepared statements: postgres.js parses each distinct text
 * once per connection and afterwards only binds and executes it (drizzle prepares only `.prepare(name)` queries).
 */
type TxSession = PostgresJsSession<postgres.Sql, Schema, TablesRelationalConfig>;
class PreparedStatementsSession extends PostgresJsSession<postgres.Sql, Schema, TablesRelationalConfig> {
  override prepareQuery: TxSession['prepareQuery'] = (query, fields, name, ...rest) => super.prepareQuery(query, fields, name ?? 'prepared', ...rest);
}

/** What a transaction needs from the root drizzle handle to build its own session. */
interface DrizzleInternals {
  dialect: PgDialect;
  session: { schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined; options: ConstructorParameters<typeof PostgresJsSession>[3] };
}

/**
 * A transaction on PostgreSQL in as few round trips as the protocol allows: BEGIN carries the
 * isolation level, and the `setup` statement (role and tenant) is not awaited before `fn` runs, so
 * it travels with the transaction's first statement (postgres.js pipelines a connection's queue in order).
 */
function pipelinedTransaction(client: postgres.Sql, db: Db) {
  const { dialect, session } = db as unknown as DrizzleInternals;
  return <T>(setup: Setup, fn: (tx: Db) => Promise<T>, snapshot: boolean): Promise<T> =>
    client.begin(snapshot ? 'isolation level repeatable read' : '', async (connection) => {
      const txSession = new PreparedStatementsSession(connection as unknown as postgres.Sql, dialect, session.schema, session.options);
      const tx = new PostgresJsTransaction(dialect, txSession as unknown as ConstructorParameters<typeof PostgresJsTransaction>[1], session.schema) as unknown as Db;
      const bound = setup(tx).then(() => undefined);
      bound.catch(() => undefined);
      const result = await fn(tx);
      await bound;
      return result;
    }) as Promise<T>;
}

async function openPostgres(url: string, max: number): Promise<Database> {
  assertDriverPatched();
  const client = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 10,
    backoff,
    connection: { application_name: 'pact' },
  });
  const db = drizzlePostgres({ client, schema });
  return build('postgres', db as unknown as Db, {
    transaction: pipelinedTransaction(client, db as unknown as Db),
    migrate: async () => {
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(715024001)`;
        await migratePostgres(db, { migrationsFolder });
      } finally {
        await lock`select pg_advisory_unlock(715024001)`;
        lock.release();
      }
    },
    dump: () => Promise.reject(new Error('dumpDataDir is for the embedded database only')),
    close: () => client.end({ timeout: 5 }),
  });
}

function build(
  kind: Database['kind'],
  db: Db,
  ops: {
    migrate: () => Promise<void>;
    dump: () => Promise<Blob>;
    close: () => Promise<void>;
    /** The driver's own transaction with a first statement (PostgreSQL); drizzle's otherwise. */
    transaction?: <T>(setup: Setup, fn: (tx: Db) => Promise<T>, snapshot: boolean) => Promise<T>;
  },
): Database {
  const transaction =
    ops.transaction ??
    (<T>(setup: Setup, fn: (tx: Db) => Promise<T>, snapshot: boolean): Promise<T> =>
      db.transaction(async (tx) => {
        await setup(tx as unknown as Db);
        return fn(tx as unknown as Db);
      }, snapshot ? { isolationLevel: 'repeatable read' } : undefined));
  const asApp = <T>(tenantId: string | null, fn: (tx: Db) => Promise<T>, options?: TenantTxOptions): Promise<T> =>
    transaction(
      tenantId === null ? (tx) => BIND_APP_ROLE.run(tx) : (tx) => BIND_TENANT.run(tx, { tenantId }),
      fn,
      options?.snapshot ?? false,
    );
  return {
    kind,
    withTenant: (tenantId, fn, options) => translated(() => asApp(tenantId, fn, options)),
    withAppRole: (fn) => translated(() => asApp(null, fn)),
    withSystem: (fn, options) =>
      translated(() => db.transaction(async (tx) => fn(tx as unknown as Db), options?.snapshot ? { isolationLevel: 'repeatable read' } : undefined)),
    readSystem: (fn) => translated(() => (kind === 'postgres' ? fn(db) : db.transaction(async (tx) => fn(tx as unknown as Db)))),
    rows: async <R extends Record<string, unknown>>(tx: Db, query: SQL) =>
      toRows<R>((await tx.execute(query)) as unknown as RawResult),
    migrate: ops.migrate,
    dumpDataDir: ops.dump,
    close: ops.close,
  };
}
