import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { withTenantPhases } from '../../db/phases';
import type { GraphQLContext } from '../../graphql/context';
import { describeOperation } from '../../graphql/operation';
import type { Services } from '../../services/index';
import { isResult } from './results';

/** An error no service raised on purpose (masked for the client): the transaction may be aborted. */
const unexpected = (error: GraphQLError): boolean => error.originalError != null && !(error.originalError instanceof GraphQLError);

/**
 * Runs each execution in one transaction bound to the caller's tenant under the application role:
 * one snapshot (REPEATABLE READ) for a query, so a page and its hidden count agree; READ COMMITTED
 * for a mutation, which is rolled back whole, answering `data: null`, when it reports any error. A
 * query that met an unexpected failure is rolled back too (audited after the fact). An
 * operation with one root field may leave its transaction while slow work runs (an agent's model
 * call) and continue in a new one (`src/db/phases.ts`).
 */
export function useTenantTransaction(services: Pick<Services, 'database'>): Plugin<GraphQLContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as GraphQLContext;
      const shape = describeOperation(args.schema, args.document, args.operationName);
      const isMutation = shape?.kind === 'mutation';
      const mayLeave = (shape?.fields.length ?? 0) === 1;
      setExecuteFn(async (execArgs) => {
        let rollback = false;
        try {
          return await withTenantPhases(
            services.database,
            ctx.principal.tenantId,
            async (phase) => {
              ctx.transaction = {
                get tx() {
                  return phase.tx();
                },
                outside: mayLeave ? phase.leave : undefined,
                withCommit: phase.withCommit,
                afterCommit: phase.afterCommit,
                rollback: () => {
                  rollback = true;
                },
              };
              const result = await executeFn(execArgs);
              const errors = isResult(result) ? (result.errors ?? []) : [];
              if (isMutation && errors.length > 0) return phase.rollback({ ...(result as ExecutionResult), data: null });
              // An unexpected failure (a statement that failed may have aborted the transaction) commits nothing.
              if (errors.some(unexpected)) return phase.rollback(result);
              return rollback ? phase.rollback(result) : result;
            },
            { snapshot: !isMutation },
          );
        } finally {
          ctx.transaction = undefined;
        }
      });
    },
  };
}
