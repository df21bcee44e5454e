/**
 * `pact.toml`: what a tool author declares about their MCP server and the governance Pact's
 * federation gateway enforces on each of its tools. One module, read by `pact mcp validate`,
 * `pact mcp dev` (on every reload) and `pact mcp publish`.
 *
 * Decisions (documented in the README, "Build your own MCP server"):
 * - `slug`: 1–32 characters, lowercase letters and digits in groups joined by single `-` or `_`
 *   (`/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/`): no `__`, so a federated name `<slug>__<tool>` splits
 *   back unambiguously; and `<slug>__<tool>` must stay within 64 characters (several MCP clients'
 *   limit), so each `[tools.X]` name is checked against the slug too.
 * - Tool names: letters, digits, `_` and `-` (no dots: several clients reject them).
 * - `endpoint_url`: an absolute http(s) URL without user name or password (the secret travels
 *   in `PACT_MCP_AUTH_SECRET`, never in the file).
 * - Defaults: `transport = "streamable_http"`, `auth_kind = "none"`; for a tool `enabled = true`,
 *   `pii_policy = "redact"`, `est_cost_cents = 0`, no extra rate limit or cost cap.
 *   `allowed_roles` has no default: an entry names who may call its tool (an empty list is refused;
 *   `enabled = false` turns a tool off).
 * - Costs are cents (decimals allowed, never negative); `est_cost_cents` may not exceed
 *   `cost_cap_cents` (the cap is the tool's daily budget per tenant, so one call must fit in it).
 * - `allowed_roles` names Pact's member roles, and `api` to let API keys call the tool too.
 * - `[server]` may also say what `pact mcp publish` writes in `server.json` (src/cli/lib/server-json.ts):
 *   `registry_name` (reverse-DNS `namespace/name`), `description` (at most 100 characters) and
 *   `version`; each has a default.
 */
import { builtinModules } from 'node:module';
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import type { Role } from '../../services/auth/scopes';

export const TRANSPORTS = ['streamable_http', 'sse'] as const;
export const AUTH_KINDS = ['none', 'bearer', 'header', 'oauth'] as const;
export const PII_POLICIES = ['redact', 'allow', 'block'] as const;
/** The roles a `[tools.X]` entry may allow: Pact's member roles, and `api` (the role API keys act as). */
export const ALLOWED_ROLES = ['owner', 'admin', 'manager', 'member', 'api'] as const satisfies readonly Role[];

export const SLUG_PATTERN = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
export const SLUG_MAX = 32;
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** `<slug>__<tool>` at most this long. */
export const FEDERATED_NAME_MAX = 64;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The MCP registry's server name: `namespace/name`, the namespace in reverse-DNS form. */
export const REGISTRY_NAME_PATTERN = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;

const cents = (what: string) =>
  z
    .number({ invalid_type_error: `expected a number of cents (${what})` })
    .finite()
    .nonnegative({ message: 'must not be negative' });

const serverSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters'),
    slug: z
      .string()
      .max(SLUG_MAX, `at most ${SLUG_MAX} characters`)
      .regex(SLUG_PATTERN, 'lowercase letters and digits, groups joined by single "-" or "_" (e.g. "my-tools")'),
    endpoint_url: z.string().superRefine((value, ctx) => {
      const problem = endpointProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    transport: z.enum(TRANSPORTS).default('streamable_http'),
    auth_kind: z.enum(AUTH_KINDS).default('none'),
    auth_header: z.string().regex(HEADER_NAME, 'not a valid HTTP header name').optional(),
    registry_name: z
      .string()
      .min(3, 'at least 3 characters')
      .max(200, 'at most 200 characters')
      .regex(REGISTRY_NAME_PATTERN, 'a reverse-DNS namespace, one "/" and a name (e.g. "com.acme/my-tools")')
      .optional(),
    description: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters (the registry\'s limit)').optional(),
    version: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(255, 'at most 255 characters')
      .refine((v) => v !== 'latest' && !/[\^~<>=*]|\.x\b/.test(v), 'a specific version such as "1.0.2", not a range')
      .optional(),
  })
  .strict();

const toolSchema = z
  .object({
    enabled: z.boolean().default(true),
    allowed_roles: z.array(z.enum(ALLOWED_ROLES)).min(1, 'name at least one role (set enabled = false to turn the tool off)'),
    rate_limit_per_min: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100_000, 'at most 100000')
      .optional(),
    cost_cap_cents: cents('the daily budget per tenant').optional(),
    est_cost_cents: cents('the estimated cost of one call').default(0),
    pii_policy: z.enum(PII_POLICIES).default('redact'),
  })
  .strict();

