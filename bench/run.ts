/**
 * `npm run bench`: every benchmark in sequence (throughput, read tools, prepared persisted operations, then consent latency), each on its own
 * fresh database `pact_bench_*` on DATABASE_URL (dropped at the end unless BENCH_KEEP=1), then a
 * summary against the targets in PERFORMANCE.md. Settings: bench/README.md.
 */
import { runCleanup } from './lib/cleanup';
import { benchConfig } from './lib/config';
import { closeAgent } from './lib/load';
import { FILTER_SEARCH } from './lib/pact-query';
import { heading, int, ms, ratio, seconds, table, verdict } from './lib/report';
import { runPrepared, type PreparedSummary } from './prepared';
import { runConsentLatency, TARGET_CONSENT_RATIO, type ConsentSummary } from './consent-latency';
import { runThroughput, TARGET_MCP_GRAPHQL_RATIO, TARGET_P99_MS, TARGET_RATIO, type ThroughputSummary } from './throughput';
import { runTools, TARGET_TENANTS, type ToolsSummary } from './tools';

async function main(): Promise<void> {
  const cfg = benchConfig();
  const started = performance.now();
  let throughput: ThroughputSummary | null = null;
  let consent: ConsentSummary | null = null;
  let tools: ToolsSummary | null = null;
  let prepared: PreparedSummary | null = null;
  const failures: string[] = [];
  try {
    throughput = await runThroughput(cfg);
    if (throughput.failures > 0) failures.push(`throughput: ${throughput.failures} failed answers during the measured rounds`);
  } catch (error) {
    failures.push(`throughput: ${(error as Error).message}`);
    console.error(error);
  }
  await runCleanup();
  try {
    tools = await runTools(cfg);
    if (tools.failures > 0) failures.push(`tools: ${tools.failures} failed answers under load`);
  } catch (error) {
    failures.push(`tools: ${(error as Error).message}`);
    console.error(error);
  }
  await runCleanup();
  try {
    prepared = await runPrepared(cfg);
  } catch (error) {
    failures.push(`prepared operations: ${(error as Error).message}`);
    console.error(error);
  }
  await runCleanup();
  try {
    consent = await runConsentLatency(cfg);
  } catch (error) {
    failures.push(`consent latency: ${(error as Error).message}`);
    console.error(error);
  }
  await runCleanup();

  heading(`Summary (${seconds(performance.now() - started)} in all; one run on this machine — compare ratios within a run, not absolute figures across runs)`);
  const rows: (string | number)[][] = [];
  if (throughput) {
    const { mcp, graphql, bare } = throughput.paths;
    const per = throughput.perRequest;
    rows.push(
      [`MCP tools/call query_contacts req/s (${int(throughput.contacts)} contacts, 10% hidden)`, int(mcp.rps), '', ''],
      ['/graphql, same persisted operation, req/s', int(graphql.rps), '', ''],
      ['bare node:http → postgres.js req/s', int(bare.rps), '', ''],
      ['1. throughput MCP / bare', ratio(throughput.mcpBare), `≥ ${TARGET_RATIO}×`, verdict(throughput.mcpBare >= TARGET_RATIO)],
      ['2. throughput MCP / GraphQL', ratio(throughput.mcpGraphql), `≥ ${TARGET_MCP_GRAPHQL_RATIO.toFixed(1)}×`, verdict(throughput.mcpGraphql >= TARGET_MCP_GRAPHQL_RATIO)],
      ['   throughput GraphQL / bare', ratio(throughput.graphqlBare), '', ''],
      ['MCP p50 / p99 at 50 connections', `${ms(mcp.p50, 0)} / ${ms(mcp.p99, 0)}`, '', ''],
      ['GraphQL p50 / p99 at 50 connections', `${ms(graphql.p50, 0)} / ${ms(graphql.p99, 0)}`, '', ''],
      ['bare p50 / p99 at 50 connections', `${ms(bare.p50, 0)} / ${ms(bare.p99, 0)}`, '', ''],
      ['4. MCP p99 at 50 connections', ms(mcp.p99, 0), `< ${TARGET_P99_MS} ms`, verdict(mcp.p99 < TARGET_P99_MS)],
      ['failed answers during the measured rounds', int(throughput.failures), '0', throughput.failures === 0 ? 'ok' : 'FAILED ANSWERS'],
      ['server CPU per request MCP / GraphQL / bare', `${int(mcp.cpuPerRequestUs)} / ${int(graphql.cpuPerRequestUs)} / ${int(bare.cpuPerRequestUs)} µs`, '', ''],
      [
        'SQL statements / transactions per request MCP, GraphQL (bare)',
        per
          ? `${per.mcp.statements.toFixed(1)} / ${per.mcp.transactions.toFixed(1)}, ${per.graphql.statements.toFixed(1)} / ${per.graphql.transactions.toFixed(1)} (${per.bare.statements.toFixed(1)} / ${per.bare.transactions.toFixed(1)})`
          : 'not measured (smoke)',
        '',
        '',
      ],
      ['Pact page query plan', `${throughput.pageAccess[0] ?? '?'} (${throughput.pagePlanTime})`, '', ''],
    );
    if (throughput.shippedToolLimit) {
      const s = throughput.shippedToolLimit;
      rows.push([`MCP with the root field's own limit as shipped (${s.perMin}/min): ${s.calls} calls`, `${s.ok} answered, ${s.rateLimited} × 429`, '', '']);
    }
  }
  if (tools) {
    for (const t of tools.tools) {
      const { mcp, graphql, bare } = t.rounds;
      rows.push([
        `${t.tool}: MCP/bare, MCP/GraphQL, GraphQL/bare; MCP p50/p99; MCP CPU/call`,
        `${ratio(mcp.rps / bare.rps)}, ${ratio(mcp.rps / graphql.rps)}, ${ratio(graphql.rps / bare.rps)}; ${ms(mcp.p50, 0)}/${ms(mcp.p99, 0)}; ${int(mcp.cpuPerRequestUs)} µs`,
        '≥ 0.4× (0.2×), ≥ 1.0×; p99 < 100 ms; ≤ 1,500 µs',
        '',
      ]);
    }
    const tr = tools.oneTenantRps / tools.fourTenantsRps;
    rows.push(['one tenant / four tenants (query_contacts, MCP)', ratio(tr), `≥ ${TARGET_TENANTS}×`, verdict(tr >= TARGET_TENANTS)]);
  }
  if (prepared) {
    for (const [tool, paths] of Object.entries(prepared.cpuUs)) {
      const { unprepared, prepared: validated, compiled } = paths.mcp;
      rows.push([`${tool} in process: CPU µs/call unprepared / prepared / compiled`, `${int(unprepared)} / ${int(validated)} / ${int(compiled)}`, '', '']);
    }
  }
  if (consent) {
    const [zero, , fifty] = consent.states;
    rows.push(
      [`consent: page p50 / p99 at 0% hidden (${int(consent.contacts)} contacts)`, `${ms(zero?.latency.p50 ?? NaN, 2)} / ${ms(zero?.latency.p99 ?? NaN, 2)}`, '', ''],
      ['consent: page p50 / p99 at 50% hidden, after VACUUM', `${ms(fifty?.latency.p50 ?? NaN, 2)} / ${ms(fifty?.latency.p99 ?? NaN, 2)}`, '', ''],
      ['consent: exact consentFiltered reported at 0% / 50%', `${int(zero?.consentFiltered ?? NaN)} / ${int(fifty?.consentFiltered ?? NaN)}`, '', ''],
      ['3. p50(50%) / p50(0%)', ratio(consent.ratio), `≤ ${TARGET_CONSENT_RATIO}×`, verdict(consent.ratio <= TARGET_CONSENT_RATIO)],
      ['   drift-corrected by the control tenant', ratio(consent.driftCorrectedRatio), `≤ ${TARGET_CONSENT_RATIO}×`, verdict(consent.driftCorrectedRatio <= TARGET_CONSENT_RATIO)],
      ['   right after the switch, before VACUUM', ratio(consent.ratioBeforeVacuum), '', ''],
      ['   page + count SQL alone', ratio(consent.sqlRatio), '', ''],
      [
        `filtered page (search "${FILTER_SEARCH}") p50 at 0% / 50%`,
        `${ms(zero?.filtered?.latency.p50 ?? NaN, 1)} / ${ms(fifty?.filtered?.latency.p50 ?? NaN, 1)} (consentFiltered ${int(zero?.filtered?.consentFiltered ?? NaN)} / ${int(fifty?.filtered?.consentFiltered ?? NaN)})`,
        '',
        '',
      ],
      ['   filtered p50(50%) / p50(0%)', ratio(consent.filteredRatio ?? NaN), `≤ ${TARGET_CONSENT_RATIO}×`, verdict((consent.filteredRatio ?? Infinity) <= TARGET_CONSENT_RATIO)],
      [`load ${int(consent.contacts)} sealed contacts (COPY)`, seconds(consent.loadMs), '', ''],
      [`switch 0% → 50%: ${int(consent.switchSubjects)} suppressed subjects`, `${seconds(consent.switchMs)} (${int((consent.switchSubjects / consent.switchMs) * 1000)}/s)`, '', ''],
    );
  }
  console.log(table(['measure', 'value', 'goal', 'verdict'], rows));
  if (failures.length > 0) {
    console.log(`\n  Failed: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await runCleanup();
    closeAgent();
  });
