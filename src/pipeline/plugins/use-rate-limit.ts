import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { describeOperation } from '../../graphql/operation';
import type { Call } from '../../services/audit/call';
import type { Services } from '../../services/index';
import { admit } from '../../services/limits/policy';
import { callOfContext } from './use-authentication';
import { refusal } from './results';

type ResultLike = { errors?: readonly unknown[] };

/**
 * The tenant's and each root field's sliding-window limits (`@rateLimit`, else the policy's default),
 * taken before the call's transaction opens; over a limit the call is answered RATE_LIMITED (HTTP 429
 * with `Retry-After`) without running. A request that never reached execution (parse or validation
 * failure) still counts against its tenant's limit.
 */
export function useRateLimit(services: Pick<Services, 'limiter' | 'limits'>): Plugin<GraphQLContext> {
  /** Calls whose limits were taken at execution. */
  const taken = new WeakSet<Call>();
  return {
    async onExecutionResult({ request, result, setResult }) {
      const call = callOfContext({ request });
      if (!call || taken.has(call) || Array.isArray(result)) return;
      if (!((result as ResultLike).errors?.length ?? 0)) return;
      const limited = await admit(services.limiter, services.limits, call.principal.tenantId, []);
      if (limited) setResult({ errors: [limited] });
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const { call } = args.contextValue as GraphQLContext;
      const shape = describeOperation(args.schema, args.document, args.operationName);
      const limits = (shape?.fields ?? []).map((f) => ({ name: f.name, perMin: f.rateLimitPerMin ?? undefined }));
      const limited = await admit(services.limiter, services.limits, call.principal.tenantId, limits);
      taken.add(call);
      if (limited) setResultAndStopExecution(refusal(limited));
    },
  };
}
