/**
 * Throughput of the same first page of 50 visible contacts on three paths, 50 concurrent
 * connections, median of 3 rounds: Pact's MCP endpoint (`tools/call` of `query_contacts`), the same
 * persisted operation over Pact's /graphql (every guarantee the server has on, on both), and a bare
 * node:http → postgres.js server.
 * Run alone: `npm run bench:throughput` (DATABASE_URL = admin URL of a local PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/lib/logger';
import { createServices } from '../src/services/index';
import { onCleanup, runCleanup } from './lib/cleanup';
import { benchConfig, type BenchConfig } from './lib/config';
import { createBenchDatabase, vacuumAnalyze, type Sql } from './lib/database';
import { perRequest, sampleActivity, snapshot, type ActivityProfile, type PerRequest } from './lib/dbstats';
import { explainAsTenant, explainRaw, filteredHiddenCountStatement, hiddenCountStatement, pactPageStatement, planAccessPaths, planTime, printPlan } from './lib/explain';
import { closeAgent, loadRound, median, timedCall, type HttpCall, type LoadRound } from './lib/load';
import { FILTER_SEARCH } from './lib/pact-query';
import { checkPath, contactsTool, MCP_TOOL, PATH_LABEL, pathCalls, SERVER_OF, type PathKind } from './lib/paths';
import { BARE_PAGE_SQL, type ServerKind } from './lib/protocol';
import { environmentLine, heading, int, ms, ratio, seconds, step, table, verdict } from './lib/report';
import { createTenant, insertSubjects, loadContacts, mintKey } from './lib/seed';
import { startPgProxy } from './lib/pg-proxy';
import { startServer, type RunningServer, type ServerOptions } from './lib/servers';

// PERFORMANCE.md targets this benchmark reports against.
/** 1. MCP ≥ 0.4× the bare path's throughput. */
export const TARGET_RATIO = 0.4;
/** 2. MCP ≥ 1.0× the GraphQL path's throughput for the same persisted operation. */
export const TARGET_MCP_GRAPHQL_RATIO = 1.0;
/** 4. p99 < 100 ms at 50 connections for every read tool. */
export const TARGET_P99_MS = 100;

export const PATHS: readonly PathKind[] = ['mcp', 'graphql', 'bare'];

export interface ThroughputSummary {
  contacts: number;
  hidden: number;
  loadMs: number;
  /** Median of the rounds per path (counts of requests and failures summed over the rounds). */
  paths: Record<PathKind, LoadRound>;
  /** MCP / bare (target 1). */
  mcpBare: number;
  /** MCP / GraphQL (target 2). */
  mcpGraphql: number;
  /** GraphQL / bare. */
  graphqlBare: number;
  /** Failed answers over all measured rounds of all paths (non-2xx, error bodies, socket errors, timeouts). */
  failures: number;
  /** The tool's root field's own @rateLimit, and what a Pact server with it kept answered (null in smoke mode). */
  shippedToolLimit: { perMin: number; calls: number; ok: number; rateLimited: number } | null;
  pageAccess: string[];
  pagePlanTime: string;
  /** Null in smoke mode (each path needs a fresh server behind the counting proxy). */
  perRequest: Record<PathKind, PerRequest> | null;
}

/**
 * DB work per request: a fresh server for `kind` connected through a statement-counting proxy serves
 * `n` sequential requests (every answer checked); pg_stat counters are read before and after (the
 * server is stopped first, so its backends flush their statistics).
 */
async function measurePerRequest(sql: Sql, kind: PathKind, options: ServerOptions, call: HttpCall, n: number, hidden: number): Promise<PerRequest> {
  const proxy = await startPgProxy(options.databaseUrl);
  const server = await startServer(SERVER_OF[kind], { ...options, databaseUrl: proxy.url });
  const checked = async () => {
    const r = await timedCall(server, call);
    checkPath(kind, r.status, r.body, hidden);
  };
  try {
    for (let i = 0; i < 20; i += 1) await checked();
    const before = await snapshot(sql);
    const s0 = proxy.statements();
    const f0 = proxy.flights();
    for (let i = 0; i < n; i += 1) await checked();
    const statements = proxy.statements() - s0;
    const flights = proxy.flights() - f0;
    await server.stop();
    const after = await snapshot(sql, 1_000);
    return perRequest(before, after, n, statements, flights);
  } finally {
    await server.stop();
    await proxy.close();
  }
}

