/**
 * Consent latency: a tenant with 1,000,000 real sealed contacts; p50/p99 of the contacts page
 * (sequential requests to Pact's /graphql) at 0% hidden and at 50% hidden — the same query over
 * the same 1,000,000 matching records, with the exact `consentFiltered` checked — and how long the
 * switch 0% → 50% takes (500,000 suppressed e-mail subjects; the triggers flag the contacts).
 * Run alone: `npm run bench:consent` (DATABASE_URL = admin URL of a local PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/lib/logger';
import { createServices } from '../src/services/index';
import { onCleanup, runCleanup } from './lib/cleanup';
import { benchConfig, type BenchConfig } from './lib/config';
import { createBenchDatabase, vacuumAnalyze, type Sql } from './lib/database';
import { explainAsTenant, filteredHiddenCountStatement, hiddenCountStatement, pactPageStatement, planAccessPaths, planTime, printPlan, statementLatency } from './lib/explain';
import { closeAgent, interleavedLatency, median, sequentialLatency, summarise, timedCall, type HttpCall, type LatencySample } from './lib/load';
import { CONTACTS_QUERY, FILTER_SEARCH, checkPact, filteredContactsQuery } from './lib/pact-query';
import { environmentLine, heading, int, ms, ratio, seconds, step, table, verdict } from './lib/report';
import { createTenant, insertSubjects, loadContacts, mintKey } from './lib/seed';
import { startServer } from './lib/servers';

/** PERFORMANCE.md target 3: p50 at 50% hidden ≤ 1.2× p50 at 0% hidden. */
export const TARGET_CONSENT_RATIO = 1.2;
/** Item 6: a filtered page with its exact hidden count under 50 ms p50 at 1,000,000 contacts. */
export const TARGET_FILTERED_P50_MS = 50;

export interface ConsentState {
  label: string;
  hidden: number;
  consentFiltered: number;
  latency: LatencySample;
  /** The unchanged control tenant, measured interleaved with `latency`. */
  control: LatencySample;
  /** The page and hidden-count statements alone (database share), as pact_app with RLS. */
  sql: LatencySample;
  /** The control tenant's statements alone, measured interleaved with `sql`. */
  controlSql: LatencySample;
  /** The filtered variant (`filter: { search: "CEO" }`), when measured in this state. */
  filtered: { matching: number; consentFiltered: number; latency: LatencySample; countPlanTime: string; pagePlanTime: string; sql: LatencySample } | null;
  planTime: string;
  access: string[];
}

export interface ConsentSummary {
  contacts: number;
  loadMs: number;
  switchMs: number;
  switchSubjects: number;
  vacuumMs: number;
  states: ConsentState[];
  /** p50(50% hidden, after VACUUM ANALYZE) / p50(0%). */
  ratio: number;
  /** p50(50% hidden, right after the switch, before VACUUM) / p50(0%). */
  ratioBeforeVacuum: number;
  /** `ratio` divided by the control tenant's ratio over the same phases. */
  driftCorrectedRatio: number;
  /** The page and hidden-count statements alone. */
  sqlRatio: number;
  /** The filtered variant's p50(50%) / p50(0%). */
  filteredRatio: number | null;
}

async function hiddenNow(sql: Sql, tenantId: string): Promise<{ flagged: number; maintained: number }> {
  const [row] = await sql<{ flagged: string; maintained: string | null }[]>`
    select count(*)::text as flagged,
           (select hidden::text from consent_counts where tenant_id = ${tenantId} and list = 'contacts') as maintained
    from contacts where tenant_id = ${tenantId} and consent_hidden`;
  return { flagged: Number(row?.flagged ?? 0), maintained: Number(row?.maintained ?? 0) };
}

