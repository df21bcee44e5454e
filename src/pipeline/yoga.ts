import { inspect } from 'node:util';
import { GraphQLError, type DocumentNode } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context';
import { persistedOperations } from '../graphql/persisted';
import { schema } from '../graphql/schema';
import { ErrorCode, PactError } from '../lib/errors';
import { maskFailure } from '../lib/faults';
import { currentRequest } from '../lib/request-context';
import type { Call } from '../services/audit/call';
import type { Services } from '../services/index';
import { callOf, useAuthentication } from './plugins/use-authentication';
import { useArgumentCheck } from './plugins/use-argument-check';
import { useAudit } from './plugins/use-audit';
import { useHardening, type HardeningOptions } from './plugins/use-hardening';
import { useIdempotency } from './plugins/use-idempotency';
import { createPersistedOperations, type PersistedOperations, type PreparedOperation } from './plugins/use-persisted-operations';
import { useRateLimit } from './plugins/use-rate-limit';
import { useRequestBodyLimit } from './plugins/use-request-body-limit';
import { useTenantTransaction } from './plugins/use-tenant-transaction';

export interface YogaOptions {
  services: Services;
  /** Resources (RFC 8707) whose OAuth tokens /graphql accepts: `<PUBLIC_URL>/graphql`. */
  audiences: ReadonlySet<string>;
  /** Serve GraphiQL (development only). */
  graphiql?: boolean;
  /** Production hardening: no introspection or suggestions for API keys. */
  production?: boolean;
  /** Browser origins allowed to call /graphql with credentials (CORS); none by default. */
  allowedOrigins?: string[];
  /** Overrides of the query limits (depth, aliases, directives, tokens, cost). */
  hardening?: Partial<Omit<HardeningOptions, 'production'>>;
  /**
   * How persisted operations run: `compiled` (default) parses, validates and compiles them
   * (graphql-jit) once at start; `prepared` does the same without compiling; `unprepared` parses
   * and validates them on every call like any other document.
   */
  persisted?: 'compiled' | 'prepared' | 'unprepared';
  /**
   * When persisted operations are prepared: `at-start` (default) before `createPactYoga` returns;
   * `after-start` just after, between requests (`npm start`: the server is ready sooner).
   */
  preparePersisted?: 'at-start' | 'after-start';
  /** Envelop plugins run after the hardening and before the guarded execution (instrumentation). */
  plugins?: Plugin[];
}

/**
 * yoga's logger on pino: an Error goes under `err` (the redacting serializer), never as the line's
 * message (a driver error's message holds the statement's parameters).
 */
function yogaLogging(logger: Services['logger']) {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const err = args.find((a) => a instanceof Error);
      const detail = args.filter((a) => !(a instanceof Error)).map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 2 })));
      logger[level]({ ...(err ? { err } : {}), ...(detail.length ? { detail } : {}) }, 'graphql-yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type PactYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/** The GraphQL server every path enters: authentication, hardening, then the guarantees around execution. */
export function createPactYoga(options: YogaOptions): PactYoga {
  const { services } = options;
  const logger = services.logger;
  const mode = options.persisted ?? 'compiled';
  const persisted = mode === 'unprepared' ? null : createPersistedOperations(persistedOperations(), { compile: mode === 'compiled', logger });
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // GraphiQL from the installed package (no CDN); it signs in with the console's session cookie.
    graphiql: options.graphiql ? { title: 'Pact GraphiQL', credentials: 'same-origin', additionalHeaders: { 'x-pact-csrf': '1' } } : false,
    renderGraphiQL: async (graphiql) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiql),
    landingPage: false,
    logging: yogaLogging(logger),
    batching: false,
    // useRequestBodyLimit below enforces yoga's limit without a counting stream per framed body.
    maxRequestBodySize: false,
    cors: options.allowedOrigins?.length ? { origin: options.allowedOrigins, credentials: true } : false,
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return error;
        const masked = maskFailure(original);
        const requestId = currentRequest()?.requestId;
        if (masked.status === 503) logger.warn({ err: original }, 'database unavailable');
        else logger.error({ err: original }, 'unexpected error');
        return new PactError(masked.status === 503 ? ErrorCode.DatabaseUnavailable : ErrorCode.Internal, masked.status === 503 ? masked.message : message, {
          ...(requestId ? { requestId } : {}),
          ...(masked.status === 503 ? { http: { status: 503, headers: masked.headers } } : {}),
        });
      },
    },
    context: (initial) => {
      // In-process paths (MCP) hand over their call; HTTP requests opened one in useAuthentication.
      const call = (initial as { call?: Call }).call ?? callOf(initial.request);
      return { principal: call.principal, services, call };
    },
    plugins: [
      useAuthentication(services, options.audiences, { uiPersistedOnly: !options.graphiql }),
      ...(persisted ? [persisted.plugin] : []),
      ...useHardening({ production: options.production ?? false, ...options.hardening }),
      ...(options.plugins ?? []),
      // The guarantees around execution, in this order: audit sees every outcome; limits and
      // argument checks may answer without executing; idempotency runs inside the transaction.
      useAudit(services),
      useRateLimit(services),
      useArgumentCheck(),
      useIdempotency(services),
      useTenantTransaction(services),
      // Last, as yoga's own limit would be (it counts what the request parsers above read).
      useRequestBodyLimit(),
    ],
  });
  if (persisted) {
    // Through the server's own parse and validate, with no caller: the strictest rules (production refuses introspection).
    const enveloped = yoga.getEnveloped({});
    const pipeline = { parse: (source: string) => enveloped.parse(source), validate: (document: DocumentNode) => enveloped.validate(enveloped.schema, document), schema: enveloped.schema };
    if (options.preparePersisted === 'after-start') {
      persisted.prepareSoon(pipeline).catch((error: unknown) => logger.error({ err: error }, 'preparing the persisted operations failed; they run unprepared'));
    } else {
      persisted.prepare(pipeline);
    }
    prepared.set(yoga, persisted);
  }
  return yoga;
}

const prepared = new WeakMap<PactYoga, PersistedOperations>();

/** The operation `yoga` prepared at start for a persisted `document` (in-process paths run it without validating again). */
export function preparedOperation(yoga: PactYoga, document: DocumentNode): PreparedOperation | undefined {
  return prepared.get(yoga)?.of(document);
}
