/**
 * Persisted operations prepared at start vs not: server CPU per call of the same persisted
 * operations, run one at a time in this process on three GraphQL servers over one database —
 * `unprepared` (parsed and validated per call, yoga's caches only), `prepared` (parsed and
 * validated at start, graphql-js execute), `compiled` (the default: prepared and compiled by
 * graphql-jit) — on the MCP path (`runOperation`, as a tool call) and the /graphql handler
 * (`yoga.fetch`, no socket). The modes are interleaved round by round; every mode's answers must
 * equal the others'. `BENCH_CPU_PROF=<dir>` also writes one V8 CPU profile per mode and prints
 * where its time went. Run alone: `npm run bench:prepared`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, type DocumentNode, type ExecutionResult } from 'graphql';
import { persistedOperations } from '../src/graphql/persisted';
import { createLogger } from '../src/lib/logger';
import { mcpTools } from '../src/mcp/generated/tools';
import { runOperation } from '../src/pipeline/run-operation';
import { authenticateRequest } from '../src/pipeline/credentials';
import { createPactYoga, type PactYoga, type YogaOptions } from '../src/pipeline/yoga';
import { newCall } from '../src/services/audit/call';
import { createServices, type Services } from '../src/services/index';
import { onCleanup, runCleanup } from './lib/cleanup';
import { benchConfig, type BenchConfig } from './lib/config';
import { createBenchDatabase, vacuumAnalyze } from './lib/database';
import { environmentLine, heading, int, ratio, seconds, step, table } from './lib/report';
import { createTenant, insertSubjects, loadContacts, mintKey } from './lib/seed';
import { loadDeals } from './tools';

type Mode = NonNullable<YogaOptions['persisted']>;
const MODES: Mode[] = ['unprepared', 'prepared', 'compiled'];
type Path = 'mcp' | 'graphql';
const PATHS: Path[] = ['mcp', 'graphql'];

/** Every rate limit, raised out of the way (each call is still counted). */
const HIGH = 1_000_000_000;

const CASES = [
  { tool: 'query_contacts', args: { first: 50 } },
  { tool: 'query_deals', args: {} },
  { tool: 'query_pipeline_health', args: {} },
];

export interface PreparedSummary {
  /** Server CPU per call, µs, by tool, path and mode. */
  cpuUs: Record<string, Record<Path, Record<Mode, number>>>;
}

const positive = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

interface Runner {
  call(): Promise<unknown>;
}

function runners(yoga: PactYoga, services: Services, apiKey: string, principal: Awaited<ReturnType<typeof authenticateRequest>>, tool: string, args: Record<string, unknown>): Record<Path, Runner> {
  const definition = mcpTools.find((t) => t.name === tool);
  const source = definition ? persistedOperations()[definition.hash] : undefined;
  if (!definition || !source) throw new Error(`no persisted operation for ${tool}`);
  // The facade parses each tool's document once at start; so does this.
  const document = parseOnce(source);
  return {
    mcp: {
      async call() {
        const call = newCall(principal, 'mcp');
        const result: ExecutionResult = await runOperation(yoga, services, call, document, args);
        if (result.errors?.length) throw new Error(`${tool} (mcp): ${JSON.stringify(result.errors)}`);
        return result.data;
      },
    },
    graphql: {
      async call() {
        const res = await yoga.fetch('http://127.0.0.1/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ query: source, variables: args }),
        });
        const body = (await res.json()) as ExecutionResult;
        if (res.status !== 200 || body.errors?.length) throw new Error(`${tool} (graphql): ${res.status} ${JSON.stringify(body.errors)}`);
        return body.data;
      },
    },
  };
}

const parsed = new Map<string, DocumentNode>();
const parseOnce = (source: string) => {
  let document = parsed.get(source);
  if (!document) parsed.set(source, (document = parse(source)));
  return document;
};

/** An answer less its cursors, which are sealed afresh on every call. */
const comparable = (data: unknown): unknown => JSON.parse(JSON.stringify(data), (key, value: unknown) => (key === 'next_cursor' && typeof value === 'string' ? '<cursor>' : value));