const fileSchema = z
  .object({
    server: serverSchema,
    tools: z.record(toolSchema).default({}),
  })
  .strict();

export type PactToml = z.infer<typeof fileSchema>;
export type PactTomlServer = PactToml['server'];
export type PactTomlTool = PactToml['tools'][string];

export interface PactTomlError {
  /** 1-based line in the file the error is about. */
  line: number;
  /** Dotted path of the field (`server.transport`, `tools.lookup_orders.pii_policy`), or `toml` for a syntax error. */
  field: string;
  message: string;
}

export type PactTomlResult = { ok: true; config: PactToml } | { ok: false; errors: PactTomlError[] };

function endpointProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a URL: "${value}" (expected e.g. "https://my-tools.example.com/mcp")`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL (got ${url.protocol}//)`;
  if (url.username || url.password) return 'must not contain a user name or password (put the secret in PACT_MCP_AUTH_SECRET)';
  if (!url.hostname) return 'has no host';
  return null;
}

/** Where each key of the document is written: dotted path → 1-based line. */
export function keyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const segments = (raw: string): string[] => {
    const out: string[] = [];
    const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
    let m: RegExpExecArray | null;
    while (re.lastIndex < raw.length && (m = re.exec(raw))) out.push(m[1] ?? m[2] ?? m[3] ?? '');
    return out;
  };
  let table: string[] = [];
  let inMultiline: string | null = null;
  text.split(/\r?\n/).forEach((line, index) => {
    const n = index + 1;
    if (inMultiline) {
      if (line.includes(inMultiline)) inMultiline = null;
      return;
    }
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header?.[1]) {
      table = segments(header[1]);
      const path = table.join('.');
      if (!lines.has(path)) lines.set(path, n);
      return;
    }
    const pair = /^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=(.*)$/.exec(line);
    if (pair?.[1]) {
      const path = [...table, ...segments(pair[1])].join('.');
      if (!lines.has(path)) lines.set(path, n);
      const rest = pair[2] ?? '';
      for (const quote of ['"""', "'''"]) {
        const count = rest.split(quote).length - 1;
        if (count % 2 === 1) inMultiline = quote;
      }
    }
  });
  return lines;
}

/** The line of `path`, else of its nearest parent written in the file, else 1. */
function lineOf(lines: Map<string, number>, path: readonly (string | number)[]): number {
  for (let end = path.length; end > 0; end -= 1) {
    const line = lines.get(path.slice(0, end).join('.'));
    if (line !== undefined) return line;
  }
  return 1;
}

const tomlType = (value: unknown): string => {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'number') return Number.isInteger(value) ? `an integer (${value})` : `a number (${value})`;
  if (typeof value === 'string') return `a string ("${value}")`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  return typeof value;
};

const valueAt = (root: unknown, path: readonly (string | number)[]): unknown =>
  path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), root);

const EXPECTED: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', array: 'an array', object: 'a table' };

