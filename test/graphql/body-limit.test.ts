import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BODY } from '../../src/pipeline/plugins/use-request-body-limit';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts']);
});
afterAll(() => pact.close());

/** POSTs `chunks` to /graphql, with `Content-Length` when given, else chunked; the status and body. */
function post(chunks: Buffer[], contentLength?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${pact.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(contentLength ? { 'content-length': contentLength } : {}) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('/graphql request body limit', () => {
  it('answers a framed body within the limit', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ accounts(first: 1) { returned } }' }));
    const res = await post([body], String(body.length));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ data: { accounts: { returned: 1 } } });
  });

  it('answers a chunked body within the limit', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ accounts(first: 1) { returned } }' }));
    const res = await post([body.subarray(0, 10), body.subarray(10)]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ data: { accounts: { returned: 1 } } });
  });

  it('refuses a declared length past the limit with 413 before reading the body', async () => {
    // The server answers before the rest of the declared body is sent.
    const res = await post([Buffer.from('{}')], String(MAX_REQUEST_BODY + 1)).catch(() => null);
    expect(res?.status).toBe(413);
    expect(res?.body).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a chunked body past the limit', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const chunks = [Buffer.from('{"query":"{ accounts { returned } }","x":"'), ...Array.from({ length: Math.ceil(MAX_REQUEST_BODY / chunk.length) + 1 }, () => chunk)];
    const res = await post(chunks).catch(() => null);
    // Refused before execution (HTTP 400 from the server here, as before this plugin); never answered.
    expect(res?.status).toBeGreaterThanOrEqual(400);
    expect(res?.body ?? '').not.toContain('"data"');
  });
});
