import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { describeOperation } from '../../graphql/operation';
import { outcomeOf, toCents, toMicrocents } from '../../services/audit/call';
import { committed, finishCall, isAudited } from '../../services/audit/record';
import type { Services } from '../../services/index';
import { isResult } from './results';

const withCost = (result: ExecutionResult, microcents: number): ExecutionResult => ({
  ...result,
  extensions: { ...result.extensions, cost_cents: toCents(microcents) },
});

/**
 * Every execution's one audit row and ledger charge, whatever its outcome. A call its transaction
 * commits is audited in that transaction, charged its declared cost (the root fields' `@cost`) plus
 * the model spend it reported (nothing when consent blocked it); any other call (rate-limited, bad
 * arguments, rolled back, replayed) is audited after the fact and charged nothing. Every result
 * carries `extensions.cost_cents`. Register it before the plugins that may answer without executing.
 */
export function useAudit(services: Pick<Services, 'database' | 'audit'>): Plugin<GraphQLContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as GraphQLContext;
      const { call } = ctx;
      const shape = describeOperation(args.schema, args.document, args.operationName);
      if (call.operation === 'unknown' && shape) call.operation = shape.label;
      call.args = args.variableValues ?? {};
      const declared = toMicrocents(shape?.costCents ?? 0);
      setExecuteFn(async (execArgs) => {
        const result = await executeFn(execArgs);
        const scope = ctx.transaction;
        if (!isResult(result) || !scope) return result;
        const { outcome, code } = outcomeOf(result.errors, call.metrics);
        const costMicrocents = outcome === 'ok' ? declared + call.metrics.modelCostMicrocents : 0;
        scope.withCommit((tx) => finishCall(services.database, services.audit, call, outcome, code, { tx, costMicrocents }));
        scope.afterCommit(() => committed(call));
        return result;
      });
      return {
        async onExecuteDone({ result, setResult }) {
          if (!isResult(result)) return;
          if (!isAudited(call)) {
            const { outcome, code } = outcomeOf(result.errors, call.metrics);
            await finishCall(services.database, services.audit, call, outcome, code);
          }
          setResult(withCost(result, call.costMicrocents));
        },
      };
    },
  };
}
