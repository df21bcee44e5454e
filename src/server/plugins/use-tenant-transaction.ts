import type { Plugin } from 'graphql-yoga';
import { getOperationAST, type ExecutionResult } from 'graphql';
import type { GraphQLContext } from '../../graphql/context';

class Rollback extends Error {
  constructor(readonly result: ExecutionResult) {
    super('rollback');
  }
}

const isResult = (value: unknown): value is ExecutionResult =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

/**
 * Runs each operation in one transaction bound to the caller's tenant under the application role,
 * so every resolver's query is tenant-isolated by row-level security. A mutation that reports any
 * error is rolled back whole and answers with `data: null`.
 */
export function useTenantTransaction(): Plugin<GraphQLContext> {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        const ctx = args.contextValue as GraphQLContext;
        const isMutation = getOperationAST(args.document, args.operationName)?.operation === 'mutation';
        try {
          return await ctx.services.database.withTenant(ctx.principal.tenantId, async (tx) => {
            ctx.tx = tx;
            const result = await executeFn(args);
            if (isMutation && isResult(result) && result.errors?.length) throw new Rollback(result);
            return result;
          });
        } catch (error) {
          if (error instanceof Rollback) return { ...error.result, data: null };
          throw error;
        } finally {
          ctx.tx = undefined;
        }
      });
    },
  };
}
