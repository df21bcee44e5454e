import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

export const createLogger = (options: { level?: string; destination?: DestinationStream } = {}): Logger => {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'pact' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
};
