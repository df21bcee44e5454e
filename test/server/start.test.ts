import { spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config/env';
import { DataDirLockedError } from '../../src/db/data-dir';
import { fixedClock } from '../../src/lib/clock';
import { createLogger } from '../../src/lib/logger';
import { StartError, startPact, type RunningPact } from '../../src/app/start';
import { freshDatabase, type TestDatabase } from '../helpers/database';

const logger = createLogger({ level: 'silent' });
let dir: string;
let pg: TestDatabase | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pact-start-'));
  if (process.env.DATABASE_URL) {
    pg = await freshDatabase();
    await pg.database.close();
  }
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (pg) await pg.drop().catch(() => {});
});

const config = (overrides: Record<string, string> = {}): Config =>
  loadConfig({ PORT: '0', PACT_DATA_DIR: dir, LOG_LEVEL: 'silent', ...(pg?.url ? { DATABASE_URL: pg.url } : {}), ...overrides });

const query = async (pact: RunningPact, token: string, q: string) => {
  const res = await fetch(`${pact.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: q }),
  });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, any>; errors?: { extensions: { code: string } }[] } }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

const journalSize = (JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;

interface CliStart {
  /** Everything printed up to the end of the banner. */
  out: string;
  /** Seconds from spawn to the banner's first line reaching this process. */
  wall: number;
  /** The "ready in N s" of the banner. */
  banner: number;
  stop(): Promise<void>;
}

/** Runs `npm start`'s command (the bundled server) and waits for its banner (a fresh PGlite start on a loaded 2-core machine can take a minute or more). */
async function npmStart(env: Record<string, string>): Promise<CliStart> {
  const began = performance.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: new URL('../..', import.meta.url),
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  let out = '';
  let wall = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 300 s:\n${out}`)), 300_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (!wall && out.includes('Pact is listening')) wall = (performance.now() - began) / 1000;
        if (/-d '.*'\n/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited ${code}:\n${out}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { out, wall, banner: Number(/ready in (\d+\.\d)s/.exec(out)?.[1]), stop };
}

/** The banner counts from process start: close to the wall time seen from here, and at least the steps it printed. */
function expectTrueTiming(start: CliStart, steps: number[]): void {
  expect(start.banner).toBeLessThanOrEqual(start.wall + 0.05);
  expect(start.banner).toBeGreaterThanOrEqual(start.wall - 1);
  expect(start.banner).toBeGreaterThanOrEqual(steps.reduce((a, b) => a + b, 0) - 0.1 * steps.length);
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', publicUrl: 'http://127.0.0.1:4000', dataDir: './.pact', modelProvider: 'offline', databaseUrl: undefined });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid setting PORT \("abc"\): /],
    [{ PORT: '70000' }, /^Invalid setting PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid setting DATABASE_URL \("mysql:\/\/x"\): must be a postgres/],
    [{ REDIS_URL: 'http://x' }, /^Invalid setting REDIS_URL/],
    [{ PACT_MASTER_KEY: 'short' }, /^Invalid setting PACT_MASTER_KEY: must be 32 bytes/],
    [{ PACT_MODEL_PROVIDER: 'gpt' }, /^Invalid setting PACT_MODEL_PROVIDER/],
    [{ PACT_MODEL_PROVIDER: 'anthropic' }, /^Invalid setting PACT_MODEL_PROVIDER \("anthropic"\): set ANTHROPIC_API_KEY too, or use offline$/],
    [{ PACT_MODEL_PROVIDER: 'openai', ANTHROPIC_API_KEY: 'x' }, /^Invalid setting PACT_MODEL_PROVIDER \("openai"\): set OPENAI_API_KEY too/],
    [{ PACT_MODEL_TIMEOUT_MS: '5' }, /^Invalid setting PACT_MODEL_TIMEOUT_MS/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid setting LOG_LEVEL/],
    [{ PACT_RATE_LIMIT_FIELDS: 'contacts=0' }, /^Invalid setting PACT_RATE_LIMIT_FIELDS \("contacts=0"\): must be root fields with calls per minute/],
    [{ PACT_RATE_LIMIT_FIELDS: 'contacts=60,query_contacts 60' }, /^Invalid setting PACT_RATE_LIMIT_FIELDS .*not "query_contacts 60"$/],
  ])('refuses %j with one clear line', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads per-field rate limits, and none by default', () => {
    expect(loadConfig({}).limits).toEqual({ tenantPerMin: 1200, operationPerMin: 600, fieldPerMin: {} });
    expect(loadConfig({ PACT_RATE_LIMIT_FIELDS: ' contacts=1200, fireAgent=30 ' }).limits.fieldPerMin).toEqual({ contacts: 1200, fireAgent: 30 });
  });

  it('accepts a hex or base64 master key and never echoes it', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ PACT_MASTER_KEY: hex }).masterKey?.toString('hex')).toBe(hex);
    expect(loadConfig({ PACT_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') }).masterKey?.toString('hex')).toBe(hex);
  });
});

