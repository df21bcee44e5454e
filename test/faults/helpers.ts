import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { openDatabase } from '../../src/db/client';
import { createLogger } from '../../src/lib/logger';
import { createServices } from '../../src/services/index';
import { DEMO_PASSWORD, seedDemo } from '../../src/services/seed/demo';
import { SECOND_TEST_SIZE, TEST_SIZE } from '../helpers/pact';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A throwaway PostgreSQL 15 cluster in a temp directory on a free port (run as user postgres when root). */
export interface Cluster {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  destroy(): void;
}

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pact-faults-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(ids.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (args: string[]) => {
    const [cmd, ...rest] = asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    const result = spawnSync(cmd as string, rest, { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  const port = await freePort();
  run([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = () =>
    run([`${PG_BIN}/pg_ctl`, '-D', data, '-l', join(dir, 'log'), '-w', '-t', '120', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => run([`${PG_BIN}/pg_ctl`, '-D', data, '-w', '-t', '120', '-m', 'fast', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on `serverUrl`, migrated and seeded with the small test tenants. */
export async function seededDatabase(serverUrl: string): Promise<{ url: string; name: string; masterKey: string; drop(): Promise<void> }> {
  const name = `pact_faults_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const masterKey = randomBytes(32);
  const database = await openDatabase({ url: url.toString(), max: 2 });
  await database.migrate();
  const services = createServices({ database, masterKey, logger: createLogger({ level: 'silent' }) });
  await seedDemo(database, services.keys, { demo: TEST_SIZE, second: SECOND_TEST_SIZE });
  await services.close();
  await database.close();
  return {
    url: url.toString(),
    name,
    masterKey: masterKey.toString('hex'),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    },
  };
}

/** A TCP proxy between Pact and PostgreSQL that the test can cut (refuse and reset) and restore. */
export interface Proxy {
  port: number;
  drop(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = async () => {
    server = createNetServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => (server as Server).listen(port, '127.0.0.1', r));
  };
  const drop = async () => {
    const closing = server ? new Promise((r) => (server as Server).close(r)) : Promise.resolve();
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
  };
  await listen();
  return { port, drop, restore: listen, close: drop };
}

/** A Pact server in a child process (`test/faults/pact-process.ts`), its stdout (pino JSON) captured. */
export interface PactProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function spawnPact(env: Record<string, string>): Promise<PactProcess> {
  let output = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'pact-faults-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/faults/pact-process.ts'], {
    env: { ...process.env, PORT: '0', NODE_ENV: 'production', LOG_LEVEL: 'info', PACT_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor(
    'the Pact process to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`Pact exited (${child.exitCode}): ${output}`);
      return /PACT_READY (\S+)/.exec(output)?.[1];
    },
    120_000,
  );
  return {
    url,
    child,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const gql = (base: string, token: string, query: string, variables: Record<string, unknown> = {}) =>
  call(`${base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });

export const mcpCall = (base: string, token: string, id: number, name: string, args: Record<string, unknown>) =>
  call(`${base}/mcp/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
  });

/** Signs the demo admin in on `base` and mints an API key that may read and write. */
export async function apiKey(base: string): Promise<string> {
  const signIn = await call(`${base}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@pact.demo', password: DEMO_PASSWORD, kind: 'token' }),
  });
  const session = (JSON.parse(signIn.text) as { token?: string }).token;
  if (!session) throw new Error(`sign-in failed: ${signIn.status} ${signIn.text}`);
  const minted = await gql(base, session, 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }', {
    i: { name: 'faults', scopes: ['read:contacts', 'read:accounts', 'write:crm'] },
  });
  const secret = (JSON.parse(minted.text) as { data?: { createApiKey?: { secret?: string } } }).data?.createApiKey?.secret;
  if (!secret) throw new Error(`mint failed: ${minted.text}`);
  return secret;
}

/** What a masked failure must never show: SQL, parameters, stacks, paths, hosts, hashes, driver codes. */
export const LEAKS = [/select\s/i, /insert into/i, /failed query/i, /params:/i, /\bat\s+\S+\s*\(/, /node_modules/, /\/work\//, /\/src\//, /127\.0\.0\.1/, /ECONNREFUSED/, /CONNECTION_CLOSED/, /[0-9a-f]{64}/i, /postgres/i];

export function leaksIn(text: string): string[] {
  return LEAKS.filter((pattern) => pattern.test(text)).map(String);
}
