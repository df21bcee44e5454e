import { createPactServer, PactConsentStore, z } from '@pact/mcp-server';
import { createTestClient } from '@pact/mcp-server/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { startTestPact, type TestPact } from '../helpers/pact';

const CHECK = 'query ConsentCheck($subject: String!) { consentCheck(subject: $subject) { allowed status } }';
/** Fresh subjects (no contacts), so each status is set here and nothing else touches them. */
const S = {
  granted: 'granted.person@check.example',
  withdrawn: 'withdrawn.person@check.example',
  suppressed: 'Suppressed.Person@Check.example',
  erased: 'erased.person@check.example',
  unknown: 'never.seen@check.example',
  domain: 'withdrawn-domain.example',
};

let pact: TestPact;
let admin: string;
let checkKey: string;
let trustedKey: string;
let readKey: string;
let erasedSubjectId: string;
const logLines: string[] = [];

beforeAll(async () => {
  pact = await startTestPact({
    limits: { fieldPerMin: { consentCheck: 40 } },
    logger: createLogger({ level: 'trace', destination: { write: (line: string) => void logLines.push(line) } }),
  });
  admin = await pact.signIn('admin@pact.demo');
  const set = async (mutation: string, kind: 'EMAIL' | 'DOMAIN', value: string) => {
    const res = await pact.gql<Record<string, { id: string }>>(`mutation($s: ConsentSubjectInput!) { ${mutation}(subject: $s) { id } }`, { s: { kind, value } }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    return Object.values(res.body.data ?? {})[0]?.id as string;
  };
  await set('grantConsent', 'EMAIL', S.granted);
  await set('withdrawConsent', 'EMAIL', S.withdrawn);
  await set('suppressConsent', 'EMAIL', S.suppressed);
  erasedSubjectId = await set('eraseConsent', 'EMAIL', S.erased);
  await set('withdrawConsent', 'DOMAIN', S.domain);
  checkKey = await pact.mintKey(admin, ['check:consent']);
  readKey = await pact.mintKey(admin, ['read:contacts', 'write:consent']);
  const trusted = await pact.gql<{ createApiKey: { secret: string } }>(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
    { input: { name: 'consent checker', scopes: ['check:consent'], trustedDocumentsOnly: true } },
    { token: admin },
  );
  trustedKey = trusted.body.data?.createApiKey.secret as string;
});
afterAll(() => pact?.close());

const check = (subject: string, token = checkKey) => pact.gql<{ consentCheck: { allowed: boolean; status: string | null } }>(CHECK, { subject }, { token });

const auditRows = () =>
  pact.sql<{ row: string; outcome: string; operation: string; error_code: string | null }>(
    sql`select row_to_json(a)::text as row, outcome::text as outcome, operation, error_code from audit_log a where operation = 'consentCheck' order by seq`,
  );

describe('consentCheck over /graphql', () => {
  it.each([
    [S.granted, true, 'GRANTED'],
    [S.withdrawn, false, 'WITHDRAWN'],
    [S.suppressed.toLowerCase(), false, 'SUPPRESSED'],
    [S.unknown, true, null],
    [S.domain, false, 'WITHDRAWN'],
    ['WWW.' + S.domain.toUpperCase(), false, 'WITHDRAWN'],
  ])('%s → allowed %s, status %s', async (subject, allowed, status) => {
    const res = await check(subject);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.consentCheck).toEqual({ allowed, status });
    expect(res.body.extensions?.cost_cents).toBe(0.01);
  });

  it('an erased e-mail reads as unknown (no fingerprint kept); its consent subject id reads as erased', async () => {
    expect((await check(S.erased)).body.data?.consentCheck).toEqual({ allowed: true, status: null });
    expect((await check(erasedSubjectId)).body.data?.consentCheck).toEqual({ allowed: false, status: 'ERASED' });
  });

  it('answers a key restricted to persisted operations (the operation is in the manifest)', async () => {
    expect((await check(S.withdrawn, trustedKey)).body.data?.consentCheck).toEqual({ allowed: false, status: 'WITHDRAWN' });
  });

  it('a check:consent key answers nothing else: no consent record, no contact', async () => {
    for (const query of ['{ contacts(first: 1) { returned } }', '{ consentSubject(subject: { kind: EMAIL, value: "withdrawn.person@check.example" }) { status history { reason } } }']) {
      const res = await pact.gql(query, {}, { token: checkKey });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('refuses a key without check:consent, naming the scope, and a subject that is neither e-mail, domain nor id', async () => {
    const refused = await check(S.withdrawn, readKey);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.[0]).toMatchObject({ message: "Missing required scope 'check:consent'.", extensions: { code: 'FORBIDDEN', scope: 'check:consent' } });
    const bad = await check('not a subject!');
    expect(bad.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(bad.body.errors?.[0]?.message).not.toContain('not a subject!');
  });

  it('writes one audit row per call, with neither the subject nor anything else in plain text; the log never holds it', async () => {
    const before = (await auditRows()).length;
    const subject = 'audit.probe@check.example';
    await check(subject);
    await check(subject, readKey);
    const rows = (await auditRows()).slice(before);
    expect(rows.map((r) => [r.outcome, r.error_code])).toEqual([
      ['ok', null],
      ['denied', 'FORBIDDEN'],
    ]);
    for (const r of rows) {
      expect(r.row.toLowerCase()).not.toContain('audit.probe');
      expect(JSON.parse(r.row).arg_digest).toMatch(/^[A-Za-z0-9+/=_:-]{20,}$/);
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n').toLowerCase()).not.toContain('check.example');
  });
});

describe('PactConsentStore against a running Pact', () => {
  const server = (store: PactConsentStore) => {
    const runs: string[] = [];
    const pactServer = createPactServer('orders', { consentStore: store }).tool(
      'lookup_orders',
      { description: 'Orders by e-mail.', costCents: 0.1, consentSubject: 'email', schema: z.object({ email: z.string() }) },
      ({ email }) => (runs.push(email), { email, orders: [] }),
    );
    return { pactServer, runs };
  };

  it('reads each status from Pact: blocked ones answer as data and the handler does not run', async () => {
    const store = new PactConsentStore({ url: pact.url, apiKey: checkKey });
    expect(await store.check(S.granted)).toBe('granted');
    expect(await store.check(S.withdrawn)).toBe('withdrawn');
    expect(await store.check(S.suppressed)).toBe('suppressed');
    expect(await store.check(erasedSubjectId)).toBe('erased');
    expect(await store.check(S.unknown)).toBe('unknown');
    const { pactServer, runs } = server(new PactConsentStore({ url: `${pact.url}/graphql`, apiKey: trustedKey }));
    const client = await createTestClient(pactServer);
    try {
      expect((await client.callTool('lookup_orders', { email: S.withdrawn })).structuredContent).toEqual({ blocked: true, reason: 'consent_withdrawn', cost_cents: 0 });
      expect((await client.callTool('lookup_orders', { email: S.suppressed })).structuredContent).toEqual({ blocked: true, reason: 'consent_suppressed', cost_cents: 0 });
      expect((await client.callTool('lookup_orders', { email: erasedSubjectId })).structuredContent).toEqual({ blocked: true, reason: 'consent_erased', cost_cents: 0 });
      expect((await client.callTool('lookup_orders', { email: S.granted })).structuredContent).toEqual({ email: S.granted, orders: [], cost_cents: 0.1 });
      expect(runs).toEqual([S.granted]);
    } finally {
      await client.close();
    }
  });

  it('fails closed with Pact’s reason when the key lacks the scope or Pact is unreachable', async () => {
    const { pactServer, runs } = server(new PactConsentStore({ url: pact.url, apiKey: readKey }));
    const client = await createTestClient(pactServer);
    try {
      const refused = await client.callTool('lookup_orders', { email: S.granted });
      expect(refused.isError).toBe(true);
      expect(refused.content).toEqual([{ type: 'text', text: "Consent check failed, so lookup_orders did not run: Consent check refused by Pact: Missing required scope 'check:consent'." }]);
      await expect(new PactConsentStore({ url: 'http://127.0.0.1:9', apiKey: checkKey }).check(S.granted)).rejects.toMatchObject({ code: 'UNREACHABLE' });
      expect(runs).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('is rate-limited like every root field: RATE_LIMITED with the retry hint, audited as rate_limited', async () => {
    const store = new PactConsentStore({ url: pact.url, apiKey: checkKey });
    let refusal: unknown = null;
    for (let i = 0; i < 41 && refusal === null; i += 1) {
      await store.check(S.granted).catch((error: unknown) => {
        refusal = error;
      });
    }
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^Consent check refused by Pact: Rate limit exceeded for operation:consentCheck: 40 calls per 60 s\. Retry after \d+ s\.$/) });
    const raw = await check(S.granted);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(raw.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 40, window_s: 60, scope: 'operation:consentCheck' });
    expect((await auditRows()).at(-1)).toMatchObject({ outcome: 'rate_limited', error_code: 'RATE_LIMITED' });
  });
});