describe('start', () => {
  it('seeds the demo once, mints a fresh demo key each start, revokes the previous one, and reuses the data (its dates moved to the present)', async () => {
    const first = await startPact(config(), logger, { clock: fixedClock('2026-03-01') });
    let firstKey: string;
    let firstDeal: { id: string; closeDate: string } | undefined;
    try {
      expect(first.seeded).toBe(true);
      expect(first.agedDays).toBe(0);
      expect(first.demoKey).toMatch(/^pact_live_/);
      firstKey = first.demoKey ?? '';
      const counts = await query(first, firstKey, '{ accounts(first: 1) { consentFiltered } deals(first: 1) { consentFiltered } pipelineHealth { openDeals wonDeals lostDeals consentFiltered } }');
      const health = counts.body.data?.pipelineHealth;
      expect(health.openDeals + health.wonDeals + health.lostDeals + health.consentFiltered).toBe(500);
      expect(counts.body.data?.accounts.consentFiltered).toBe(14);
      firstDeal = (await query(first, firstKey, '{ deals(first: 1) { items { id closeDate } } }')).body.data?.deals.items[0];
      const contacts = await query(first, firstKey, '{ contacts(first: 100) { returned consentFiltered } }');
      expect(contacts.body.data?.contacts).toEqual({ returned: 100, consentFiltered: 100 });
      if (!pg) await expect(startPact(config(), logger)).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await first.close();
    }
    // Ten days later: the same data, every date moved forward by ten days.
    const second = await startPact(config(), logger, { clock: fixedClock('2026-03-11') });
    try {
      expect(second.seeded).toBe(false);
      expect(second.agedDays).toBe(10);
      const moved = (await query(second, second.demoKey ?? '', `{ deal(id: "${firstDeal?.id}") { id closeDate } }`)).body.data?.deal;
      expect(moved.closeDate).toBe(new Date(Date.parse(`${firstDeal?.closeDate}T00:00:00Z`) + 10 * 86_400_000).toISOString().slice(0, 10));
      expect(second.demoKey).toMatch(/^pact_live_/);
      expect(second.demoKey).not.toBe(firstKey);
      const old = await query(second, firstKey, '{ viewer { role } }');
      expect(old.status).toBe(401);
      const fresh = await query(second, second.demoKey ?? '', '{ viewer { role tenantSlug } }');
      expect(fresh.body.data?.viewer).toEqual({ role: 'api', tenantSlug: 'demo' });
      const health = (await query(second, second.demoKey ?? '', '{ pipelineHealth { openDeals wonDeals lostDeals consentFiltered } }')).body.data?.pipelineHealth;
      expect(health.openDeals + health.wonDeals + health.lostDeals + health.consentFiltered).toBe(500);
      // The MCP facade, loaded just after the server became ready, answers like the eager one.
      const tools = await fetch(`${second.url}/mcp/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${second.demoKey}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(tools.status).toBe(200);
      expect(await tools.text()).toContain('"query_contacts"');
    } finally {
      await second.close();
    }
  }, 300_000);

  it('`npm run audit:verify` confirms every seal, and names the first broken row after tampering', async () => {
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolveRun) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/verify-audit.ts'], {
          cwd: new URL('../..', import.meta.url),
          env: { ...process.env, PACT_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: pg?.url ?? '' },
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', (code) => resolveRun({ code, out }));
      });
    const good = await run();
    expect(good.out).toMatch(/✓ demo: [1-9]\d* sealed audit row\(s\) in \d+ seal\(s\), intact\n/);
    expect(good.code).toBe(0);
    const { openDatabase } = await import('../../src/db/client');
    const { sql } = await import('drizzle-orm');
    const db = await openDatabase(pg?.url ? { url: pg.url } : { dataDir: join(dir, 'pgdata') });
    await db.withSystem(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`update audit_log set latency_ms = latency_ms + 1
        where id = (select a.id from audit_log a join tenants t on t.id = a.tenant_id where t.slug = 'demo' order by a.seq limit 1)`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    await db.close();
    const bad = await run();
    expect(bad.out).toMatch(/✗ demo: seal 1, row [0-9a-f-]+: row content does not match its MAC/);
    expect(bad.code).toBe(1);
  }, 180_000);

  it('refuses a port in use with a one-line StartError', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const error = await startPact(config({ PORT: port }), logger).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StartError);
      expect((error as Error).message).toBe(`Port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT.`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a master key that cannot unwrap the stored data keys', async () => {
    const error = await startPact(config({ PACT_MASTER_KEY: 'cd'.repeat(32) }), logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(/^PACT_MASTER_KEY does not match/);
  });

  it('refuses an unreachable DATABASE_URL with a one-line StartError that hides the password', async () => {
    const error = await startPact(config({ DATABASE_URL: 'postgres://pact:s3cret@127.0.0.1:1/none' }), logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(/^Cannot connect to DATABASE_URL postgres:\/\/pact:\*\*\*@127\.0\.0\.1:1\/none: /);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('`npm start` reports each slow step of a first start, the true start time, and a demo key whose curl command works; a second start revokes the first key', async () => {
    const cliDir = join(dir, 'cli');
    const cliDb = pg ? await freshDatabase() : null;
    await cliDb?.database.close();
    const env = { PACT_DATA_DIR: cliDir, DATABASE_URL: cliDb?.url ?? '' };
    try {
      const first = await npmStart(env);
      let firstKey: string;
      try {
        const { out } = first;
        const step = String.raw` … (\d+\.\d)s$`;
        if (pg) {
          expect(out).toMatch(new RegExp(`^Connecting to PostgreSQL${step}`, 'm'));
          expect(out).not.toMatch(/Applying/);
        } else {
          expect(out).toMatch(new RegExp(`^Creating the embedded database in ${cliDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${step}`, 'm'));
          expect(out).toMatch(new RegExp(`^Applying ${journalSize} migrations${step}`, 'm'));
        }
        expect(out).toMatch(new RegExp(`^Seeding the demo tenant "demo": 200 accounts, 1,990 contacts, 500 deals, 1,000 activities, 124 consent records${step}`, 'm'));
        expect(out).toMatch(new RegExp(`^Seeding a second tenant "globex": 30 accounts, 200 contacts, 60 deals, 100 activities, 12 consent records${step}`, 'm'));
        expect(out.indexOf('Seeding a second tenant')).toBeLessThan(out.indexOf('Pact is listening'));
        const steps = [...out.matchAll(/ … (\d+\.\d)s$/gm)].map((m) => Number(m[1]));
        // A bundle older than the sources (edited since `npm install`) is rebuilt first, as its own step.
        expect(steps.length).toBe((pg ? 3 : 4) + (/^Building the server \(/m.test(out) ? 1 : 0));
        expectTrueTiming(first, steps);
        expect(out).toContain('Seeded the demo tenant "demo"');
        expect(out).toContain('Demo API key (tenant "demo"):');
        expect(out).not.toMatch(/revoked/);
        // The console's address, printed with the others: it serves the console's page.
        const consoleUrl = /^ {2}Console\s+(http:\/\/\S+\/ui\/) /m.exec(out)?.[1] ?? '';
        expect(consoleUrl).toBe(/GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out)?.[1] + '/ui/');
        expect(out).toMatch(/Console .*auditor@pact\.demo; password pact-demo\)$/m);
        // The app's page once `npm install` built the bundle (200), the page naming `npm run build:console` before (503).
        const page = await fetch(consoleUrl);
        expect(page.headers.get('content-type')).toContain('text/html');
        expect(await page.text()).toMatch(page.status === 200 ? /<div id="root">/ : /npm run build:console/);

        const url = /GraphQL\s+(http:\/\/\S+\/graphql)/.exec(out)?.[1];
        const key = /Bearer (pact_live_[A-Za-z0-9_-]+)/.exec(out)?.[1];
        const body = /-d '(.+)'/.exec(out)?.[1];
        expect(url && key && body).toBeTruthy();
        firstKey = key ?? '';
        const res = await fetch(url ?? '', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
        const json = (await res.json()) as { data: { contacts: { returned: number; consentFiltered: number; note: string; items: { name: string; email: string }[] } } };
        expect(res.status).toBe(200);
        expect(json.data.contacts.returned).toBe(3);
        expect(json.data.contacts.items[0]?.email).toMatch(/@/);
        expect(json.data.contacts.note).toMatch(/^\d+ record\(s\) hidden by consent/);

        // The bundled server's MCP endpoint (loaded on first use), through the official client with the demo key.
        const mcp = new Client({ name: 'start-test', version: '1.0.0' });
        await mcp.connect(new StreamableHTTPClientTransport(new URL(/^ {2}MCP\s+(http:\/\/\S+\/mcp\/)/m.exec(out)?.[1] ?? ''), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
        try {
          expect((await mcp.listTools()).tools).toHaveLength(9);
          const called = await mcp.callTool({ name: 'query_contacts', arguments: { first: 2 } });
          expect(called.isError).toBeFalsy();
          expect(called.structuredContent).toMatchObject({ returned: 2, consent_filtered: json.data.contacts.consentFiltered });
        } finally {
          await mcp.close();
        }
      } finally {
        await first.stop();
      }

      // A source edited since the bundle was built: the next start rebuilds it before anything else.
      const now = new Date();
      utimesSync(new URL('../../src/app/main.ts', import.meta.url), now, now);
      const second = await npmStart(env);
      try {
        const { out } = second;
        expect(out).toMatch(/^Building the server \(src\/app\/main\.ts changed\) … \d+\.\ds\n(Connecting|Opening)/m);
        expect(out).toMatch(pg ? /^Connecting to PostgreSQL … \d+\.\ds$/m : /^Opening the embedded database in .+ … \d+\.\ds$/m);
        expect(out).not.toMatch(/Creating|Applying|Seeding|Seeded/);
        expect(out).toContain('Demo API key (tenant "demo"; the previous demo key is now revoked):');
        expectTrueTiming(second, [...out.matchAll(/ … (\d+\.\d)s$/gm)].map((m) => Number(m[1])));
        const url = /GraphQL\s+(http:\/\/\S+\/graphql)/.exec(out)?.[1] ?? '';
        const old = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${firstKey}`, 'content-type': 'application/json' }, body: '{"query":"{ viewer { role } }"}' });
        expect(old.status).toBe(401);
      } finally {
        await second.stop();
      }
    } finally {
      await cliDb?.drop().catch(() => {});
    }
  }, 600_000);
});
