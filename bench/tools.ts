/**
 * Read tools on three paths each — MCP `tools/call`, the same persisted operation over /graphql, and
 * a bare node:http → postgres.js route running equivalent SQL with no guarantees — for
 * `query_contacts`, `query_deals`, `query_pipeline_health` and `ask_workspace` (offline provider),
 * and the same MCP load on one tenant vs spread over four tenants.
 * Run alone: `npm run bench:tools` (DATABASE_URL = admin URL of a local PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/lib/logger';
import { createServices } from '../src/services/index';
import { onCleanup, runCleanup } from './lib/cleanup';
import { benchConfig, type BenchConfig } from './lib/config';
import { createBenchDatabase, vacuumAnalyze, type Sql } from './lib/database';
import { closeAgent, loadRound, timedCall, type LoadRound } from './lib/load';
import { environmentLine, heading, int, ms, ratio, seconds, step, table, verdict } from './lib/report';
import { createTenant, insertSubjects, loadContacts, mintKey, type BenchTenant } from './lib/seed';
import { startServer, type RunningServer } from './lib/servers';
import { checkToolAnswers, toolCalls, type ToolCase, type ToolCalls } from './lib/tool-paths';

// Targets (issue 12, item 8), printed beside the figures.
export const TARGET_MCP_BARE = 0.4;
export const MILESTONE_MCP_BARE = 0.2;
export const TARGET_MCP_GRAPHQL = 1.0;
export const TARGET_P99_MS = 100;
export const TARGET_CPU_US = 1_500;
export const TARGET_TENANTS = 0.9;

export const CASES: ToolCase[] = [
  { tool: 'query_contacts', args: { first: 50 }, barePath: '/contacts' },
  { tool: 'query_deals', args: {}, barePath: '/deals' },
  { tool: 'query_pipeline_health', args: {}, barePath: '/pipeline' },
  { tool: 'ask_workspace', args: { question: 'Which deals are in negotiation?' }, barePath: '/ask', volatile: ['run_id'] },
];

type Path = 'mcp' | 'graphql' | 'bare';
const PATHS: Path[] = ['mcp', 'graphql', 'bare'];

export interface ToolResult {
  tool: string;
  rounds: Record<Path, LoadRound>;
}

export interface ToolsSummary {
  tools: ToolResult[];
  oneTenantRps: number;
  fourTenantsRps: number;
  failures: number;
}

const STAGES = ['prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'];

/** `n` deals over the tenant's accounts, all stages; then every 10th account's domain suppressed (its deals hidden by the triggers). */
export async function loadDeals(sql: Sql, tenant: BenchTenant, n: number): Promise<void> {
  await sql`
    insert into deals (id, tenant_id, account_id, owner_id, name, stage, amount_cents, probability, close_date)
    select gen_random_uuid(), ${tenant.id}::uuid, (${tenant.accountIds}::uuid[])[1 + i % ${tenant.accountIds.length}], ${tenant.ownerId}::uuid,
           'Deal ' || i, (${STAGES}::text[])[1 + i % 6]::deal_stage, 1000 + (i * 7919) % 10000000,
           (array[10, 25, 50, 75, 100, 0])[1 + i % 6], date '2027-01-01' + (i % 365)
    from generate_series(0, ${n - 1}) as i`;
  await sql`
    insert into consent_subjects (id, tenant_id, kind, subject_key, status)
    select gen_random_uuid(), tenant_id, 'domain', domain, 'suppressed'
    from (select tenant_id, domain, row_number() over (order by id) as r from accounts where tenant_id = ${tenant.id}) a where r % 10 = 0`;
}

const failuresOf = (r: LoadRound): number => r.non2xx + r.errorBodies + r.errors + r.timeouts;

/** The same total connections on one tenant's key, or split evenly over four tenants' keys, all at once. */
async function tenantsLoad(server: RunningServer, calls: ToolCalls[], cfg: BenchConfig): Promise<{ rps: number; p99: number; failures: number }> {
  const each = Math.max(1, Math.floor(cfg.connections / calls.length));
  const rounds = await Promise.all(calls.map((c) => loadRound(server, c.mcp, each, cfg.warmupSeconds, cfg.durationSeconds)));
  return { rps: rounds.reduce((a, r) => a + r.rps, 0), p99: Math.max(...rounds.map((r) => r.p99)), failures: rounds.reduce((a, r) => a + failuresOf(r), 0) };
}