/**
 * What the MCP path answers with its root field's own per-minute limit as shipped: a fresh Pact server
 * (BENCH_TOOL_LIMITS=shipped) gets `calls` sequential tool calls; counts answers and HTTP 429s.
 */
async function probeShippedToolLimit(options: ServerOptions, call: HttpCall, calls: number, hidden: number): Promise<{ ok: number; rateLimited: number; firstRefusal: string | null }> {
  const server = await startServer('pact', { ...options, toolLimits: 'shipped' });
  let ok = 0;
  let rateLimited = 0;
  let firstRefusal: string | null = null;
  try {
    for (let i = 0; i < calls; i += 1) {
      const r = await timedCall(server, call);
      if (r.status === 429) {
        rateLimited += 1;
        firstRefusal ??= r.body.slice(0, 300);
      } else {
        checkPath('mcp', r.status, r.body, hidden);
        ok += 1;
      }
    }
    return { ok, rateLimited, firstRefusal };
  } finally {
    await server.stop();
  }
}

export function printPerRequest(perReq: Record<string, PerRequest>): void {
  const rows: (string | number)[][] = [];
  for (const [kind, p] of Object.entries(perReq)) {
    rows.push([kind, `${p.statements.toFixed(1)} statements in ${p.roundTrips.toFixed(1)} round trips, ${p.transactions.toFixed(2)} transactions`, '', '', '']);
    for (const t of p.tables) rows.push(['', t.table, (t.seqScans + t.idxScans).toFixed(2), t.inserts.toFixed(2), t.updates.toFixed(2)]);
  }
  console.log(table(['path', 'per request', 'scans (incl. loop probes)', 'inserts', 'updates'], rows));
}

function printActivity(activity: Record<PathKind, ActivityProfile[]>): void {
  const rows: (string | number)[][] = [];
  for (const [kind, profiles] of Object.entries(activity)) {
    const states = new Map<string, number>();
    for (const p of profiles) for (const s of p.states) states.set(s.state, (states.get(s.state) ?? 0) + s.backends / profiles.length);
    for (const [state, backends] of [...states].sort((a, b) => b[1] - a[1])) rows.push([kind, state, backends.toFixed(2)]);
  }
  console.log(table(['path', 'backend state', 'avg backends'], rows));
}

const failuresOf = (r: LoadRound): number => r.non2xx + r.errorBodies + r.errors + r.timeouts;

