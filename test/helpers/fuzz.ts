import { persistedOperations } from '../../src/graphql/persisted';
import { mcpTools } from '../../src/mcp/generated/tools';
import { mulberry32 } from '../../src/lib/prng';

/** mulberry32: a small seeded PRNG, so a failing request reproduces from its seed and index. */
export function prng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof prng>;

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** What was mutated, for the failure report. */
  note: string;
}

export interface FuzzCredentials {
  /** An API key with every read and write scope. */
  key: string;
  /** A signed-in user's `pact_sess_` token. */
  session: string;
}

const LONE = ['\ud800', '\udfff', 'a\udc00b', '\ud83d'];
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'x\u0000y',
  ...LONE,
  '\u202e\u0301',
  '😀'.repeat(50),
  'x'.repeat(5000),
  "'; drop table accounts; --",
  '%s%n%x',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  '01890000-0000-7000-8000-000000000000',
  '-1',
  'NaN',
  '1e309',
  'true',
  '{"a":1}',
];
const NASTY_NUMBERS = ['0', '-0', '-1', '1e400', '-1e400', '1.5', '9007199254740993', '1e-400', '2147483648', '100000000000000000000000000000'];

/** A JSON value of an arbitrary (usually wrong) type, as JSON text (so non-finite numbers and lone surrogates survive). */
function junkJson(r: Rng, depth = 0): string {
  switch (r.int(depth > 2 ? 5 : 8)) {
    case 0:
      return 'null';
    case 1:
      return r.pick(NASTY_NUMBERS);
    case 2:
      return r.pick(['true', 'false']);
    case 3:
    case 4:
      return jsonString(r.pick(NASTY_STRINGS));
    case 5:
      return `[${Array.from({ length: r.int(4) }, () => junkJson(r, depth + 1)).join(',')}]`;
    case 6:
      return `{${Array.from({ length: r.int(3) }, () => `${jsonString(r.pick(NASTY_STRINGS).slice(0, 20))}:${junkJson(r, depth + 1)}`).join(',')}}`;
    default:
      return deep(r, 50 + r.int(5000));
  }
}

/** JSON.stringify, except lone surrogates are written as \u escapes by hand (as a hostile client would). */
const jsonString = (s: string) => JSON.stringify(s);

const deep = (r: Rng, n: number) => (r.chance(0.5) ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);

/** Arguments for a tool's input schema, each property sometimes of the wrong type, plus unknown fields. */
function argumentsFor(r: Rng, schema: { properties?: Record<string, { type?: string | string[]; enum?: unknown[] }> }): string {
  const entries: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (r.chance(0.4)) continue;
    let value: string;
    if (r.chance(0.5)) value = junkJson(r);
    else if (prop.enum) value = JSON.stringify(r.pick(prop.enum));
    else if (prop.type === 'integer' || prop.type === 'number') value = r.pick(['1', '5', '100', ...NASTY_NUMBERS]);
    else if (prop.type === 'boolean') value = 'true';
    else value = jsonString(r.pick(['acme', 'a@b.example', '2026-01-01', ...NASTY_STRINGS]));
    entries.push(`${JSON.stringify(name)}:${value}`);
  }
  if (r.chance(0.2)) entries.push(`${jsonString(r.pick(NASTY_STRINGS).slice(0, 30) || 'extra')}:${junkJson(r)}`);
  return `{${entries.join(',')}}`;
}

const HEADER_JUNK = ['', ' ', 'null', 'Bearer', 'Bearer ', 'Bearer  x y', 'Basic !!!', 'Basic ' + Buffer.from('a:%').toString('base64'), 'ÿþ', 'x'.repeat(4000), '%E0%A4%A', '\t'];