export async function runTools(cfg: BenchConfig = benchConfig()): Promise<ToolsSummary> {
  heading(`Read tools: MCP vs /graphql vs bare SQL, and one tenant vs four (${cfg.connections} connections, ${cfg.durationSeconds} s per path)`);
  const db = await createBenchDatabase(cfg.adminUrl, 'tl');
  const finishDb = onCleanup(() => db.finish(cfg.keep));
  try {
    const [version] = await db.sql<{ v: string }[]>`select version() as v`;
    console.log(`  ${await environmentLine(version?.v ?? '?')}`);
    const masterKey = randomBytes(32);
    const services = createServices({ database: db.database, masterKey, logger: createLogger({ level: 'silent' }) });
    const perTenant = Math.max(1_000, Math.round(cfg.throughputContacts / 4));
    const dealsPerTenant = Math.max(600, Math.round(perTenant / 5));
    const tenants: BenchTenant[] = [];
    for (let t = 0; t < 4; t += 1) tenants.push(await createTenant(db.database, services, `tl${t}`, 200));
    for (const tenant of tenants) {
      await insertSubjects(db.sql, services, tenant, perTenant, (i) => i % 10 === 0, 'suppressed', 5_000);
      await loadDeals(db.sql, tenant, dealsPerTenant);
    }
    const loadMs = await loadContacts(db.sql, services, tenants.map((tenant) => ({ tenant, count: perTenant })));
    await vacuumAnalyze(db.sql);
    await db.sql`vacuum (analyze) deals`;
    step(`4 tenants × ${int(perTenant)} sealed contacts (10% hidden) in ${seconds(loadMs)}, × ${int(dealsPerTenant)} deals over 200 accounts (every 10th account's domain suppressed)`);

    const keys = await Promise.all(tenants.map((t) => mintKey(db.database, services, t, ['read:contacts', 'read:deals', 'read:accounts'])));
    const options = { databaseUrl: db.url, masterKeyHex: masterKey.toString('hex'), tenantId: tenants[0]?.id ?? '' };
    const pact = await startServer('pact', options);
    const bare = await startServer('bare', options);
    const stopServers = onCleanup(async () => {
      await Promise.all([pact.stop(), bare.stop()]);
    });
    const serverOf: Record<Path, RunningServer> = { mcp: pact, graphql: pact, bare };

    const results: ToolResult[] = [];
    let failures = 0;
    for (const c of CASES) {
      const calls = toolCalls(keys[0] ?? '', c);
      const answers = {
        mcp: await timedCall(pact, calls.mcp),
        graphql: await timedCall(pact, calls.graphql),
        bare: await timedCall(bare, calls.bare),
      };
      const { value, bareRows } = checkToolAnswers(c, calls.rootField, answers);
      const items = value.items as { id: string }[] | undefined;
      if (items && c.tool !== 'ask_workspace') {
        const bareIds = bareRows.slice(0, items.length).map((r) => r.id);
        if (items.map((i) => i.id).join() !== bareIds.join()) throw new Error(`${c.tool}: Pact and the bare route returned different items`);
      }
      if (c.tool === 'query_pipeline_health') {
        const row = bareRows[0] as { hidden: number | string | null } | undefined;
        if (Number(row?.hidden ?? 0) !== value.consent_filtered) throw new Error(`${c.tool}: consent_filtered ${String(value.consent_filtered)} vs ${String(row?.hidden)} hidden deals`);
      }
      step(`${c.tool} ${JSON.stringify(c.args)}: MCP = /graphql (consent_filtered ${int(Number(value.consent_filtered))}${items ? `, ${items.length} items = bare` : ''}); status 200 on all three`);
      const rounds = {} as Record<Path, LoadRound>;
      for (const path of PATHS) {
        let firstFailure: string | null = null;
        const ok = calls[path].okBody;
        const watched = { ...calls[path], okBody: (b: string) => (ok?.(b) ?? true) || ((firstFailure ??= b.slice(0, 400)), false) };
        const r = await loadRound(serverOf[path], watched, cfg.connections, cfg.warmupSeconds, cfg.durationSeconds);
        rounds[path] = r;
        failures += failuresOf(r);
        step(
          `  ${path.padEnd(7)}: ${int(r.rps)} req/s, p50 ${ms(r.p50, 0)}, p99 ${ms(r.p99, 0)}, ${int(r.cpuPerRequestUs)} µs CPU/call; failed: ${r.non2xx} non-2xx, ${r.errorBodies} error bodies, ${r.errors + r.timeouts} socket errors/timeouts`,
        );
        if (failuresOf(r) > 0) step(`    first failed answer under load: ${firstFailure ?? '(no body: a socket error or timeout)'}`);
      }
      results.push({ tool: c.tool, rounds });
    }

    const contactCalls = tenants.map((_, t) => toolCalls(keys[t] ?? '', CASES[0] as ToolCase));
    const one = await tenantsLoad(pact, contactCalls.slice(0, 1), cfg);
    const four = await tenantsLoad(pact, contactCalls, cfg);
    failures += one.failures + four.failures;
    step(`query_contacts over MCP, ${cfg.connections} connections: one tenant ${int(one.rps)} req/s (p99 ${ms(one.p99, 0)}), four tenants ${int(four.rps)} req/s (p99 ${ms(four.p99, 0)})`);

    console.log('\n  Results (one round per path; req/s counts only correct answers; server CPU = process.cpuUsage() of the server child around the load ÷ calls)');
    console.log(
      table(
        ['tool', 'path', 'req/s', 'p50', 'p99', 'server CPU/call', 'failed'],
        results.flatMap((r) => PATHS.map((p) => [p === 'mcp' ? r.tool : '', p, int(r.rounds[p].rps), ms(r.rounds[p].p50, 0), ms(r.rounds[p].p99, 0), `${int(r.rounds[p].cpuPerRequestUs)} µs`, int(failuresOf(r.rounds[p]))])),
      ),
    );
    console.log(
      table(
        ['tool', `MCP/bare (≥ ${TARGET_MCP_BARE}×; milestone ${MILESTONE_MCP_BARE}×)`, `MCP/GraphQL (≥ ${TARGET_MCP_GRAPHQL.toFixed(1)}×)`, 'GraphQL/bare', `MCP p99 (< ${TARGET_P99_MS} ms at ${cfg.connections} conn.)`, `MCP CPU/call (≤ ${TARGET_CPU_US} µs)`],
        results.map((r) => {
          const { mcp, graphql, bare: b } = r.rounds;
          return [
            r.tool,
            `${ratio(mcp.rps / b.rps)} ${verdict(mcp.rps / b.rps >= TARGET_MCP_BARE)}${mcp.rps / b.rps >= MILESTONE_MCP_BARE ? '' : ' (milestone missed)'}`,
            `${ratio(mcp.rps / graphql.rps)} ${verdict(mcp.rps / graphql.rps >= TARGET_MCP_GRAPHQL)}`,
            ratio(graphql.rps / b.rps),
            `${ms(mcp.p99, 0)} ${verdict(mcp.p99 < TARGET_P99_MS)}`,
            `${int(mcp.cpuPerRequestUs)} µs ${verdict(mcp.cpuPerRequestUs <= TARGET_CPU_US)}`,
          ];
        }),
      ),
    );
    const tenantsRatio = one.rps / four.rps;
    console.log(`  one tenant / four tenants (query_contacts over MCP, same ${cfg.connections} connections): ${ratio(tenantsRatio)} (goal ≥ ${TARGET_TENANTS}× → ${verdict(tenantsRatio >= TARGET_TENANTS)})`);
    if (failures > 0) console.log(`  ${int(failures)} failed answers under load`);
    await stopServers();
    return { tools: results, oneTenantRps: one.rps, fourTenantsRps: four.rps, failures };
  } finally {
    await finishDb();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runTools()
    .then((s) => {
      if (s.failures > 0) process.exitCode = 1;
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