/** Runs `n` calls one after another; returns the process CPU (user + system) and wall time they took, µs. */
async function timed(runner: Runner, n: number): Promise<{ cpu: number; wall: number }> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i += 1) await runner.call();
  const used = process.cpuUsage(cpu);
  return { cpu: used.user + used.system, wall: (performance.now() - wall) * 1000 };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; scriptId: string | number };
  hitCount?: number;
  children?: number[];
}

/** By a sample's function: `generated` is code with no file (graphql-jit's compiled queries); natives have script 0. */
const CATEGORIES: [string, (url: string, fn: string, generated: boolean) => boolean][] = [
  ['garbage collector', (_, fn) => fn === '(garbage collector)'],
  ['graphql-js', (url) => url.includes('/node_modules/graphql/')],
  ['graphql-jit (and the code it generated)', (url, _, generated) => url.includes('/graphql-jit/') || generated],
  ['envelop + yoga + whatwg-node', (url) => /\/(@envelop|graphql-yoga|@whatwg-node|@graphql-tools)\//.test(url)],
  ['GraphQL Armor', (url) => url.includes('/graphql-armor')],
  ['drizzle-orm', (url) => url.includes('/drizzle-orm/')],
  ['postgres.js', (url) => url.includes('/node_modules/postgres/')],
  ['Pact (src/)', (url) => url.includes('/src/')],
];

/** Where the busy (non-idle) samples of a profile went, by library, and the functions with the most self time. */
function profileSummary(profile: { nodes: ProfileNode[]; samples?: number[] }): { busy: number; top: string[]; shares: Record<string, number> } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples ?? []) {
    const node = byNode.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busy += 1;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
    const generated = url === '' && String(node.callFrame.scriptId) !== '0';
    const category = CATEGORIES.find(([, match]) => match(url, functionName, generated))?.[0] ?? 'other (node internals, crypto, socket writes)';
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  const pct = (n: number) => (n / Math.max(1, busy)) * 100;
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, hits]) => `${pct(hits).toFixed(1)}% ${name}`);
  return { busy, top, shares: Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v)])) };
}

