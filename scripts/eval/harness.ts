import type { SQL } from 'drizzle-orm';

/**
 * The agents' evaluation: questions and agent tasks over the seeded demo data, each with the facts
 * its answer must state and the records it should cite, both computed from the database (as the
 * owner role, consent applied by hand) rather than written down, so they hold for any seed day and
 * size. Run through GraphQL like a client; `npm run eval` prints the figures, test/agents/eval.test.ts
 * runs a smaller set.
 */

export interface EvalCitation {
  kind: string;
  id: string;
}

/** What a case expects of its answer. */
export interface Expectation {
  /** Text the answer must contain (each one a fact: a count, a value, a name, a date). */
  facts: string[];
  /** The records the answer should cite (precision and recall are measured against them). */
  citations: EvalCitation[];
  /** Records also fine to cite (counted as correct for precision, not required for recall): an account's other deals, say. */
  relevant?: EvalCitation[];
  /** Patterns the answer must not contain (consent blamed for nothing, summed outcomes, markers in an e-mail). */
  forbid?: RegExp[];
}

/** What the harness needs: GraphQL calls as a signed-in demo user, and owner-role SQL for the truth. */
export interface EvalClient {
  gql(query: string, variables: Record<string, unknown>): Promise<{ body: { data?: unknown; errors?: { message: string }[]; extensions?: Record<string, unknown> } }>;
  sql<R extends Record<string, unknown>>(query: SQL): Promise<R[]>;
  /** The demo tenant's id, the signed-in user's id and display name, and "today" (the pinned clock's day). */
  tenantId: string;
  userId: string;
  userName: string;
  today: string;
}

/**
 * What a case asks: a workspace question (ask_workspace), a conversation (each question a follow-up
 * of the answer before it; the last answer is scored), or an agent run (fire_agent).
 */
export type EvalTask = { question: string } | { conversation: string[] } | { agent: string; targetId?: string | null; question?: string | null };

export interface EvalCase {
  id: string;
  /** What the case covers, for the report. */
  covers: string;
  run: EvalTask | ((c: EvalClient) => Promise<EvalTask>);
  expect(c: EvalClient): Promise<Expectation>;
}

export interface CaseResult {
  id: string;
  covers: string;
  passed: boolean;
  missing: string[];
  forbidden: string[];
  cited: number;
  /** Cited records that were expected or relevant. */
  correct: number;
  expected: number;
  hits: number;
  costCents: number;
  answer: string;
  error: string | null;
}

export interface EvalReport {
  cases: CaseResult[];
  /** Share of cases whose answer states every expected fact and nothing forbidden. */
  accuracy: number;
  /** Cited records that were expected or relevant, over all cited (micro-average). */
  citationPrecision: number;
  /** Expected records that were cited, over all expected (micro-average). */
  citationRecall: number;
  /** Mean cost of an answer in cents (the tool's cost plus model spend, as charged). */
  costPerAnswerCents: number;
}

const ASK = 'query($q: String!, $f: ID) { askWorkspace(question: $q, followUpOf: $f) { answer runId citations { kind id } } }';
const FIRE = `query($agent: String!, $id: ID, $q: String) {
  fireAgent(agent: $agent, targetId: $id, question: $q) {
    __typename
    ... on AgentRun { answer citations { kind id } }
    ... on AgentBlocked { reason }
  }
}`;

const key = (c: EvalCitation) => `${c.kind}:${c.id}`;

/** Runs one case: asks, then checks the answer against the expectation computed from the database. */
export async function runCase(client: EvalClient, c: EvalCase): Promise<CaseResult> {
  const base: CaseResult = { id: c.id, covers: c.covers, passed: false, missing: [], forbidden: [], cited: 0, correct: 0, expected: 0, hits: 0, costCents: 0, answer: '', error: null };
  try {
    const task = typeof c.run === 'function' ? await c.run(client) : c.run;
    const expected = await c.expect(client);
    let answer = '';
    let citations: EvalCitation[] = [];
    let cost = 0;
    if ('agent' in task) {
      const res = await client.gql(FIRE, { agent: task.agent, id: task.targetId ?? null, q: task.question ?? null });
      if (res.body.errors) throw new Error(res.body.errors.map((e) => e.message).join('; '));
      const data = (res.body.data as { fireAgent: { __typename: string; answer?: string; citations?: EvalCitation[]; reason?: string } }).fireAgent;
      answer = data.answer ?? `blocked: ${data.reason ?? ''}`;
      citations = data.citations ?? [];
      cost = Number(res.body.extensions?.cost_cents ?? 0);
    } else {
      let runId: string | null = null;
      for (const q of 'conversation' in task ? task.conversation : [task.question]) {
        const res = await client.gql(ASK, { q, f: runId });
        if (res.body.errors) throw new Error(res.body.errors.map((e) => e.message).join('; '));
        const data = (res.body.data as { askWorkspace: { answer: string; runId: string; citations: EvalCitation[] } }).askWorkspace;
        answer = data.answer;
        citations = data.citations;
        runId = data.runId;
        cost = Number(res.body.extensions?.cost_cents ?? 0);
      }
    }
    const want = new Set(expected.citations.map(key));
    const fine = new Set([...want, ...(expected.relevant ?? []).map(key)]);
    const got = new Set(citations.map(key));
    const hits = [...got].filter((k) => want.has(k)).length;
    const correct = [...got].filter((k) => fine.has(k)).length;
    const missing = expected.facts.filter((f) => !answer.includes(f));
    const forbidden = (expected.forbid ?? []).filter((p) => p.test(answer)).map(String);
    return { ...base, passed: missing.length === 0 && forbidden.length === 0, missing, forbidden, cited: got.size, correct, expected: want.size, hits, costCents: cost, answer };
  } catch (error) {
    return { ...base, error: (error as Error).message };
  }
}

/** Runs the cases one after the other (answers are charged and audited like any call) and sums up. */
export async function runEval(client: EvalClient, cases: readonly EvalCase[], onCase?: (r: CaseResult) => void): Promise<EvalReport> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(client, c);
    onCase?.(r);
    results.push(r);
  }
  const cited = results.reduce((s, r) => s + r.cited, 0);
  const expected = results.reduce((s, r) => s + r.expected, 0);
  const hits = results.reduce((s, r) => s + r.hits, 0);
  const correct = results.reduce((s, r) => s + r.correct, 0);
  return {
    cases: results,
    accuracy: results.length > 0 ? results.filter((r) => r.passed).length / results.length : 0,
    citationPrecision: cited > 0 ? correct / cited : 1,
    citationRecall: expected > 0 ? hits / expected : 1,
    costPerAnswerCents: results.length > 0 ? results.reduce((s, r) => s + r.costCents, 0) / results.length : 0,
  };
}
