/**
 * Server CPU per call of read tools over /graphql only (the persisted operation, as bench/tools.ts
 * sends it), one Pact server child, for profiling: with BENCH_CPU_PROF=<dir> the server writes a V8
 * CPU profile there (bench/lib/servers.ts). One tenant of BENCH_THROUGHPUT_CONTACTS contacts (10%
 * hidden) and a fifth as many deals; BENCH_PROFILE_TOOLS (default `query_contacts,query_deals`),
 * BENCH_PROFILE_PATHS (default `graphql`; `mcp` sends the same tool as MCP `tools/call`).
 * Run: `npm run bench:profile` (DATABASE_URL = admin URL of a local PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/lib/logger';
import { createServices } from '../src/services/index';
import { onCleanup, runCleanup } from './lib/cleanup';
import { benchConfig } from './lib/config';
import { createBenchDatabase, vacuumAnalyze } from './lib/database';
import { closeAgent, loadRound, timedCall } from './lib/load';
import { int, ms, step } from './lib/report';
import { createTenant, insertSubjects, loadContacts, mintKey } from './lib/seed';
import { startServer } from './lib/servers';
import { toolCalls } from './lib/tool-paths';
import { CASES, loadDeals } from './tools';

async function main(): Promise<void> {
  const cfg = benchConfig();
  const tools = (process.env.BENCH_PROFILE_TOOLS ?? 'query_contacts,query_deals').split(',');
  const paths = (process.env.BENCH_PROFILE_PATHS ?? 'graphql').split(',');
  for (const path of paths) if (path !== 'graphql' && path !== 'mcp') throw new Error(`BENCH_PROFILE_PATHS: ${path} is neither graphql nor mcp`);
  const db = await createBenchDatabase(cfg.adminUrl, 'pg');
  const finishDb = onCleanup(() => db.finish(cfg.keep));
  try {
    const masterKey = randomBytes(32);
    const services = createServices({ database: db.database, masterKey, logger: createLogger({ level: 'silent' }) });
    const tenant = await createTenant(db.database, services, 'pg', 1000);
    const n = cfg.throughputContacts;
    await insertSubjects(db.sql, services, tenant, n, (i) => i % 10 === 0, 'suppressed', 5_000);
    await loadDeals(db.sql, tenant, Math.max(600, Math.round(n / 20)));
    await loadContacts(db.sql, services, [{ tenant, count: n }]);
    await vacuumAnalyze(db.sql);
    await db.sql`vacuum (analyze) deals`;
    const key = await mintKey(db.database, services, tenant, ['read:contacts', 'read:deals', 'read:accounts']);
    step(`${int(n)} contacts (10% hidden), ${int(Math.max(600, Math.round(n / 20)))} deals`);
    const pact = await startServer('pact', { databaseUrl: db.url, masterKeyHex: masterKey.toString('hex'), tenantId: tenant.id });
    const stop = onCleanup(() => pact.stop());
    for (const [tool, path] of tools.flatMap((t) => paths.map((p) => [t, p] as const))) {
      const c = CASES.find((x) => x.tool === tool);
      if (!c) throw new Error(`no case for ${tool} in bench/tools.ts`);
      const call = toolCalls(key, c)[path as 'graphql' | 'mcp'];
      const first = await timedCall(pact, call);
      if (first.status !== 200 || !(call.okBody?.(first.body) ?? true)) throw new Error(`${tool}: ${first.body.slice(0, 300)}`);
      const r = await loadRound(pact, call, cfg.connections, cfg.warmupSeconds, cfg.durationSeconds);
      const failed = r.non2xx + r.errorBodies + r.errors + r.timeouts;
      step(`${tool} ${path === 'mcp' ? 'MCP' : '/graphql'}: ${int(r.rps)} req/s, p50 ${ms(r.p50, 0)}, p99 ${ms(r.p99, 0)}, ${int(r.cpuPerRequestUs)} µs server CPU/call, failed ${failed}`);
      if (failed > 0) throw new Error(`${tool}: ${failed} failed answers under load`);
    }
    await stop();
  } finally {
    await finishDb();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await runCleanup();
      closeAgent();
    });
}
