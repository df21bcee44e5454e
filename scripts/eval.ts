/**
 * `npm run eval`: the agents' evaluation. Seeds the full demo data into an in-memory database with
 * the clock pinned (EVAL_TODAY, default today), serves Pact on 127.0.0.1, asks every question and
 * runs every agent task of scripts/eval/cases.ts as the demo admin through GraphQL, and prints
 * accuracy, citation precision and recall, and cost per answer. Offline provider by default; the
 * Anthropic or OpenAI model when PACT_MODEL_PROVIDER (or ANTHROPIC_API_KEY / OPENAI_API_KEY) is set.
 * EVAL_VERBOSE=1 prints every answer; EVAL_ASK='question|question' prints ad-hoc answers instead
 * ('question>>follow-up' asks a conversation); EVAL_LOG=error prints the server's errors. Exits
 * 1 when a case errors.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { keepConnectionsAlive } from '../src/app/start';
import { openDatabase, type Db } from '../src/db/client';
import { fixedClock, systemClock, todayOf } from '../src/lib/clock';
import { createLogger } from '../src/lib/logger';
import { pactMcp } from '../src/mcp/index';
import { createApp } from '../src/server/app';
import type { ModelConfig } from '../src/services/agents/providers/index';
import { createServices } from '../src/services/index';
import { DEMO_PASSWORD, seedDemo } from '../src/services/seed/demo';
import { CASES, withHiddenAccount } from './eval/cases';
import { runEval, type EvalClient } from './eval/harness';

function modelConfig(env: NodeJS.ProcessEnv): ModelConfig {
  const provider = env.PACT_MODEL_PROVIDER ?? (env.ANTHROPIC_API_KEY ? 'anthropic' : env.OPENAI_API_KEY ? 'openai' : 'offline');
  if (provider !== 'offline' && provider !== 'anthropic' && provider !== 'openai') throw new Error(`PACT_MODEL_PROVIDER must be offline, anthropic or openai (got ${provider})`);
  return {
    provider,
    model: env.PACT_MODEL,
    anthropicApiKey: env.ANTHROPIC_API_KEY,
    anthropicBaseUrl: env.ANTHROPIC_BASE_URL,
    openaiApiKey: env.OPENAI_API_KEY,
    openaiBaseUrl: env.OPENAI_BASE_URL,
  };
}

async function main(): Promise<void> {
  const today = process.env.EVAL_TODAY ?? todayOf(systemClock);
  const clock = fixedClock(today);
  const model = modelConfig(process.env);
  const started = Date.now();
  const database = await openDatabase({ pglite: await PGlite.create() });
  await database.migrate();
  const services = createServices({ database, masterKey: randomBytes(32), logger: createLogger({ level: (process.env.EVAL_LOG as 'error' | undefined) ?? 'silent' }), model, clock, auditSealIntervalMs: 0 });
  await seedDemo(database, services.keys, undefined, { clock });
  const server = createServer();
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = createApp({ services, publicUrl: url, listen: { host: '127.0.0.1', port: (server.address() as AddressInfo).port }, mcp: pactMcp({ services, publicUrl: url }) });
  server.on('request', app.listener);
  try {
    const signIn = await fetch(`${url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@pact.demo', password: DEMO_PASSWORD, kind: 'token' }),
    });
    const { token } = (await signIn.json()) as { token: string };
    const rows = <R extends Record<string, unknown>>(query: Parameters<EvalClient['sql']>[0]) => database.withSystem((tx: Db) => database.rows<R>(tx, query));
    const [me] = await rows<{ id: string; name: string }>(sql`select id, display_name as name from users where email = 'admin@pact.demo'`);
    const [tenant] = await rows<{ id: string }>(sql`select id from tenants where slug = 'demo'`);
    const client: EvalClient = {
      gql: async (query, variables) => {
        const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
        return { body: (await res.json()) as never };
      },
      sql: rows,
      tenantId: tenant?.id ?? '',
      userId: me?.id ?? '',
      userName: me?.name ?? '',
      today,
    };
    if (process.env.EVAL_ASK) {
      // Ad-hoc questions ("q1|q2"; "q1>>q2" asks q2 as a follow-up of q1): print the answers, no scoring.
      for (const chain of process.env.EVAL_ASK.split('|')) {
        let runId: string | null = null;
        for (const q of chain.split('>>')) {
          const res = await client.gql('query($q: String!, $f: ID) { askWorkspace(question: $q, followUpOf: $f) { answer runId } }', { q, f: runId });
          const data = (res.body.data as { askWorkspace?: { answer: string; runId: string } } | undefined)?.askWorkspace;
          runId = data?.runId ?? null;
          console.log(`\n? ${q}\n${data?.answer ?? JSON.stringify(res.body.errors)}`);
        }
      }
      return;
    }
    const cases = await withHiddenAccount(client, CASES);
    console.log(`Evaluating ${cases.length} questions and agent tasks on the demo seed (today ${today}, provider ${model.provider}${model.model ? ` ${model.model}` : ''})…`);
    const report = await runEval(client, cases, (r) => {
      const mark = r.error ? 'ERROR' : r.passed ? 'ok   ' : 'FAIL ';
      console.log(`  ${mark} ${r.id.padEnd(26)} ${r.covers}${r.error ? `: ${r.error}` : r.passed ? '' : `: missing ${JSON.stringify(r.missing)}${r.forbidden.length > 0 ? `, forbidden ${r.forbidden.join(' ')}` : ''}`}`);
      if (process.env.EVAL_VERBOSE || (!r.passed && !r.error)) console.log(`        ${r.answer.replace(/\n/g, '\n        ')}`);
    });
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log('');
    console.log(`  cases                ${cases.length}`);
    console.log(`  accuracy             ${pct(report.accuracy)} (${report.cases.filter((r) => r.passed).length}/${cases.length} answers state every expected fact, nothing forbidden)`);
    console.log(`  citation precision   ${pct(report.citationPrecision)}`);
    console.log(`  citation recall      ${pct(report.citationRecall)}`);
    console.log(`  cost per answer      ${report.costPerAnswerCents.toFixed(4)}¢ (tool cost plus model spend, as charged)`);
    console.log(`  took                 ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (report.cases.some((r) => r.error)) process.exitCode = 1;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await services.close();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