function headersFor(r: Rng, creds: FuzzCredentials, contentType: string | null): Record<string, string> {
  const h: Record<string, string> = {};
  if (contentType !== null) h['content-type'] = contentType;
  switch (r.int(7)) {
    case 0:
    case 4:
    case 5:
      h.authorization = `Bearer ${creds.key}`;
      break;
    case 1:
      h.authorization = `Bearer ${creds.session}`;
      if (r.chance(0.7)) h['x-tenant-id'] = r.pick(['demo', 'globex', 'nope', 'ÿ', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300)]);
      break;
    case 2:
      h.authorization = r.pick(HEADER_JUNK);
      break;
    case 3:
      h.cookie = r.pick([`pact_session=${creds.session}`, 'pact_session=%', 'pact_session=%E0%A4%A', 'pact_session=%00', 'pact_session', '=;;=', 'a=b; pact_session=']);
      break;
    default:
      break;
  }
  if (r.chance(0.15)) h.accept = r.pick(['application/graphql-response+json', 'text/event-stream', 'application/json, text/event-stream', '*/*', 'ÿ', 'text/html']);
  if (r.chance(0.1)) h['x-forwarded-for'] = r.pick(['1.2.3.4', 'ÿ', '::1, 10.0.0.1', 'x'.repeat(500)]);
  if (r.chance(0.1)) h['idempotency-key'] = r.pick(HEADER_JUNK);
  if (r.chance(0.05)) h.origin = r.pick(['https://evil.example', 'null', 'ÿ']);
  if (r.chance(0.05)) h['user-agent'] = r.pick(HEADER_JUNK);
  return h;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/graphql+json',
  'application/graphql',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'text/plain',
  'application/octet-stream',
  'application/jsonx',
  'ÿ/ÿ',
];

const INVALID_UTF8 = [
  [0xff, 0xfe],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc0, 0xaf],
];

/** A body: sometimes valid, usually mutated (bad JSON, wrong top-level type, nesting, invalid UTF-8, oversize). */
function mutateBody(r: Rng, valid: string): { body: string | Uint8Array<ArrayBuffer>; note: string } {
  switch (r.int(14)) {
    case 0:
      return { body: r.pick(['null', '0', '-1e400', '[]', '[null]', '"x"', 'true', '{}', '']), note: 'top-level type' };
    case 1:
      return { body: valid.slice(0, r.int(valid.length)), note: 'truncated JSON' };
    case 2:
      return { body: deep(r, 1000 + r.int(20_000)), note: 'deep nesting' };
    case 3: {
      const bytes = Buffer.from(valid);
      const at = r.int(bytes.length + 1);
      return { body: new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from(r.pick(INVALID_UTF8)), bytes.subarray(at)])), note: 'invalid UTF-8' };
    }
    case 4:
      return { body: `{"x":"${'a'.repeat(r.chance(0.03) ? 3 * 1024 * 1024 : 200 * 1024)}"}`, note: 'oversized' };
    case 5:
      return { body: valid.replace(/"([^"\\]{1,40})"/, `"$1\\ud800"`), note: 'lone surrogate' };
    case 6:
      return { body: valid.replace(/"([^"\\]{1,40})"/, `"$1\\u0000"`), note: 'NUL' };
    case 7:
      return { body: valid.replace(/}$/, `,${jsonString(r.pick(NASTY_STRINGS).slice(0, 20) || 'unknown')}:${junkJson(r)}}`), note: 'unknown field' };
    case 8:
      return { body: valid.replace(/:("[^"]*"|\d+|true|false|null)/, `:${junkJson(r)}`), note: 'wrong type' };
    case 9:
      return { body: `${valid}${r.pick(['x', '}', ',', ' {}'])}`, note: 'trailing junk' };
    case 10:
      return { body: valid.replace(/\d+/, r.pick(NASTY_NUMBERS)), note: 'huge number' };
    default:
      return { body: valid, note: 'valid shape' };
  }
}

const OPERATIONS = Object.values(persistedOperations());
const GRAPHQL_QUERIES = [
  '{ viewer { role } }',
  '{ accounts(first: 5) { returned items { id name } } }',
  'query($s: String) { accounts(filter: { search: $s }) { returned } }',
  'query($n: Int) { contacts(first: $n) { returned } }',
  'query($id: ID!) { account(id: $id) { id } }',
  'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }',
  'mutation { createAccount(input: { name: "x\\u0000" }) { id } }',
  `{ ${'nope '.repeat(300)} }`,
  `{ ${'viewer { role } '.repeat(200)} }`,
  `{ ${'a { '.repeat(40)}b${' }'.repeat(40)} }`,
  '{ accounts(first: ',
  'subscription { x }',
  '{ __schema { types { name } } }',
  'query Q { viewer { role } } query Q { viewer { role } }',
  '{ viewer { role @include(if: $x) } }',
];

