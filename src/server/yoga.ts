import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context';
import { schema } from '../graphql/schema';
import { ErrorCode, PactError, isPactError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import { clientIp, credentialsOf } from './credentials';
import { useTenantTransaction } from './plugins/use-tenant-transaction';

export interface YogaOptions {
  services: Services;
  logger: Logger;
  /** Serve GraphiQL (development only). */
  graphiql?: boolean;
}

export type PactYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/** The GraphQL server every path enters: authentication, tenant transaction, guards. */
export function createPactYoga(options: YogaOptions): PactYoga {
  const { services, logger } = options;
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: options.graphiql ?? false,
    landingPage: false,
    logging: logger,
    batching: false,
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return error;
        logger.error({ err: original }, 'unexpected error');
        return new PactError(ErrorCode.Internal, message);
      },
    },
    context: async ({ request }) => {
      const path = request.headers.get('cookie') && !request.headers.get('authorization') ? 'ui' : 'graphql';
      try {
        const principal = await services.auth.authenticate(credentialsOf(request), path);
        return { principal, services };
      } catch (error) {
        if (isPactError(error)) {
          await recordSecurityEvent(services.database, logger, {
            kind: error.code === ErrorCode.Unauthenticated ? 'unauthenticated' : error.code.toLowerCase(),
            path,
            ip: clientIp(request),
            userAgent: request.headers.get('user-agent'),
            tenantHint: request.headers.get('x-tenant-id'),
            detail: { code: error.code, reason: error.extensions.reason ?? null },
          });
        }
        throw error;
      }
    },
    plugins: [useTenantTransaction()],
  });
}