function describe(issue: z.ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (got === undefined) return issue.path.length === 1 ? `required table [${String(issue.path[0])}] is missing` : 'required';
      if (issue.message.startsWith('expected a number of cents')) return `${issue.message}, got ${tomlType(got)}`;
      if (issue.expected === 'integer') return `must be a whole number, got ${tomlType(got)}`;
      if (issue.expected.includes(' | ')) return `must be one of ${issue.expected.replaceAll("'", '')}, got ${tomlType(got)}`;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${tomlType(got)}`;
    case z.ZodIssueCode.invalid_enum_value:
      return `must be one of ${issue.options.map(String).join(' | ')} (got "${String(got)}")`;
    default:
      return issue.message;
  }
}

/** Reads and checks a `pact.toml` text; never throws. */
export function parsePactToml(text: string): PactTomlResult {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const message = error.message.split('\n')[0]?.replace(/^Invalid TOML document:\s*/, '') ?? 'invalid TOML';
      const key = /^\s*([A-Za-z0-9_.-]+)\s*=/.exec(text.split(/\r?\n/)[error.line - 1] ?? '')?.[1];
      return { ok: false, errors: [{ line: error.line, field: key ?? 'toml', message: `TOML syntax: ${message} (column ${error.column})` }] };
    }
    throw error;
  }
  const lines = keyLines(text);
  const errors: PactTomlError[] = [];
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          const where = issue.path.length === 0 ? 'at the top level' : issue.path[0] === 'tools' ? 'in a [tools.X] entry' : `in [${issue.path.join('.')}]`;
          errors.push({ line: lineOf(lines, path), field: path.join('.'), message: `unknown key ${where}${suggest(key, issue.path)}` });
        }
        continue;
      }
      errors.push({ line: lineOf(lines, issue.path), field: issue.path.join('.') || '(file)', message: describe(issue, raw) });
    }
  }
  errors.push(...consistency(raw, lines));
  if (parsed.success && errors.length === 0) return { ok: true, config: parsed.data };
  errors.sort((a, b) => a.line - b.line);
  return { ok: false, errors };
}

/**
 * Checks across fields, on the raw document so that they are reported beside type errors
 * elsewhere (each only when the fields it compares have the right types).
 */
function consistency(raw: unknown, lines: Map<string, number>): PactTomlError[] {
  const errors: PactTomlError[] = [];
  const table = (value: unknown) => (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) ? (value as Record<string, unknown>) : null);
  const server = table(table(raw)?.server) ?? {};
  const tools = table(table(raw)?.tools) ?? {};
  const authKind = server.auth_kind ?? 'none';
  if (authKind === 'header' && server.auth_header === undefined)
    errors.push({ line: lineOf(lines, ['server', 'auth_kind']), field: 'server.auth_header', message: 'required when auth_kind = "header" (the header that carries the secret, e.g. "X-Api-Key")' });
  if (typeof authKind === 'string' && authKind !== 'header' && server.auth_header !== undefined)
    errors.push({ line: lineOf(lines, ['server', 'auth_header']), field: 'server.auth_header', message: `only used with auth_kind = "header" (auth_kind is "${authKind}")` });
  const slug = typeof server.slug === 'string' && SLUG_PATTERN.test(server.slug) ? server.slug : null;
  for (const [name, value] of Object.entries(tools)) {
    const at = ['tools', name];
    if (!TOOL_NAME_PATTERN.test(name)) errors.push({ line: lineOf(lines, at), field: at.join('.'), message: 'a tool name is letters, digits, "_" and "-" only' });
    else if (slug && slug.length + 2 + name.length > FEDERATED_NAME_MAX)
      errors.push({ line: lineOf(lines, at), field: at.join('.'), message: `federated name "${slug}__${name}" is longer than ${FEDERATED_NAME_MAX} characters (shorten the slug or the tool name)` });
    const tool = table(value);
    const est = tool?.est_cost_cents;
    const cap = tool?.cost_cap_cents;
    if (typeof est === 'number' && typeof cap === 'number' && est >= 0 && cap >= 0 && est > cap)
      errors.push({
        line: lineOf(lines, [...at, 'est_cost_cents']),
        field: [...at, 'est_cost_cents'].join('.'),
        message: `${est} exceeds cost_cap_cents (${cap}): one call would not fit in the daily cap`,
      });
  }
  return errors;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': ['server', 'tools'],
  server: Object.keys(serverSchema.shape),
  tools: Object.keys(toolSchema.shape),
};

/** ` (did you mean "x"?)` for a key one or two edits from a known one. */
function suggest(key: string, path: readonly (string | number)[]): string {
  const known = KNOWN_KEYS[path[0] === 'tools' ? 'tools' : path.join('.')] ?? [];
  const near = known.find((k) => distance(k, key) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known: ${known.join(', ')})`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] ?? 0;
}

/** `pact.toml:7: server.transport: must be one of …` */
export const formatPactTomlError = (file: string, error: PactTomlError) => `${file}:${error.line}: ${error.field}: ${error.message}`;

/** The federated name a tool gets in Pact (`<slug>__<tool>`). */
export const federatedName = (slug: string, tool: string) => `${slug}__${tool}`;

/**
 * Whether NAME suits `pact init mcp-server NAME`: it becomes the directory, the npm package name,
 * the server name and its slug, so it follows the slug rule (which npm names also accept) and is
 * not a Node built-in module's name. Returns the problem, or null.
 */
export function projectNameProblem(name: string): string | null {
  if (!SLUG_PATTERN.test(name) || name.length > SLUG_MAX)
    return `"${name}" is not a valid server name: use 1–${SLUG_MAX} lowercase letters and digits, in groups joined by single "-" or "_" (e.g. "my-tools")`;
  if (builtinModules.includes(name) || name === 'node_modules') return `"${name}" is not a valid server name: it is the name of a Node.js built-in module`;
  return null;
}