export async function runConsentLatency(cfg: BenchConfig = benchConfig()): Promise<ConsentSummary> {
  const n = cfg.consentContacts;
  heading(`Consent latency: ${int(n)} contacts, page p50/p99 at 0% and 50% hidden (${cfg.latencySamples} sequential requests each)`);
  const db = await createBenchDatabase(cfg.adminUrl, 'cl');
  const finishDb = onCleanup(() => db.finish(cfg.keep));
  try {
    const [version] = await db.sql<{ v: string }[]>`select version() as v`;
    console.log(`  ${await environmentLine(version?.v ?? '?')}`);
    step(`database ${db.name}`);
    const masterKey = randomBytes(32);
    if (cfg.keep) step(`BENCH_KEEP=1: start Pact on the kept database with DATABASE_URL=${db.url} PACT_MASTER_KEY=${masterKey.toString('hex')}`);
    const services = createServices({ database: db.database, masterKey, logger: createLogger({ level: 'silent' }) });
    const bench = await createTenant(db.database, services, 'cl', 1000);
    const other = await createTenant(db.database, services, 'clother', 100);
    const otherN = Math.round(n / 20);

    let lastPrint = 0;
    const loadMs = await loadContacts(
      db.sql,
      services,
      [
        { tenant: bench, count: n },
        { tenant: other, count: otherN },
      ],
      (done, total) => {
        if (done - lastPrint >= total / 4 || done === total) {
          lastPrint = done;
          process.stdout.write(`    loaded ${int(done)} / ${int(total)}\n`);
        }
      },
    );
    step(`${int(n + otherN)} sealed contacts loaded with COPY (${int(n)} in the measured tenant, ${int(otherN)} in a second tenant) in ${seconds(loadMs)} (${int(((n + otherN) / loadMs) * 1000)} rows/s)`);
    const firstVacuumMs = await vacuumAnalyze(db.sql);
    step(`VACUUM (ANALYZE) in ${seconds(firstVacuumMs)}`);

    const apiKey = await mintKey(db.database, services, bench, ['read:contacts']);
    const server = await startServer('pact', { databaseUrl: db.url, masterKeyHex: masterKey.toString('hex'), tenantId: bench.id });
    const stopServer = onCleanup(() => server.stop());
    const call: HttpCall = {
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: CONTACTS_QUERY }),
    };
    step(`Pact ${server.url} (pid ${server.pid}); sequential requests on one keep-alive connection`);

    const filteredCall: HttpCall = { ...call, body: JSON.stringify({ query: filteredContactsQuery(FILTER_SEARCH) }) };
    const controlKey = await mintKey(db.database, services, other, ['read:contacts']);
    const controlCall: HttpCall = { ...call, headers: { ...call.headers, authorization: `Bearer ${controlKey}` } };
    step(`each measurement alternates requests with a control tenant (${int(otherN)} contacts, none hidden, never changed) to separate machine drift from consent cost`);

    const states: ConsentState[] = [];
    const measure = async (label: string, withFiltered: boolean): Promise<ConsentState> => {
      const { flagged, maintained } = await hiddenNow(db.sql, bench.id);
      if (flagged !== maintained) throw new Error(`consent_counts (${maintained}) disagrees with flagged contacts (${flagged})`);
      let consentFiltered = -1;
      const [latency, control] = (await interleavedLatency(
        server,
        [
          {
            call,
            check: (status, body) => {
              checkPact(status, body, flagged);
              consentFiltered = flagged;
            },
          },
          { call: controlCall, check: (status, body) => void checkPact(status, body, 0) },
        ],
        cfg.latencyWarmup,
        cfg.latencySamples,
      )) as [LatencySample, LatencySample];
      const page = pactPageStatement(bench.id);
      const [sqlTimes, controlSqlTimes] = (
        await statementLatency(
          db.sql,
          [
            { tenantId: bench.id, statements: [page, hiddenCountStatement(bench.id)] },
            { tenantId: other.id, statements: [pactPageStatement(other.id), hiddenCountStatement(other.id)] },
          ],
          20,
          cfg.latencySamples,
        )
      ).map(summarise) as [LatencySample, LatencySample];
      const plan = await explainAsTenant(db.sql, bench.id, page);
      let filtered: ConsentState['filtered'] = null;
      if (withFiltered) {
        const [m] = await db.sql<{ matching: string; hidden: string }[]>`
          select count(*)::text as matching, count(*) filter (where consent_hidden)::text as hidden
          from contacts where tenant_id = ${bench.id} and pact_title_words(title) @> pact_title_words(${FILTER_SEARCH}::text)`;
        const expected = Number(m?.hidden ?? -1);
        const latencyF = await sequentialLatency(server, filteredCall, 3, cfg.filteredSamples, (status, body) => void checkPact(status, body, expected));
        const countPlan = await explainAsTenant(db.sql, bench.id, filteredHiddenCountStatement(bench.id, FILTER_SEARCH), 1);
        const pagePlanF = await explainAsTenant(db.sql, bench.id, pactPageStatement(bench.id, 50, FILTER_SEARCH), 1);
        const [sqlF] = (
          await statementLatency(db.sql, [{ tenantId: bench.id, statements: [pactPageStatement(bench.id, 50, FILTER_SEARCH), filteredHiddenCountStatement(bench.id, FILTER_SEARCH)] }], 3, cfg.filteredSamples)
        ).map(summarise) as [LatencySample];
        filtered = { matching: Number(m?.matching ?? 0), consentFiltered: expected, latency: latencyF, countPlanTime: planTime(countPlan), pagePlanTime: planTime(pagePlanF), sql: sqlF };
      }
      const state = {
        label,
        hidden: flagged,
        consentFiltered,
        latency,
        control,
        sql: sqlTimes,
        controlSql: controlSqlTimes,
        filtered,
        planTime: planTime(plan),
        access: planAccessPaths(plan),
      };
      step(
        `${label}: ${int(flagged)} hidden, consentFiltered ${int(consentFiltered)} (exact); p50 ${ms(latency.p50, 2)}, p99 ${ms(latency.p99, 2)} ` +
          `(control tenant p50 ${ms(control.p50, 2)}; page + count SQL alone p50 ${ms(sqlTimes.p50, 3)}); page plan: ${state.access[0] ?? '?'}` +
          (filtered
            ? `; filtered (search "${FILTER_SEARCH}", ${int(filtered.matching)} matching): consentFiltered ${int(filtered.consentFiltered)}, p50 ${ms(filtered.latency.p50, 1)}, p99 ${ms(filtered.latency.p99, 1)}`
            : ''),
      );
      states.push(state);
      return state;
    };

    const zero = await measure('0% hidden', true);

    step(`switching to 50% hidden: ${int(n / 2)} suppressed e-mail subjects, ${int(cfg.subjectBatch)} per INSERT (each its own transaction)…`);
    let lastSubjects = 0;
    const switched = await insertSubjects(db.sql, services, bench, n, (i) => i % 2 === 1, 'suppressed', cfg.subjectBatch, (done) => {
      if (done - lastSubjects >= n / 8) {
        lastSubjects = done;
        process.stdout.write(`    ${int(done)} subjects\n`);
      }
    });
    const batches = switched.batchMs;
    const third = Math.max(1, Math.floor(batches.length / 3));
    step(
      `switch: ${int(switched.subjects)} subjects in ${seconds(switched.ms)} (${int((switched.subjects / switched.ms) * 1000)} subjects/s; ` +
        `median batch of ${int(cfg.subjectBatch)}: ${ms(median(batches.slice(0, third)), 0)} in the first third, ${ms(median(batches.slice(-third)), 0)} in the last third)`,
    );
    const before = await measure('50% hidden, right after the switch (autovacuum may run)', true);
    const vacuumMs = await vacuumAnalyze(db.sql);
    step(`VACUUM (ANALYZE) after the switch in ${seconds(vacuumMs)}`);
    const fifty = await measure('50% hidden, after VACUUM (ANALYZE)', true);

    const r = fifty.latency.p50 / zero.latency.p50;
    const rBefore = before.latency.p50 / zero.latency.p50;
    const drift = fifty.control.p50 / zero.control.p50;
    const driftBefore = before.control.p50 / zero.control.p50;
    const sqlRatio = fifty.sql.p50 / zero.sql.p50;
    console.log('\n  Results (sequential requests on one keep-alive connection; client wall time per request)');
    console.log(
      table(
        ['state', 'hidden', 'consentFiltered', 'p50', 'p99', 'control p50', 'SQL alone p50', 'page plan (EXPLAIN ANALYZE)'],
        states.map((s) => [
          s.label,
          int(s.hidden),
          int(s.consentFiltered),
          ms(s.latency.p50, 2),
          ms(s.latency.p99, 2),
          ms(s.control.p50, 2),
          ms(s.sql.p50, 3),
          `${(s.access[0] ?? '?').replace(' on contacts', '')}, ${s.planTime}`,
        ]),
      ),
    );
    console.log(
      table(
        ['ratio p50(50% hidden) / p50(0% hidden)', 'after VACUUM', 'right after the switch', 'goal (target 3)'],
        [
          ['Pact page, as measured', ratio(r), ratio(rBefore), `≤ ${TARGET_CONSENT_RATIO}× → ${verdict(r <= TARGET_CONSENT_RATIO)}`],
          ['control tenant (machine drift between phases)', ratio(drift), ratio(driftBefore), ''],
          ['Pact page, drift-corrected (÷ control)', ratio(r / drift), ratio(rBefore / driftBefore), verdict(r / drift <= TARGET_CONSENT_RATIO)],
          ['page + hidden-count SQL alone (database share)', ratio(sqlRatio), ratio(before.sql.p50 / zero.sql.p50), ''],
          ['  the same for the control tenant (drift)', ratio(fifty.controlSql.p50 / zero.controlSql.p50), ratio(before.controlSql.p50 / zero.controlSql.p50), ''],
        ],
      ),
    );
    if (zero.filtered && fifty.filtered) {
      const fr = fifty.filtered.latency.p50 / zero.filtered.latency.p50;
      console.log(`\n  Filtered variant: contacts(first: 50, filter: { search: "${FILTER_SEARCH}" }), ${int(zero.filtered.matching)} matching records in both states (${cfg.filteredSamples} sequential requests each)`);
      console.log(
        table(
          ['state', 'matching', 'consentFiltered', 'p50', 'p99', 'control p50', 'page + count SQL alone p50', 'page SQL (EXPLAIN, pact_app)', 'hidden-count SQL (EXPLAIN, as Pact runs it)'],
          [zero, before, fifty].map((s) => [
            s.label,
            int(s.filtered?.matching ?? NaN),
            int(s.filtered?.consentFiltered ?? NaN),
            ms(s.filtered?.latency.p50 ?? NaN, 1),
            ms(s.filtered?.latency.p99 ?? NaN, 1),
            ms(s.control.p50, 1),
            ms(s.filtered?.sql.p50 ?? NaN, 2),
            s.filtered?.pagePlanTime ?? '?',
            s.filtered?.countPlanTime ?? '?',
          ]),
        ),
      );
      console.log(`  ratio p50(50%) / p50(0%) for the filtered page: ${ratio(fr)} (goal ≤ ${TARGET_CONSENT_RATIO}× → ${verdict(fr <= TARGET_CONSENT_RATIO)})`);
      if (before.filtered) console.log(`  right after the switch, before VACUUM: ${ratio(before.filtered.latency.p50 / zero.filtered.latency.p50)} (page + hidden-count SQL alone ${ratio(before.filtered.sql.p50 / zero.filtered.sql.p50)})`);
      const fd = fifty.control.p50 / zero.control.p50;
      console.log(`  drift-corrected (÷ control tenant ${ratio(fd)}): ${ratio(fr / fd)} (goal ≤ ${TARGET_CONSENT_RATIO}× → ${verdict(fr / fd <= TARGET_CONSENT_RATIO)}); page + hidden-count SQL alone: ${ratio((fifty.filtered.sql.p50) / zero.filtered.sql.p50)}`);
      const worst = Math.max(zero.filtered.latency.p50, fifty.filtered.latency.p50, before.filtered?.latency.p50 ?? 0);
      console.log(`  filtered page with its exact hidden count, p50: ${ms(worst, 1)} at worst (goal < ${TARGET_FILTERED_P50_MS} ms → ${verdict(worst < TARGET_FILTERED_P50_MS)})`);
    }
    console.log(
      table(
        ['load step', 'rows', 'time', 'rate'],
        [
          ['COPY sealed contacts', int(n + otherN), seconds(loadMs), `${int(((n + otherN) / loadMs) * 1000)}/s`],
          ['suppress 50% (subjects → triggers)', int(switched.subjects), seconds(switched.ms), `${int((switched.subjects / switched.ms) * 1000)}/s`],
          ['VACUUM (ANALYZE) after the switch', '', seconds(vacuumMs), ''],
        ],
      ),
    );

    printPlan('page query at 50% hidden (as pact_app, RLS on)', await explainAsTenant(db.sql, bench.id, pactPageStatement(bench.id)));
    printPlan(hiddenCountStatement(bench.id).label, await explainAsTenant(db.sql, bench.id, hiddenCountStatement(bench.id)));
    printPlan(`${pactPageStatement(bench.id, 50, FILTER_SEARCH).label} at 50% hidden (as pact_app, RLS on)`, await explainAsTenant(db.sql, bench.id, pactPageStatement(bench.id, 50, FILTER_SEARCH), 1));
    printPlan(filteredHiddenCountStatement(bench.id, FILTER_SEARCH).label, await explainAsTenant(db.sql, bench.id, filteredHiddenCountStatement(bench.id, FILTER_SEARCH), 1));

    // The server answers correctly at the end, too.
    const last = await timedCall(server, call);
    checkPact(last.status, last.body, fifty.hidden);
    await stopServer();
    return {
      contacts: n,
      loadMs,
      switchMs: switched.ms,
      switchSubjects: switched.subjects,
      vacuumMs,
      states,
      ratio: r,
      ratioBeforeVacuum: rBefore,
      driftCorrectedRatio: r / drift,
      sqlRatio,
      filteredRatio: zero.filtered && fifty.filtered ? fifty.filtered.latency.p50 / zero.filtered.latency.p50 : null,
    };
  } finally {
    await finishDb();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runConsentLatency()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await runCleanup();
      closeAgent();
    });
}