export async function runPrepared(cfg: BenchConfig = benchConfig()): Promise<PreparedSummary> {
  const calls = positive('BENCH_PREPARED_CALLS', cfg.smoke ? 20 : 500);
  const rounds = cfg.smoke ? 1 : cfg.rounds;
  const contacts = positive('BENCH_PREPARED_CONTACTS', cfg.smoke ? 2_000 : 20_000);
  heading(`Persisted operations unprepared vs prepared vs compiled: server CPU per call, in process, one call at a time (${int(calls)} calls × ${rounds} rounds per mode)`);
  const db = await createBenchDatabase(cfg.adminUrl, 'pp');
  let services: Services | null = null;
  const finishDb = onCleanup(async () => {
    await services?.close();
    await db.finish(cfg.keep);
  });
  try {
    const [version] = await db.sql<{ v: string }[]>`select version() as v`;
    console.log(`  ${await environmentLine(version?.v ?? '?')}`);
    const masterKey = randomBytes(32);
    const svc = createServices({
      database: db.database,
      masterKey,
      logger: createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
      limits: { tenantPerMin: HIGH, operationPerMin: HIGH, fieldPerMin: Object.fromEntries(mcpTools.map((t) => [t.rootField, HIGH])) },
    });
    services = svc;
    const tenant = await createTenant(db.database, svc, 'pp', 200);
    await insertSubjects(db.sql, svc, tenant, contacts, (i) => i % 10 === 0, 'suppressed', 5_000);
    await loadDeals(db.sql, tenant, Math.max(600, Math.round(contacts / 5)));
    const loadMs = await loadContacts(db.sql, svc, [{ tenant, count: contacts }]);
    await vacuumAnalyze(db.sql);
    await db.sql`vacuum (analyze) deals`;
    step(`${int(contacts)} sealed contacts (10% hidden), ${int(Math.max(600, Math.round(contacts / 5)))} deals, in ${seconds(loadMs)}`);
    const apiKey = await mintKey(db.database, svc, tenant, ['read:contacts', 'read:deals', 'read:accounts']);
    const principal = await authenticateRequest(svc, new Request('http://127.0.0.1/mcp', { headers: { authorization: `Bearer ${apiKey}` } }), 'mcp', new Set());
    const yogas = Object.fromEntries(MODES.map((mode) => [mode, createPactYoga({ services: svc, audiences: new Set(), production: true, persisted: mode })])) as Record<Mode, PactYoga>;

    const cpuUs: PreparedSummary['cpuUs'] = {};
    const profiles = process.env.BENCH_CPU_PROF;
    const rows: (string | number)[][] = [];
    for (const c of CASES) {
      const byMode = Object.fromEntries(MODES.map((mode) => [mode, runners(yogas[mode], svc, apiKey, principal, c.tool, c.args)])) as Record<Mode, Record<Path, Runner>>;
      for (const path of PATHS) {
        const answers: unknown[] = [];
        for (const mode of MODES) answers.push(comparable(await byMode[mode][path].call()));
        if (!answers.every((a) => isDeepStrictEqual(a, answers[0]))) throw new Error(`${c.tool} (${path}): the modes answered differently: ${JSON.stringify(answers).slice(0, 2000)}`);
        const totals = Object.fromEntries(MODES.map((m) => [m, { cpu: 0, wall: 0 }])) as Record<Mode, { cpu: number; wall: number }>;
        for (const mode of MODES) await timed(byMode[mode][path], cfg.smoke ? 2 : Math.min(100, calls));
        for (let r = 0; r < rounds; r += 1) {
          for (const mode of MODES) {
            const t = await timed(byMode[mode][path], calls);
            totals[mode].cpu += t.cpu;
            totals[mode].wall += t.wall;
          }
        }
        const per = (mode: Mode) => totals[mode].cpu / (calls * rounds);
        const wallPer = (mode: Mode) => totals[mode].wall / (calls * rounds);
        ((cpuUs[c.tool] ??= {} as Record<Path, Record<Mode, number>>)[path] = Object.fromEntries(MODES.map((m) => [m, per(m)])) as Record<Mode, number>);
        rows.push([
          `${c.tool} (${path === 'mcp' ? 'MCP path, runOperation' : '/graphql handler, yoga.fetch'})`,
          MODES.map((m) => int(per(m))).join(' / '),
          MODES.map((m) => int(wallPer(m))).join(' / '),
          ratio(per('compiled') / per('unprepared')),
        ]);
        if (profiles && path === 'mcp' && c.tool === 'query_contacts') {
          await mkdir(profiles, { recursive: true });
          for (const mode of MODES) {
            const session = new Session();
            session.connect();
            await session.post('Profiler.enable');
            await session.post('Profiler.setSamplingInterval', { interval: 100 });
            await session.post('Profiler.start');
            await timed(byMode[mode][path], calls);
            const { profile } = await session.post('Profiler.stop');
            session.disconnect();
            const file = join(profiles, `prepared-${c.tool}-${mode}.cpuprofile`);
            await writeFile(file, JSON.stringify(profile));
            const summary = profileSummary(profile as unknown as { nodes: ProfileNode[]; samples?: number[] });
            step(`profile ${mode} (${file}), ${int(summary.busy)} busy samples: ${Object.entries(summary.shares).map(([k, v]) => `${k} ${v.toFixed(1)}%`).join(', ')}`);
            step(`    most self time: ${summary.top.join('; ')}`);
          }
        }
      }
    }
    console.log(table(['persisted operation (path)', 'CPU µs/call unprepared / prepared / compiled', 'wall µs/call (same order)', 'compiled / unprepared CPU'], rows));
    return { cpuUs };
  } finally {
    await finishDb();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runPrepared()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => runCleanup());
}
