import { systemClock, todayOf, type Clock } from '../lib/clock';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Config } from '../config/env';
import { openDatabase, type Database } from '../db/client';
import { dataDirMasterKey, lockDataDir } from '../db/data-dir';
import { pendingMigrations } from '../db/migration-status';
import { memberships, tenantKeys, tenants } from '../db/schema';
import type { Logger } from '../lib/logger';
import { isConnectionLoss } from '../lib/faults';
import type { Principal } from '../services/auth/principal';
import { API_KEY_SCOPES } from '../services/auth/scopes';
import type { Services } from '../services/index';
import type { PactApp } from '../server/app';

/**
 * Reports one step of the start (opening the database, migrating, seeding): called as the step
 * begins with what it does; the returned function is called when it ends.
 */
export type StartProgress = (what: string) => () => void;

const quiet: StartProgress = () => () => {};

/** The modules that serve requests, loaded while the database opens (they take seconds to load). */
const loadServing = () =>
  Promise.all([import('../services/index'), import('../services/auth/api-keys'), import('../services/seed/demo'), import('../mcp/deferred'), import('../server/app'), import('../services/seed/aging')]);

/** A one-line start-up failure (bad setting, port in use, unreachable database). */
export class StartError extends Error {
  override name = 'StartError';
}

export interface RunningPact {
  server: Server;
  app: PactApp;
  services: Services;
  database: Database;
  url: string;
  /** Set when this start minted a demo key (embedded demo tenant). */
  demoKey: string | null;
  /** How many earlier demo keys this start revoked (0 on a first start). */
  revokedDemoKeys: number;
  seeded: boolean;
  /** Days this start moved the seeded demo data forward (0 when it was already current). */
  agedDays: number;
  masterKeyCreated: boolean;
  close(): Promise<void>;
}

const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
};

