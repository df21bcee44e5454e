import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { startTestPact, type TestPact } from '../helpers/pact';
import { call, leaksIn, mcpCall, startCluster, type Answer, type Cluster } from './helpers';

// An unexpected error (not an outage): tables the handlers read are renamed away under a running server.
const MOVED = ['api_keys', 'users', 'user_sessions', 'oauth_requests', 'oauth_clients'];
let cluster: Cluster | null = null;
let logs = '';
let pact: TestPact;
let key: string;
let session: string;

beforeAll(async () => {
  if (!process.env.DATABASE_URL) {
    cluster = await startCluster();
    process.env.DATABASE_URL = cluster.url;
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  pact = await startTestPact({ logger: createLogger({ level: 'info', destination: sink }), production: true });
  session = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(session, ['read:contacts']);
});

afterAll(async () => {
  await pact?.close();
  cluster?.destroy();
});

const json = { 'content-type': 'application/json' };

describe('an unexpected error on every handler', () => {
  it('is answered with a masked body whose request id leads to the logged detail', async () => {
    for (const table of MOVED) await pact.sql(sql.raw(`alter table ${table} rename to ${table}_moved`));
    const handlers: Record<string, () => Promise<Answer>> = {
      graphql: () => call(`${pact.url}/graphql`, { method: 'POST', headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ contacts { returned } }' }) }),
      mcp: () => mcpCall(pact.url, key, 7, 'query_contacts', {}),
      'auth/sign-in': () => call(`${pact.url}/auth/sign-in`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'admin@pact.demo', password: 'pact-demo' }) }),
      'auth/sign-out': () => call(`${pact.url}/auth/sign-out`, { method: 'POST', headers: { authorization: `Bearer ${session}` } }),
      'oauth/sign-in': () => call(`${pact.url}/oauth/sign-in?request=abc`),
      'oauth/token': () =>
        call(`${pact.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=authorization_code&code=abc&code_verifier=abc&client_id=some-client',
        }),
      'oauth/register': () =>
        call(`${pact.url}/oauth/register`, { method: 'POST', headers: json, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }) }),
    };
    try {
      for (const [name, request] of Object.entries(handlers)) {
        const answer = await request();
        // GraphQL over HTTP answers application/json requests with 200 and the masked error in `errors`.
        expect(answer.status, `${name}: ${answer.text}`).toBe(name === 'graphql' ? 200 : 500);
        expect(answer.headers.get('content-type'), name).toMatch(/json/);
        expect(leaksIn(answer.text), `${name}: ${answer.text}`).toEqual([]);
        expect(answer.text, name).not.toMatch(/_moved|relation|does not exist|Error/);
        const id = answer.headers.get('x-request-id') as string;
        expect(id, name).toMatch(/^[0-9a-f-]{36}$/);
        const body = JSON.parse(answer.text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        expect(body.error?.data?.requestId ?? body.error?.requestId ?? body.request_id ?? body.errors?.[0]?.extensions?.requestId, `${name}: ${answer.text}`).toBe(id);
        if (name === 'graphql') expect(body.errors).toEqual([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: id } }]);
        if (name === 'mcp') expect(body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32603, data: { code: 'INTERNAL_SERVER_ERROR' } } });
        const line = logs.split('\n').find((l) => l.includes(`"requestId":"${id}"`) && l.includes('does not exist'));
        expect(line, `${name}: no log line with ${id} and the detail`).toBeDefined();
      }
    } finally {
      for (const table of MOVED) await pact.sql(sql.raw(`alter table ${table}_moved rename to ${table}`));
    }
    expect(logs).not.toMatch(/params: (?!\[redacted\])/);
    for (const secret of [key, session]) expect(logs.includes(secret)).toBe(false);
    const after = await call(`${pact.url}/graphql`, { method: 'POST', headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ contacts { returned } }' }) });
    expect(after.status).toBe(200);
  });

  it('masks an unexpected error inside an MCP tool call (after authentication) with the request id', async () => {
    await pact.sql(sql.raw('alter table usage_ledger rename to usage_ledger_moved'));
    let answer: Answer;
    try {
      answer = await mcpCall(pact.url, key, 11, 'query_contacts', {});
    } finally {
      await pact.sql(sql.raw('alter table usage_ledger_moved rename to usage_ledger'));
    }
    expect(leaksIn(answer.text), answer.text).toEqual([]);
    expect(answer.text).not.toMatch(/_moved|relation|does not exist|usage_ledger/);
    const id = answer.headers.get('x-request-id') as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(answer.text) as { id: number; error?: { code: number; message: string; data?: { code: string; requestId: string } } };
    expect(body).toMatchObject({ id: 11, error: { code: -32603, message: 'Unexpected error.', data: { code: 'INTERNAL_SERVER_ERROR', requestId: id } } });
    const line = logs.split('\n').find((l) => l.includes(`"requestId":"${id}"`) && l.includes('does not exist'));
    expect(line, `no log line with ${id} and the detail`).toBeDefined();
  });

  it('audits a query whose statement failed inside its transaction once, as an error, after rolling it back', async () => {
    const rows = () => pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where operation = 'contacts' and outcome = 'error' and error_code = 'INTERNAL_SERVER_ERROR'`);
    const before = (await rows())[0]?.n ?? 0;
    await pact.sql(sql.raw('alter table contacts rename to contacts_moved'));
    let answer: Answer;
    try {
      answer = await call(`${pact.url}/graphql`, { method: 'POST', headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ contacts { returned } }' }) });
    } finally {
      await pact.sql(sql.raw('alter table contacts_moved rename to contacts'));
    }
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect((await rows())[0]?.n).toBe(before + 1);
    // The audit row is not attempted inside the aborted transaction.
    expect(logs).not.toMatch(/current transaction is aborted/);
  });
});
