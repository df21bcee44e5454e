import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const optionalUrl = (protocols: string[], hint: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, hint);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ invalid_type_error: 'must be a number' }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: optionalUrl(['http:', 'https:'], 'must be an http(s) URL such as https://pact.example.com'),
  PACT_DATA_DIR: z.string().min(1).default('./.pact'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], 'must be a postgres:// or postgresql:// URL'),
  PACT_DB_POOL_MAX: z.coerce.number({ invalid_type_error: 'must be a number' }).int().min(1).max(1000).default(10),
  REDIS_URL: optionalUrl(['redis:', 'rediss:'], 'must be a redis:// or rediss:// URL'),
  PACT_MASTER_KEY: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || decodeKey(v) !== null, 'must be 32 bytes as 64 hex characters or base64'),
  PACT_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  PACT_ALLOW_PRIVATE_UPSTREAMS: bool.default('false'),
  PACT_TRUST_PROXY: bool.default('false'),
  PACT_MODEL_PROVIDER: z.enum(['offline', 'anthropic', 'openai']).default('offline'),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: optionalUrl(['http:', 'https:'], 'must be an http(s) URL'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: optionalUrl(['http:', 'https:'], 'must be an http(s) URL'),
  PACT_MODEL: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || /^[A-Za-z0-9._:/-]{1,100}$/.test(v), 'must be a model name such as claude-sonnet-4-6 or gpt-4o-mini'),
  PACT_MODEL_TIMEOUT_MS: z.coerce.number({ invalid_type_error: 'must be a number' }).int().min(1000).max(600_000).default(30_000),
  PACT_RATE_LIMIT_TENANT_PER_MIN: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  PACT_RATE_LIMIT_OPERATION_PER_MIN: z.coerce.number().int().min(1).max(1_000_000).default(600),
  PACT_RATE_LIMIT_FIELDS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const limits: [string, number][] = [];
      for (const entry of v.split(',').map((s) => s.trim()).filter(Boolean)) {
        const match = /^([_A-Za-z][_0-9A-Za-z]*)=(\d{1,7})$/.exec(entry);
        const perMin = Number(match?.[2]);
        if (!match?.[1] || perMin < 1 || perMin > 1_000_000) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be root fields with calls per minute (1–1,000,000), e.g. contacts=1200,fireAgent=30; not "${entry}"` });
          return z.NEVER;
        }
        limits.push([match[1], perMin]);
      }
      return Object.fromEntries(limits);
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Connections each instance opens to PostgreSQL at most (`PACT_DB_POOL_MAX`). */
  dbPoolMax: number;
  redisUrl: string | undefined;
  /** 32-byte local key-provider master key; undefined means "generate into the data directory". */
  masterKey: Buffer | undefined;
  allowedOrigins: string[];
  allowPrivateUpstreams: boolean;
  /** Client addresses come from `X-Forwarded-For` (`PACT_TRUST_PROXY`); otherwise from the socket. */
  trustProxy: boolean;
  modelProvider: 'offline' | 'anthropic' | 'openai';
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  /** The model the provider uses (its default when undefined). */
  model: string | undefined;
  modelTimeoutMs: number;
  logLevel: string;
  /** Sliding-window limits per tenant (all calls) and per tenant and root field (the default, and per-field overrides). */
  limits: { tenantPerMin: number; operationPerMin: number; fieldPerMin: Record<string, number> };
}

/** A configuration problem, reported as one line at start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function decodeKey(value: string): Buffer | null {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(trimmed)) {
    const buf = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (buf.length === 32) return buf;
  }
  return null;
}

/** Parses and validates the environment; throws a ConfigError naming the first bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? 'environment';
    const raw = typeof key === 'string' ? env[key] : undefined;
    throw new ConfigError(
      `Invalid setting ${key}${raw !== undefined && !key.includes('KEY') ? ` (${JSON.stringify(raw)})` : ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const e = parsed.data;
  const keyOf = { anthropic: e.ANTHROPIC_API_KEY, openai: e.OPENAI_API_KEY } as const;
  if (e.PACT_MODEL_PROVIDER !== 'offline' && !keyOf[e.PACT_MODEL_PROVIDER]) {
    throw new ConfigError(`Invalid setting PACT_MODEL_PROVIDER (${JSON.stringify(e.PACT_MODEL_PROVIDER)}): set ${e.PACT_MODEL_PROVIDER === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY'} too, or use offline`);
  }
  const hostForUrl = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://${hostForUrl}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: e.PACT_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.PACT_DB_POOL_MAX,
    redisUrl: e.REDIS_URL,
    masterKey: e.PACT_MASTER_KEY ? (decodeKey(e.PACT_MASTER_KEY) ?? undefined) : undefined,
    allowedOrigins: e.PACT_ALLOWED_ORIGINS,
    allowPrivateUpstreams: e.PACT_ALLOW_PRIVATE_UPSTREAMS,
    trustProxy: e.PACT_TRUST_PROXY,
    modelProvider: e.PACT_MODEL_PROVIDER,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    model: e.PACT_MODEL,
    modelTimeoutMs: e.PACT_MODEL_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    limits: { tenantPerMin: e.PACT_RATE_LIMIT_TENANT_PER_MIN, operationPerMin: e.PACT_RATE_LIMIT_OPERATION_PER_MIN, fieldPerMin: e.PACT_RATE_LIMIT_FIELDS },
  };
}