async function connect(config: Config, progress: StartProgress): Promise<{ database: Database; release: () => void }> {
  if (config.databaseUrl) {
    const done = progress('Connecting to PostgreSQL');
    const database = await openDatabase({ url: config.databaseUrl, max: config.dbPoolMax });
    try {
      await database.withSystem((tx) => database.rows(tx, sql`select 1`));
    } catch (error) {
      await database.close().catch(() => {});
      const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
      throw new StartError(`Cannot connect to DATABASE_URL ${redactUrl(config.databaseUrl)}: ${reason}`);
    }
    done();
    return { database, release: () => {} };
  }
  const release = lockDataDir(resolve(config.dataDir));
  try {
    const pgdata = join(resolve(config.dataDir), 'pgdata');
    const done = progress(`${existsSync(join(pgdata, 'PG_VERSION')) ? 'Opening' : 'Creating'} the embedded database in ${config.dataDir}`);
    const database = await openDatabase({ dataDir: pgdata });
    done();
    return { database, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** Mints a fresh demo key for the demo tenant, revoking the previous ones. */
async function mintDemoKey(database: Database, services: Services): Promise<{ secret: string; revoked: number } | null> {
  const owner = await database.withSystem(async (tx) => {
    const [row] = await tx
      .select({ tenantId: tenants.id, userId: memberships.userId })
      .from(tenants)
      .innerJoin(memberships, eq(memberships.tenantId, tenants.id))
      .where(eq(tenants.slug, 'demo'))
      .orderBy(memberships.createdAt)
      .limit(1);
    return row;
  });
  if (!owner) return null;
  const principal: Principal = {
    kind: 'user',
    tenantId: owner.tenantId,
    tenantSlug: 'demo',
    userId: owner.userId,
    apiKeyId: null,
    role: 'owner',
    scopes: new Set(API_KEY_SCOPES),
    client: 'npm start',
    path: 'graphql',
    trustedDocumentsOnly: false,
  };
  const { mintApiKey, revokeDemoKeys } = await import('../services/auth/api-keys');
  return database.withTenant(owner.tenantId, async (tx) => {
    const ctx = { principal, tx, database, keys: services.keys, cursors: services.cursors };
    const revoked = await revokeDemoKeys(ctx);
    const minted = await mintApiKey(ctx, { name: 'Demo key (npm start)', scopes: API_KEY_SCOPES, isDemo: true });
    return { secret: minted.secret, revoked };
  });
}

/** Fails fast when the master key cannot unwrap the data keys this database already holds. */
async function verifyMasterKey(database: Database, services: Services): Promise<void> {
  const [row] = await database.withSystem((tx) =>
    tx.select({ tenantId: tenantKeys.tenantId, version: tenantKeys.version }).from(tenantKeys).where(eq(tenantKeys.status, 'active')).limit(1),
  );
  if (!row) return;
  try {
    await database.withSystem((tx) => services.keys.version(tx, row.tenantId, row.version));
  } catch {
    throw new StartError('PACT_MASTER_KEY does not match the key this database was encrypted with: set the original key.');
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new StartError(`Port ${port} on ${host} is already in use: stop the other process or set PORT.`));
      else if (error.code === 'EACCES') reject(new StartError(`Not allowed to listen on ${host}:${port}: choose a PORT above 1024.`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new StartError(`HOST ${host} is not an address of this machine.`));
      else reject(error);
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });
}

let rejectionGuard = false;

/**
 * A rejection nobody handles ends the process (Node's default), except a lost database connection
 * that postgres.js rejects on a statement it queued internally after the socket closed (its open
 * defects #1154/#1208, beside what scripts/patch-postgres.mjs mends): that one is logged and the
 * pool reconnects. Installed once per process by `startPact`.
 */
function survivePoolLoss(logger: Logger): void {
  if (rejectionGuard) return;
  rejectionGuard = true;
  process.on('unhandledRejection', (reason) => {
    if (!isConnectionLoss(reason)) throw reason;
    logger.warn({ err: reason }, 'a database statement failed with its lost connection after its caller had gone');
  });
}

/**
 * Idle keep-alive connections stay open longer than HTTP clients keep them (undici: 4 s) and than load
 * balancers do (60 s), so a client never reuses a connection the server is just closing (ECONNRESET).
 */
export function keepConnectionsAlive(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

/** Opens the database, migrates, seeds the demo on an empty database, mints the demo key, and listens. */
export async function startPact(
  config: Config,
  logger: Logger,
  options: {
    seed?: boolean;
    /** Told each slow step as it starts and ends (`npm start` prints them); silent by default. */
    progress?: StartProgress;
    /** What "today" is for the demo data and the agents (the system clock by default). */
    clock?: Clock;
  } = {},
): Promise<RunningPact> {
  const progress = options.progress ?? quiet;
  let handler: PactApp['listener'] | null = null;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":{"code":"STARTING","message":"Pact is starting."}}');
  });
  keepConnectionsAlive(server);
  survivePoolLoss(logger);
  const port = await listen(server, config.port, config.host);
  // The database opens first: its WebAssembly compiles on other threads while the serving modules load here.
  const connecting = connect(config, progress);
  const serving = loadServing();
  serving.catch(() => {});
  let connected: Awaited<ReturnType<typeof connect>>;
  try {
    connected = await connecting;
  } catch (error) {
    server.close();
    throw error;
  }
  const { database, release } = connected;
  try {
    const pending = await pendingMigrations(database);
    if (pending > 0) {
      const done = progress(`Applying ${pending} migration${pending === 1 ? '' : 's'}`);
      await database.migrate();
      done();
    }
    const [{ createServices }, , { seedDemo, isEmpty }, { pactMcpDeferred }, { createApp }, { ageDemoData }] = await serving;
    const clock = options.clock ?? systemClock;
    const fromDir = config.masterKey ? null : dataDirMasterKey(resolve(config.dataDir));
    if (fromDir?.created && config.databaseUrl) {
      logger.warn('PACT_MASTER_KEY is not set: generated one into the data directory; set it explicitly for every instance.');
    }
    const masterKey = config.masterKey ?? (fromDir as { key: Buffer }).key;
    const services = createServices({
      database,
      masterKey,
      logger,
      redisUrl: config.redisUrl,
      limits: config.limits,
      clientMetadata: { allowPrivate: config.allowPrivateUpstreams },
      upstreams: { allowPrivate: config.allowPrivateUpstreams },
      model: {
        provider: config.modelProvider,
        model: config.model,
        anthropicApiKey: config.anthropicApiKey,
        anthropicBaseUrl: config.anthropicBaseUrl,
        openaiApiKey: config.openaiApiKey,
        openaiBaseUrl: config.openaiBaseUrl,
        timeoutMs: config.modelTimeoutMs,
      },
      clock,
    });
    const seeded = (options.seed ?? true) && (await isEmpty(database));
    if (seeded) await seedDemo(database, services.keys, undefined, { progress, clock });
    // The demo data lives in the present: dates move forward by the days elapsed since the seed (or the last start).
    const aged = seeded ? [] : await ageDemoData(database, todayOf(clock));
    const agedDays = Math.max(0, ...aged.map((a) => a.days));
    await verifyMasterKey(database, services);
    const url = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
    const app = createApp({
      services,
      publicUrl: url,
      listen: { host: config.host, port },
      graphiql: config.env !== 'production',
      production: config.env === 'production',
      allowedOrigins: config.allowedOrigins,
      trustProxy: config.trustProxy,
      mcp: pactMcpDeferred({ services, publicUrl: url }),
      // Persisted operations are prepared (parsed, validated, compiled) just after listening; until then they run as any document.
      preparePersisted: 'after-start',
      secureCookies: config.publicUrl.startsWith('https:'),
    });
    handler = app.listener;
    // After the handler is in place: the server answers while the demo key is minted for the banner.
    const demo = options.seed === false ? null : await mintDemoKey(database, services);
    let closed = false;
    return {
      server,
      app,
      services,
      database,
      url,
      demoKey: demo?.secret ?? null,
      revokedDemoKeys: demo?.revoked ?? 0,
      seeded,
      agedDays,
      masterKeyCreated: fromDir?.created ?? false,
      async close() {
        if (closed) return;
        closed = true;
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await services.close();
        await database.close();
        release();
      },
    };
  } catch (error) {
    server.close();
    await database.close().catch(() => {});
    release();
    throw error;
  }
}