export async function runThroughput(cfg: BenchConfig = benchConfig()): Promise<ThroughputSummary> {
  heading(`Throughput: Pact MCP vs Pact /graphql vs bare node:http → postgres.js (${cfg.connections} connections, ${cfg.rounds} × ${cfg.durationSeconds} s)`);
  const db = await createBenchDatabase(cfg.adminUrl, 'tp');
  const finishDb = onCleanup(() => db.finish(cfg.keep));
  try {
    const [version] = await db.sql<{ v: string }[]>`select version() as v`;
    console.log(`  ${await environmentLine(version?.v ?? '?')}`);
    step(`database ${db.name}`);
    const masterKey = randomBytes(32);
    if (cfg.keep) step(`BENCH_KEEP=1: start Pact on the kept database with DATABASE_URL=${db.url} PACT_MASTER_KEY=${masterKey.toString('hex')}`);
    const services = createServices({ database: db.database, masterKey, logger: createLogger({ level: 'silent' }) });
    const bench = await createTenant(db.database, services, 'tp', 1000);
    const other = await createTenant(db.database, services, 'tpother', 100);
    const n = cfg.throughputContacts;
    const otherN = Math.round(n / 5);

    const subjects = await insertSubjects(db.sql, services, bench, n, (i) => i % 10 === 0, 'suppressed', 5_000);
    step(`${int(subjects.subjects)} suppressed e-mail subjects (10%) inserted before the contacts in ${seconds(subjects.ms)}`);
    const loadMs = await loadContacts(db.sql, services, [
      { tenant: bench, count: n },
      { tenant: other, count: otherN },
    ]);
    step(`${int(n + otherN)} sealed contacts loaded with COPY (${int(n)} in the measured tenant, ${int(otherN)} in a second tenant, interleaved) in ${seconds(loadMs)} (${int(((n + otherN) / loadMs) * 1000)} rows/s)`);
    const vacuumMs = await vacuumAnalyze(db.sql);
    step(`VACUUM (ANALYZE) in ${seconds(vacuumMs)}`);
    const [counts] = await db.sql<{ hidden: string; total: string; maintained: string }[]>`
      select count(*) filter (where consent_hidden)::text as hidden, count(*)::text as total,
             (select hidden::text from consent_counts where tenant_id = ${bench.id} and list = 'contacts') as maintained
      from contacts where tenant_id = ${bench.id}`;
    const hidden = Number(counts?.hidden ?? 0);
    step(`measured tenant: ${int(Number(counts?.total))} contacts, ${int(hidden)} hidden by consent (consent_counts says ${counts?.maintained ?? 'nothing'})`);
    if (hidden !== n / 10 || Number(counts?.maintained) !== hidden) throw new Error('hidden counts do not match the 10% loaded');

    const apiKey = await mintKey(db.database, services, bench, ['read:contacts']);
    const options: ServerOptions = { databaseUrl: db.url, masterKeyHex: masterKey.toString('hex'), tenantId: bench.id };
    const tool = contactsTool();
    const rateLimit = process.env.BENCH_RATE_LIMIT ?? '1000000';
    step(
      `persisted operation ${tool.hash.slice(0, 19)}… (tool ${MCP_TOOL}), variables { first: 50 }; rate limits on, raised to ${rateLimit}/min per tenant and per operation` +
        (process.env.BENCH_TOOL_LIMITS === 'shipped'
          ? `; BENCH_TOOL_LIMITS=shipped: the root field's own @rateLimit (${tool.rateLimitPerMin}/min, shared by MCP and /graphql) is kept, so calls beyond it are answered 429`
          : `; the root field's own @rateLimit (${tool.rateLimitPerMin}/min) is raised too, with PACT_RATE_LIMIT_FIELDS (BENCH_TOOL_LIMITS=shipped keeps it)`),
    );
    const servers: Record<ServerKind, RunningServer> = {
      pact: await startServer('pact', options),
      bare: await startServer('bare', options),
    };
    const stopServers = onCleanup(async () => {
      await Promise.all(Object.values(servers).map((s) => s.stop()));
    });
    const calls = pathCalls(apiKey);
    step(`servers: Pact ${servers.pact.url} (pid ${servers.pact.pid}; serves /mcp/ and /graphql), bare ${servers.bare.url} (pid ${servers.bare.pid}); load generator: autocannon in this process`);

    const answers = {} as Record<PathKind, { ids: string[]; bytes: number }>;
    for (const kind of PATHS) {
      const r = await timedCall(servers[SERVER_OF[kind]], calls[kind]);
      answers[kind] = { ids: checkPath(kind, r.status, r.body, hidden), bytes: Buffer.byteLength(r.body) };
    }
    for (const kind of PATHS) {
      if (answers[kind].ids.join() !== answers.bare.ids.join()) throw new Error(`${PATH_LABEL[kind]} and the bare server returned different first pages`);
    }
    step(
      `all three serve the same 50 ids (MCP structuredContent.items, /graphql data.contacts.items, bare items; MCP and /graphql: consent_filtered ${int(hidden)}, PII decrypted); ` +
        `response ${int(answers.mcp.bytes)} B MCP, ${int(answers.graphql.bytes)} B /graphql, ${int(answers.bare.bytes)} B bare`,
    );

    const rounds: Record<PathKind, LoadRound[]> = { mcp: [], graphql: [], bare: [] };
    const activity: Record<PathKind, ActivityProfile[]> = { mcp: [], graphql: [], bare: [] };
    const appName: Record<ServerKind, string> = { pact: 'pact', bare: 'pact-bench-bare' };
    for (let r = 0; r < cfg.rounds; r += 1) {
      // Rotate the order, so each path runs first, second and third once in three rounds.
      const order = PATHS.map((_, i) => PATHS[(i + r) % PATHS.length] as PathKind);
      for (const kind of order) {
        const server = servers[SERVER_OF[kind]];
        const round = await loadRound(server, calls[kind], cfg.connections, cfg.warmupSeconds, cfg.durationSeconds, () => {
          const sampler = sampleActivity(db.sql, appName[SERVER_OF[kind]]);
          return async () => {
            activity[kind].push(await sampler.stop());
          };
        });
        rounds[kind].push(round);
        step(
          `round ${r + 1} ${kind.padEnd(7)}: ${int(round.rps)} req/s, p50 ${ms(round.p50, 0)}, p99 ${ms(round.p99, 0)}, ${int(round.cpuPerRequestUs)} µs CPU/req, RSS ${int(round.rssMiB)} MiB; ` +
            `${int(round.requests)} requests, failed: ${round.non2xx} non-2xx, ${round.errorBodies} error bodies, ${round.errors} socket errors, ${round.timeouts} timeouts` +
            (failuresOf(round) ? '  (!)' : ''),
        );
      }
    }

    const pick = (kind: PathKind): LoadRound => ({
      rps: median(rounds[kind].map((x) => x.rps)),
      p50: median(rounds[kind].map((x) => x.p50)),
      p99: median(rounds[kind].map((x) => x.p99)),
      requests: rounds[kind].reduce((a, x) => a + x.requests, 0),
      non2xx: rounds[kind].reduce((a, x) => a + x.non2xx, 0),
      errorBodies: rounds[kind].reduce((a, x) => a + x.errorBodies, 0),
      errors: rounds[kind].reduce((a, x) => a + x.errors, 0),
      timeouts: rounds[kind].reduce((a, x) => a + x.timeouts, 0),
      cpuPerRequestUs: median(rounds[kind].map((x) => x.cpuPerRequestUs)),
      rssMiB: Math.max(...rounds[kind].map((x) => x.rssMiB)),
    });
    const paths: Record<PathKind, LoadRound> = { mcp: pick('mcp'), graphql: pick('graphql'), bare: pick('bare') };
    const { mcp, graphql, bare } = paths;
    const mcpBare = mcp.rps / bare.rps;
    const mcpGraphql = mcp.rps / graphql.rps;
    const graphqlBare = graphql.rps / bare.rps;
    const failures = PATHS.reduce((a, k) => a + failuresOf(paths[k]), 0);

    console.log(`\n  Results (median of ${cfg.rounds} rounds; req/s counts only correct answers; latency of 2xx answers from autocannon, 1 ms resolution)`);
    console.log(
      table(
        ['path', 'req/s', 'p50', 'p99', 'server CPU/req', 'requests', 'non-2xx', 'error bodies', 'socket errors+timeouts', 'max RSS'],
        PATHS.map((kind) => {
          const p = paths[kind];
          return [PATH_LABEL[kind], int(p.rps), ms(p.p50, 0), ms(p.p99, 0), `${int(p.cpuPerRequestUs)} µs`, int(p.requests), int(p.non2xx), int(p.errorBodies), int(p.errors + p.timeouts), `${int(p.rssMiB)} MiB`];
        }),
      ),
    );
    console.log(
      table(
        ['target (PERFORMANCE.md)', 'measured', 'goal', 'verdict'],
        [
          ['1. MCP / bare throughput', ratio(mcpBare), `≥ ${TARGET_RATIO}×`, verdict(mcpBare >= TARGET_RATIO)],
          ['2. MCP / GraphQL throughput (same persisted operation)', ratio(mcpGraphql), `≥ ${TARGET_MCP_GRAPHQL_RATIO.toFixed(1)}×`, verdict(mcpGraphql >= TARGET_MCP_GRAPHQL_RATIO)],
          ['4. MCP p99 at 50 connections', ms(mcp.p99, 0), `< ${TARGET_P99_MS} ms`, verdict(mcp.p99 < TARGET_P99_MS)],
          ['   GraphQL p99 at 50 connections', ms(graphql.p99, 0), `< ${TARGET_P99_MS} ms`, verdict(graphql.p99 < TARGET_P99_MS)],
          ['   GraphQL / bare throughput (for reference)', ratio(graphqlBare), '', ''],
          ['   failed answers during the measured rounds', int(failures), '0', failures === 0 ? 'ok' : 'FAILED ANSWERS'],
        ],
      ),
    );

    // After the load (and after the tables, so a failure here still shows them): both Pact paths still answer correctly.
    for (const kind of ['mcp', 'graphql'] as const) {
      const after = await timedCall(servers.pact, calls[kind]);
      checkPath(kind, after.status, after.body, hidden);
    }

    console.log("\n  What the pool's PostgreSQL backends were doing under load (pg_stat_activity every 50 ms, average backends per state)");
    printActivity(activity);

    let perReq: Record<PathKind, PerRequest> | null = null;
    if (cfg.smoke) {
      step('smoke mode: the per-request statement counts and the shipped tool-limit probe (each on fresh servers) are skipped');
    } else {
      console.log(`\n  Database work per request (${cfg.perRequestSamples} sequential requests, each answer checked, to a fresh server behind a statement-counting proxy; pg_stat_user_tables deltas)`);
      perReq = {
        mcp: await measurePerRequest(db.sql, 'mcp', options, calls.mcp, cfg.perRequestSamples, hidden),
        graphql: await measurePerRequest(db.sql, 'graphql', options, calls.graphql, cfg.perRequestSamples, hidden),
        bare: await measurePerRequest(db.sql, 'bare', options, calls.bare, cfg.perRequestSamples, hidden),
      };
      printPerRequest(perReq);
    }

    let shippedToolLimit: ThroughputSummary['shippedToolLimit'] = null;
    if (!cfg.smoke) {
      const probeCalls = tool.rateLimitPerMin + 20;
      const probe = await probeShippedToolLimit(options, calls.mcp, probeCalls, hidden);
      shippedToolLimit = { perMin: tool.rateLimitPerMin, calls: probeCalls, ...probe };
      console.log(
        `\n  With the root field's own limit as shipped (@rateLimit(perMin: ${tool.rateLimitPerMin}), shared by MCP and /graphql; PACT_RATE_LIMIT_OPERATION_PER_MIN does not override it), ` +
          `${probeCalls} sequential ${MCP_TOOL} calls on a fresh Pact server: ${probe.ok} answered, ${probe.rateLimited} HTTP 429` +
          (probe.firstRefusal ? `\n    first refusal: ${probe.firstRefusal}` : ''),
      );
    }

    const page = pactPageStatement(bench.id);
    const pagePlan = await explainAsTenant(db.sql, bench.id, page);
    printPlan(`${page.label}, as pact_app with RLS, tenant bound`, pagePlan);
    console.log(`    SQL: ${page.sql}`);
    const countPlan = await explainAsTenant(db.sql, bench.id, hiddenCountStatement(bench.id));
    printPlan(hiddenCountStatement(bench.id).label, countPlan);
    const filteredPlan = await explainAsTenant(db.sql, bench.id, filteredHiddenCountStatement(bench.id, FILTER_SEARCH));
    printPlan(filteredHiddenCountStatement(bench.id, FILTER_SEARCH).label, filteredPlan);
    const barePlan = await explainRaw(db.sql, BARE_PAGE_SQL, [bench.id]);
    printPlan('bare page query (owner role, no RLS)', barePlan);
    console.log(
      table(
        ['statement', 'access paths', 'execution'],
        [
          ['Pact page', planAccessPaths(pagePlan).join('; '), planTime(pagePlan)],
          ['hidden count (unfiltered)', planAccessPaths(countPlan).join('; '), planTime(countPlan)],
          ['hidden count (filtered form)', planAccessPaths(filteredPlan).join('; '), planTime(filteredPlan)],
          ['bare page', planAccessPaths(barePlan).join('; '), planTime(barePlan)],
        ],
      ),
    );

    await stopServers();
    return {
      contacts: n,
      hidden,
      loadMs,
      paths,
      mcpBare,
      mcpGraphql,
      graphqlBare,
      failures,
      shippedToolLimit,
      pageAccess: planAccessPaths(pagePlan),
      pagePlanTime: planTime(pagePlan),
      perRequest: perReq,
    };
  } finally {
    await finishDb();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runThroughput()
    .then((summary) => {
      if (summary.failures > 0) {
        console.error(`\n  ${summary.failures} failed answers during the measured rounds (see the table above).`);
        process.exitCode = 1;
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await runCleanup();
      closeAgent();
    });
}
