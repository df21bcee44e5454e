import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, call, gql, leaksIn, mcpCall, seededDatabase, spawnPact, startCluster, startProxy, waitFor, type Answer, type Cluster, type PactProcess, type Proxy } from './helpers';

// A throwaway cluster behind a TCP proxy the test controls; two instances share it and Redis.
let cluster: Cluster;
let proxy: Proxy;
let db: Awaited<ReturnType<typeof seededDatabase>>;
let instances: PactProcess[] = [];
let keys: string[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  db = await seededDatabase(cluster.url);
  proxy = await startProxy(cluster.port);
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const env = { DATABASE_URL: viaProxy.toString(), PACT_MASTER_KEY: db.masterKey, PACT_DB_POOL_MAX: '3', REDIS_URL: 'redis://127.0.0.1:6379' };
  instances = await Promise.all([spawnPact(env), spawnPact(env)]);
  keys = await Promise.all(instances.map((p) => apiKey(p.url)));
});

afterAll(async () => {
  await Promise.all(instances.map((p) => p.stop()));
  await proxy?.close();
  await db?.drop();
  cluster?.destroy();
});

const LIST = '{ contacts(first: 5) { returned items { id name } } }';
const CREATE = 'mutation($i: ContactInput!) { createContact(input: $i) { id } }';

/** One request to every handler that reaches the database. */
const everyHandler = (base: string, key: string): Record<string, () => Promise<Answer>> => ({
  graphql: () => gql(base, key, LIST),
  mcp: () => mcpCall(base, key, 41, 'query_contacts', { first: 5 }),
  'auth/sign-in': () =>
    call(`${base}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@pact.demo', password: 'x' }) }),
  'oauth/sign-in': () => call(`${base}/oauth/sign-in?request=abc`),
  'oauth/token': () =>
    call(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=abc&code_verifier=abc&client_id=some-client',
    }),
  'oauth/register': () =>
    call(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], client_name: 'faults', token_endpoint_auth_method: 'none' }),
    }),
});

/** The request id a masked body carries, checked against the X-Request-Id header. */
function requestIdOf(answer: Answer): string {
  const header = answer.headers.get('x-request-id');
  expect(header).toMatch(/^[0-9a-f-]{36}$/);
  const body = JSON.parse(answer.text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const inBody = body.error?.data?.requestId ?? body.error?.requestId ?? body.request_id ?? body.errors?.[0]?.extensions?.requestId;
  expect(inBody, answer.text).toBe(header);
  return header as string;
}

async function expectServing(p: PactProcess, key: string, what: string) {
  await waitFor(what, async () => {
    const answer = await gql(p.url, key, LIST);
    return (answer.status === 200 && !answer.text.includes('"errors"')) || undefined;
  }, 30_000);
  const created = await gql(p.url, key, CREATE, { i: { name: `After ${what}` } });
  expect(created.text).not.toContain('"errors"');
  expect((await call(`${p.url}/healthz`)).status).toBe(200);
}

describe('the database path dropped, then restored', () => {
  it('answers 503 with a masked body, Retry-After and a logged request id on every handler; recovers by itself', async () => {
    let running = true;
    const inFlight: Answer[] = [];
    const burst = instances.flatMap((p, k) =>
      [0, 1, 2].map(async (n) => {
        for (let i = 0; running; i++) {
          inFlight.push(await (i % 2 ? gql(p.url, keys[k] as string, CREATE, { i: { name: `Drop ${n}-${i}` } }) : mcpCall(p.url, keys[k] as string, i, 'query_contacts', {})));
        }
      }),
    );
    await waitFor('calls to flow', () => inFlight.length > 10 || undefined);
    await proxy.drop();
    const dropped = inFlight.length;
    await waitFor('calls to fail after the drop', () => inFlight.length > dropped + 12 || undefined);
    running = false;
    await Promise.all(burst);

    for (const answer of inFlight) expect(leaksIn(answer.text), answer.text).toEqual([]);
    expect(inFlight.slice(dropped).some((a) => a.status === 503 && a.headers.get('retry-after') === '2')).toBe(true);

    for (const [k, p] of instances.entries()) {
      for (const [name, request] of Object.entries(everyHandler(p.url, keys[k] as string))) {
        const answer = await request();
        expect(answer.status, `${name}: ${answer.text}`).toBe(503);
        expect(answer.headers.get('retry-after'), name).toBe('2');
        expect(answer.headers.get('content-type'), name).toMatch(/json/);
        expect(answer.text, name).toMatch(/DATABASE_UNAVAILABLE|temporarily_unavailable/);
        expect(leaksIn(answer.text), `${name}: ${answer.text}`).toEqual([]);
        const id = requestIdOf(answer);
        const logged = await waitFor(`${name}'s request id in the log`, () =>
          p.output().split('\n').find((line) => line.includes(`"requestId":"${id}"`) && /ECONNREFUSED|CONNECTION_|ECONNRESET/.test(line)),
        );
        expect(logged).not.toMatch(/params: (?!\[redacted\])/);
        if (name === 'mcp') expect(JSON.parse(answer.text)).toMatchObject({ jsonrpc: '2.0', id: 41, error: { code: -32603 } });
      }
      const health = await call(`${p.url}/healthz`);
      expect(health.status).toBe(503);
      expect(JSON.parse(health.text)).toEqual({ ok: false, database: 'unreachable' });
      expect(health.headers.get('x-request-id')).toBeTruthy();
      for (const path of ['/.well-known/oauth-authorization-server', '/nowhere']) {
        expect((await call(`${p.url}${path}`)).headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(p.alive()).toBe(true);
    }

    await proxy.restore();
    for (const [k, p] of instances.entries()) await expectServing(p, keys[k] as string, `instance ${k} after the path returns`);
  });
});

describe('the database restarted', () => {
  it('fails calls while it is down and serves again once it is back, on both instances', async () => {
    cluster.stop();
    for (const [k, p] of instances.entries()) {
      const answer = await waitFor(`instance ${k} to notice the database is gone`, async () => {
        const a = await gql(p.url, keys[k] as string, LIST);
        return a.status === 503 ? a : undefined;
      });
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(leaksIn(answer.text), answer.text).toEqual([]);
      requestIdOf(answer);
      expect((await call(`${p.url}/healthz`)).status).toBe(503);
    }
    cluster.start();
    for (const [k, p] of instances.entries()) await expectServing(p, keys[k] as string, `instance ${k} after the restart`);
    expect(instances.every((p) => p.alive())).toBe(true);
  });
});