function graphqlRequest(r: Rng, creds: FuzzCredentials): FuzzRequest {
  const query = r.chance(0.5) ? r.pick(OPERATIONS) : r.pick(GRAPHQL_QUERIES);
  const tool = r.pick(mcpTools);
  const variables = r.chance(0.7) ? argumentsFor(r, tool.inputSchema) : junkJson(r);
  const fields = [`"query":${JSON.stringify(query)}`, `"variables":${variables}`];
  if (r.chance(0.1)) fields.push(`"operationName":${junkJson(r)}`);
  if (r.chance(0.1)) fields.push(`"extensions":${r.chance(0.5) ? `{"persistedQuery":{"version":1,"sha256Hash":${junkJson(r)}}}` : junkJson(r)}`);
  if (r.chance(0.05)) fields.push(`"documentId":${junkJson(r)}`);
  const valid = `{${fields.join(',')}}`;
  if (r.chance(0.12)) {
    const qs = `query=${pct(query)}&variables=${r.chance(0.5) ? pct(variables) : r.pick(['%7B', '%E0%A4%A', '%00', 'null', '5'])}`;
    return { method: 'GET', path: `/graphql?${qs}`, headers: headersFor(r, creds, null), note: 'GET' };
  }
  const { body, note } = mutateBody(r, valid);
  const ct = r.chance(0.8) ? 'application/json' : r.pick(CONTENT_TYPES);
  return { method: r.chance(0.95) ? 'POST' : r.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS']), path: r.pick(['/graphql', '/graphql/']), headers: headersFor(r, creds, ct), body, note };
}

/** Header values a 2026-07-28 request may carry, right or wrong (ASCII only: fetch refuses others). */
const MODERN_VERSIONS = ['2026-07-28', '2026-07-28', '2027-01-01', '2025-11-25', '', 'x'];

/** A 2026-07-28 `_meta` envelope: mostly valid, sometimes junk. */
const envelope = (r: Rng, version: string) =>
  r.chance(0.8)
    ? `"_meta":{"io.modelcontextprotocol/protocolVersion":${JSON.stringify(version)},"io.modelcontextprotocol/clientInfo":{"name":"fuzz","version":"1"},"io.modelcontextprotocol/clientCapabilities":${r.chance(0.9) ? '{}' : junkJson(r)}}`
    : `"_meta":{"io.modelcontextprotocol/protocolVersion":${junkJson(r)}}`;

function mcpRequest(r: Rng, creds: FuzzCredentials): FuzzRequest {
  const tool = r.pick(mcpTools);
  const params = r.int(6);
  const modern = r.chance(0.35);
  const version = r.pick(MODERN_VERSIONS);
  const meta = modern ? `${envelope(r, version)},` : '';
  const method = params === 0 ? 'tools/list' : params === 1 ? r.pick(['initialize', 'ping', 'tools/call', 'resources/list', 'server/discover', 'x', ...NASTY_STRINGS]) : 'tools/call';
  const name = r.chance(0.9) ? tool.name : null;
  const message =
    params === 0
      ? `{"jsonrpc":"2.0","id":${junkJson(r)},"method":"tools/list"${modern ? `,"params":{${meta.slice(0, -1)}}` : ''}}`
      : params === 1
        ? `{"jsonrpc":"2.0","id":1,"method":${jsonString(method)},"params":${modern ? `{${meta}"x":${junkJson(r)}}` : junkJson(r)}}`
        : `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{${meta}"name":${name === null ? junkJson(r) : JSON.stringify(name)},"arguments":${r.chance(0.85) ? argumentsFor(r, tool.inputSchema) : junkJson(r)}}}`;
  const { body, note } = mutateBody(r, message);
  const ct = r.chance(0.8) ? 'application/json' : r.pick(CONTENT_TYPES);
  const headers = headersFor(r, creds, ct);
  headers.accept ??= 'application/json, text/event-stream';
  if (modern) {
    if (r.chance(0.9)) headers['mcp-protocol-version'] = r.chance(0.8) ? version : r.pick(MODERN_VERSIONS);
    if (r.chance(0.9)) headers['mcp-method'] = r.chance(0.85) && /^[\x20-\x7e]*$/.test(method) ? method : r.pick(['tools/list', 'tools/call', 'ping']);
    if (r.chance(0.8)) {
      const named = r.chance(0.7) && name !== null ? name : r.pick(mcpTools).name;
      headers['mcp-name'] = r.pick([named, named, `=?base64?${Buffer.from(named).toString('base64')}?=`, '=?base64?***?=', '=?base64?', '']);
    }
  }
  return { method: r.chance(0.93) ? 'POST' : r.pick(['GET', 'DELETE', 'PUT']), path: r.pick(['/mcp', '/mcp/']), headers, body, note };
}

/** Percent-encoding that writes a lone surrogate as its (invalid) 3-byte UTF-8 form instead of throwing. */
const pct = (s: string) => s.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part))).join('');
const form = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
const FORM_VALUES = ['x', 'authorization_code', 'refresh_token', 'client_credentials', 'S256', 'plain', 'https://a.example/cb', 'http://127.0.0.1:1/cb', 'javascript:alert(1)', ...NASTY_STRINGS];

