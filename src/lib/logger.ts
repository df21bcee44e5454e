import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequest } from './request-context';

/** Paths never written to logs: credentials, secrets and contact PII. */
export const redactPaths = [
  'password',
  '*.password',
  'authorization',
  'cookie',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'variables',
  '*.variables',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'masterKey',
  '*.masterKey',
];

export type { Logger };

/** Error fields that carry statement parameters or row values (PII, key hashes): never logged. */
const HIDDEN_ERROR_FIELDS = new Set(['params', 'parameters', 'args', 'detail', 'where', 'types', 'cause', 'stack', 'message']);

/** drizzle's "Failed query: <sql>\nparams: <values>": keep the statement, drop the values. */
const withoutParams = (text: string): string => text.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, '\nparams: [redacted]');

/**
 * pino's `err` serializer without statement parameters or the database's row detail; follows
 * `cause` (the driver error under a wrapper) a few levels down.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const out: Record<string, unknown> = {
    type: error.constructor.name,
    message: withoutParams(error.message),
    stack: error.stack ? withoutParams(error.stack) : undefined,
  };
  for (const [key, value] of Object.entries(error)) {
    if (HIDDEN_ERROR_FIELDS.has(key) || value === null || typeof value === 'object' || typeof value === 'function') continue;
    out[key] = value;
  }
  if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

export const createLogger = (options: { level?: string; destination?: DestinationStream } = {}): Logger => {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'pact' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: serializeError },
    // Every line written while serving a request names it, so an answered request id leads here.
    mixin: () => {
      const requestId = currentRequest()?.requestId;
      return requestId ? { requestId } : {};
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
};
