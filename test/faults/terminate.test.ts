import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, gql, leaksIn, mcpCall, seededDatabase, spawnPact, startCluster, waitFor, type Answer, type Cluster, type PactProcess } from './helpers';

let cluster: Cluster | null = null;
let db: Awaited<ReturnType<typeof seededDatabase>>;
let instances: PactProcess[] = [];

beforeAll(async () => {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await startCluster();
    serverUrl = cluster.url;
  }
  db = await seededDatabase(serverUrl);
  // The burst lists contacts hundreds of times (on /graphql and MCP, one window): raised, so a 429 never stands in for recovery.
  const env = { DATABASE_URL: db.url, PACT_MASTER_KEY: db.masterKey, PACT_DB_POOL_MAX: '4', REDIS_URL: 'redis://127.0.0.1:6379', PACT_RATE_LIMIT_FIELDS: 'contacts=100000' };
  instances = await Promise.all([spawnPact(env), spawnPact(env)]);
});

afterAll(async () => {
  await Promise.all(instances.map((p) => p.stop()));
  await db?.drop();
  cluster?.destroy();
});

const LIST = '{ contacts(first: 5) { returned items { id name } } }';
const CREATE = 'mutation($i: ContactInput!) { createContact(input: $i) { id } }';

describe('pg_terminate_backend during a burst', () => {
  it('fails the calls in flight with masked errors; both instances stay up and serve again', async () => {
    const keys = await Promise.all(instances.map((p) => apiKey(p.url)));
    const killer = postgres(db.url, { max: 1, onnotice: () => {} });
    let running = true;
    const failures: Answer[] = [];
    let ok = 0;
    const worker = async (p: PactProcess, key: string, n: number) => {
      let i = 0;
      while (running) {
        i++;
        const answer: Answer = await (
          i % 3 === 0
            ? mcpCall(p.url, key, i, 'query_contacts', { first: 5 })
            : i % 3 === 1
              ? gql(p.url, key, CREATE, { i: { name: `Burst ${n}-${i}` } })
              : gql(p.url, key, LIST)
        ).catch((error: unknown) => ({ status: 0, headers: new Headers(), text: `no answer: ${String(error)}` }));
        if (answer.status === 0) break;
        const failed = answer.status >= 400 || /"errors"|"error"|"isError":true/.test(answer.text);
        if (failed) failures.push(answer);
        else ok++;
      }
    };
    const workers = instances.flatMap((p, k) => [0, 1, 2, 3].map((n) => worker(p, keys[k] as string, k * 10 + n)));
    let terminated = 0;
    for (let round = 0; round < 12; round++) {
      await waitFor('a few calls to pass between rounds', () => ok > round * 4 || !instances.every((p) => p.alive()) || undefined, 60_000);
      const rows = await killer<{ t: boolean }[]>`select pg_terminate_backend(pid) as t from pg_stat_activity where datname = ${db.name} and pid <> pg_backend_pid()`;
      terminated += rows.filter((r) => r.t).length;
      expect(instances.every((p) => p.alive()), instances.map((p) => p.output().slice(-2000)).join('\n')).toBe(true);
    }
    running = false;
    await Promise.all(workers);
    await killer.end();

    expect(terminated).toBeGreaterThan(0);
    expect(instances.every((p) => p.alive()), instances.map((p) => p.output().slice(-2000)).join('\n')).toBe(true);
    for (const failure of failures) expect(leaksIn(failure.text), failure.text).toEqual([]);
    for (const [k, p] of instances.entries()) {
      await waitFor(`instance ${k} to serve again`, async () => {
        const answer = await gql(p.url, keys[k] as string, LIST);
        return answer.status === 200 && !answer.text.includes('"errors"') || undefined;
      }, 30_000);
      const created = await gql(p.url, keys[k] as string, CREATE, { i: { name: `After ${k}` } });
      expect(created.status).toBe(200);
      expect(created.text).not.toContain('"errors"');
    }
  });
});