function formBody(r: Rng, names: string[]): string {
  const fields: Record<string, string> = {};
  for (const name of names) if (r.chance(0.7)) fields[name] = r.pick(FORM_VALUES);
  let text = form(fields);
  if (r.chance(0.2)) text += r.pick(['&%E0%A4%A=1', '&a=%', '&&&', '&a[b]=1', '&client_id=%00', '&=', `&${'a'.repeat(2000)}=1`]);
  return text;
}

function oauthRequest(r: Rng, creds: FuzzCredentials): FuzzRequest {
  const endpoint = r.pick(['authorize', 'token', 'register', 'revoke', 'sign-in', 'consent', 'well-known']);
  const headers = headersFor(r, creds, r.chance(0.8) ? 'application/x-www-form-urlencoded' : r.pick(CONTENT_TYPES));
  const oauthNames = ['grant_type', 'code', 'code_verifier', 'redirect_uri', 'client_id', 'client_secret', 'refresh_token', 'resource', 'scope', 'token', 'token_type_hint'];
  switch (endpoint) {
    case 'authorize': {
      const qs = formBody(r, ['client_id', 'redirect_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'state', 'scope', 'resource']);
      return r.chance(0.6)
        ? { method: 'GET', path: `/oauth/authorize?${qs}`, headers, note: 'authorize GET' }
        : { method: 'POST', path: '/oauth/authorize', headers, body: qs, note: 'authorize POST' };
    }
    case 'token':
    case 'revoke': {
      const body = r.chance(0.8) ? formBody(r, oauthNames) : mutateBody(r, '{"grant_type":"authorization_code","client_id":"x"}').body;
      if (r.chance(0.2)) headers.authorization = `Basic ${Buffer.from(`${r.pick(NASTY_STRINGS)}:${r.pick(NASTY_STRINGS)}`).toString('base64')}`;
      return { method: r.chance(0.9) ? 'POST' : 'GET', path: `/oauth/${endpoint}`, headers, body: r.chance(0.95) ? body : undefined, note: endpoint };
    }
    case 'register': {
      headers['content-type'] = r.chance(0.8) ? 'application/json' : r.pick(CONTENT_TYPES);
      const valid = `{"redirect_uris":[${jsonString(r.pick(FORM_VALUES))}],"client_name":${jsonString(r.pick(NASTY_STRINGS))},"token_endpoint_auth_method":${jsonString(r.pick(['none', 'client_secret_post', 'x']))},"grant_types":${junkJson(r)}}`;
      const { body, note } = mutateBody(r, valid);
      return { method: r.chance(0.95) ? 'POST' : r.pick(['GET', 'OPTIONS']), path: '/oauth/register', headers, body, note: `register ${note}` };
    }
    case 'sign-in':
    case 'consent': {
      const id = r.pick(['', 'abc', '%00', '%E0%A4%A', '00000000-0000-0000-0000-000000000000', 'x'.repeat(100), '%F0%9F%98%80']);
      if (r.chance(0.5)) return { method: 'GET', path: `/oauth/${endpoint}?request=${id}`, headers, note: `${endpoint} page GET` };
      const body = formBody(r, ['request', 'email', 'password', 'csrf', 'decision', 'tenant']);
      if (r.chance(0.5)) delete headers.origin;
      return { method: r.chance(0.9) ? 'POST' : 'PUT', path: `/oauth/${endpoint}`, headers, body, note: `${endpoint} page POST` };
    }
    default:
      return { method: r.pick(['GET', 'OPTIONS', 'POST']), path: r.pick(['/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/mcp', '/.well-known/nope', '/oauth/nope']), headers, note: 'discovery' };
  }
}

function authRequest(r: Rng, creds: FuzzCredentials): FuzzRequest {
  const path = r.pick(['/auth/sign-in', '/auth/sign-out', '/auth/sign-in/', '/auth/nope']);
  // Well-formed sign-ins cost a password hash each: a few are enough.
  const valid = `{"email":${jsonString(r.chance(0.1) ? r.pick(['admin@pact.demo', 'nobody@pact.demo']) : r.pick(NASTY_STRINGS))},"password":${jsonString(r.pick(['wrong', ...NASTY_STRINGS]))},"kind":${jsonString(r.pick(['token', 'browser', 'x']))}}`;
  const { body, note } = mutateBody(r, valid);
  const headers = headersFor(r, creds, r.chance(0.8) ? 'application/json' : r.pick(CONTENT_TYPES));
  return { method: r.chance(0.9) ? 'POST' : r.pick(['GET', 'PUT']), path, headers, body, note: `auth ${note}` };
}

/** One malformed request to /graphql, /mcp, /oauth/* or /auth/*. */
export function fuzzRequest(r: Rng, creds: FuzzCredentials): FuzzRequest {
  const family = r.next();
  if (family < 0.4) return graphqlRequest(r, creds);
  if (family < 0.65) return mcpRequest(r, creds);
  if (family < 0.85) return oauthRequest(r, creds);
  return authRequest(r, creds);
}

/** What no answer may contain: stack frames, source paths, SQL, internal errors. */
export const LEAKS = /\n\s+at |node_modules|\.ts:\d+|Failed query|syntax error at or near|invalid byte sequence|INTERNAL_SERVER_ERROR|server_error/;

export interface FuzzResult {
  status: number;
  body: string;
}

/** The request at `index` of the run seeded `seed`: each request has its own generator, so one reproduces alone. */
export function fuzzAt(seed: number, index: number, creds: FuzzCredentials): FuzzRequest {
  return fuzzRequest(prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)), creds);
}

