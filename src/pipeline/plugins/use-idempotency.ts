import { print, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { describeOperation } from '../../graphql/operation';
import { isPactError } from '../../lib/errors';
import type { Call } from '../../services/audit/call';
import { findReplay, requestHash, storeResponse } from '../../services/audit/idempotency';
import type { Services } from '../../services/index';
import { isResult, refusal } from './results';

/** The first call's stored response, answered again: nothing applied, counted or charged. */
function replayed(call: Call, stored: Record<string, unknown>): ExecutionResult {
  call.metrics.resultCount = 0;
  return { data: (stored.data as ExecutionResult['data']) ?? null, extensions: { idempotent_replay: true } };
}

/**
 * Mutations sent with an `Idempotency-Key`: a key seen before with the same request answers the
 * stored response; with another request, CONFLICT. A first call's response is stored (sealed) in its
 * transaction; when a concurrent call with the key committed first, this one rolls back and answers
 * that call's response. Runs inside `useTenantTransaction`.
 */
export function useIdempotency(services: Pick<Services, 'keys'>): Plugin<GraphQLContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as GraphQLContext;
      const { call } = ctx;
      const key = call.idempotencyKey;
      if (key === null || describeOperation(args.schema, args.document, args.operationName)?.kind !== 'mutation') return;
      const hash = requestHash(print(args.document), args.variableValues ?? {});
      const tenant = call.principal.tenantId;
      setExecuteFn(async (execArgs) => {
        const scope = ctx.transaction;
        if (!scope) throw new Error('useIdempotency must run inside useTenantTransaction');
        let stored: Record<string, unknown> | null;
        try {
          stored = await findReplay(scope.tx, services.keys, tenant, key, hash);
        } catch (error) {
          if (isPactError(error)) return refusal(error);
          throw error;
        }
        if (stored) return replayed(call, stored);
        const result = await executeFn(execArgs);
        if (!isResult(result) || (result.errors?.length ?? 0) > 0) return result;
        if (await storeResponse(scope.tx, services.keys, tenant, key, hash, { data: result.data ?? null })) return result;
        scope.rollback();
        return replayed(call, (await findReplay(scope.tx, services.keys, tenant, key, hash)) ?? {});
      });
    },
  };
}