/** Sends a fuzzed request; a transport failure (the server dropped the connection) is reported as status 0. */
export async function send(base: string, request: FuzzRequest): Promise<FuzzResult> {
  try {
    const res = await fetch(`${base}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD' ? { body: request.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: String((error as { cause?: unknown }).cause ?? error) };
  }
}

/** A request as text for a failure report (bodies cut to 300 characters). */
export function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('latin1');
  const cut = body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body;
  return `${request.method} ${request.path.slice(0, 200)} [${request.note}] headers=${JSON.stringify(request.headers).slice(0, 300)} body=${JSON.stringify(cut)}`;
}

/** A failure: a 5xx, a dropped connection, or a body that leaks internals. */
export const failed = (res: FuzzResult) => res.status >= 500 || res.status === 0 || LEAKS.test(res.body);

/**
 * Sends requests (built lazily, so big bodies do not pile up) `concurrency` at a time and returns
 * one report line per failure: index, status, body and the request.
 */
export async function runFuzz(base: string, requests: (FuzzRequest | (() => FuzzRequest))[], concurrency = 4): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const entry = requests[index];
      if (!entry) continue;
      const request = typeof entry === 'function' ? entry() : entry;
      const res = await send(base, request);
      if (failed(res)) failures.push(`#${index} → ${res.status} ${res.body.slice(0, 300)}\n    ${describeRequest(request)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}
