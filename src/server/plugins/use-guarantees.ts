import { Kind, print, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { describeOperation } from '../../graphql/operation';
import { ErrorCode, PactError, isPactError } from '../../lib/errors';
import { findBadText, textProblem } from '../../lib/text';
import { findReplay, requestHash, storeResponse } from '../../services/audit/idempotency';
import { outcomeOf, toCents, toMicrocents, type AuditOutcome } from '../../services/audit/call';
import { recordCall } from '../../services/audit/record';
import type { Services } from '../../services/index';
import { admit } from '../../services/limits/policy';
import { callOfContext } from './use-authentication';

/** Unwinds the call's transaction while keeping the result to answer with. */
class Unwind extends Error {
  constructor(
    readonly result: ExecutionResult,
    readonly outcome: AuditOutcome,
    readonly code: string | null,
  ) {
    super('unwind');
  }
}

/** Unwinds a retried mutation: `stored` is the first call's result, or null when it must be read after this rollback. */
class Replay extends Error {
  constructor(readonly stored: Record<string, unknown> | null) {
    super('replay');
  }
}

const isResult = (value: unknown): value is ExecutionResult =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

const withCost = (result: ExecutionResult, microcents: number, extra: Record<string, unknown> = {}): ExecutionResult => ({
  ...result,
  extensions: { ...result.extensions, ...extra, cost_cents: toCents(microcents) },
});

const errorResult = (error: PactError): ExecutionResult => ({ errors: [error], data: null });

/**
 * Arguments that are not storable text (a lone surrogate, U+0000) or are nested absurdly deep, in
 * the variables or in the document's string literals: refused as BAD_USER_INPUT (HTTP 400).
 */
function badArguments(document: DocumentNode, variables: unknown): PactError | null {
  let found = findBadText(variables);
  if (!found) {
    visit(document, {
      [Kind.STRING](node) {
        const problem = found ? null : textProblem(node.value);
        if (problem) found = { path: 'a string literal', problem };
      },
    });
  }
  if (!found) return null;
  const { path, problem } = found as { path: string; problem: string };
  return new PactError(ErrorCode.BadUserInput, `Argument ${path} ${problem}.`, { http: { status: 400 } });
}

type ResultLike = { errors?: readonly unknown[] };

/**
 * The guarantees around every execution, on every path (HTTP, MCP, UI): the tenant and root-field
 * rate limits; one transaction bound to the caller's tenant under the application role; mutation
 * idempotency; and, in that same transaction, the call's audit row and its ledger charge (the
 * declared cost plus any model spend the call reported; nothing for a call blocked by consent). A mutation
 * that reports any error is rolled back whole, answered with `data: null`, and audited after the
 * rollback. Every result carries `extensions.cost_cents`.
 */
export function useGuarantees(services: Services): Plugin<GraphQLContext> {
  return {
    // A request that never reached execution (parse or validation failure, bad header) still counts
    // against its tenant's rate limit; once over, it is answered 429 RATE_LIMITED (and audited so).
    async onExecutionResult({ request, result, setResult }) {
      const call = callOfContext({ request });
      if (!call || call.audited || call.limitsAdmitted || Array.isArray(result)) return;
      if (!((result as ResultLike).errors?.length ?? 0)) return;
      const limited = await admit(services.limiter, services.limits, call.principal.tenantId, []);
      if (limited) setResult({ errors: [limited] });
    },
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        const ctx = args.contextValue as GraphQLContext;
        const { call, services, principal } = ctx;
        const { database, audit } = services;
        const shape = describeOperation(args.schema, args.document, args.operationName);
        const isMutation = shape?.kind === 'mutation';
        if (call.operation === 'unknown' && shape) call.operation = shape.label;
        call.args = args.variableValues ?? {};
        call.costMicrocents = call.declaredCostMicrocents ?? toMicrocents(shape?.costCents ?? 0);
        const limits = call.declaredLimits ?? (shape?.fields ?? []).map((f) => ({ name: f.name, perMin: f.rateLimitPerMin ?? undefined }));

        const limited = call.limitsAdmitted ? null : await admit(services.limiter, services.limits, principal.tenantId, limits);
        if (limited) {
          await recordCall(database, audit, call, 'rate_limited', ErrorCode.RateLimited);
          return withCost(errorResult(limited), 0);
        }
        const bad = badArguments(args.document, call.args);
        if (bad) {
          await recordCall(database, audit, call, 'error', ErrorCode.BadUserInput);
          return withCost(errorResult(bad), 0);
        }

        const idempotency = isMutation && call.idempotencyKey ? { key: call.idempotencyKey, hash: requestHash(print(args.document), call.args) } : null;
        try {
          const result = await database.withTenant(principal.tenantId, async (tx) => {
            ctx.tx = tx;
            if (idempotency) {
              const stored = await findReplay(tx, services.keys, principal.tenantId, idempotency.key, idempotency.hash);
              if (stored) throw new Replay(stored);
            }
            const executed = await executeFn(args);
            if (!isResult(executed)) return executed;
            const { outcome, code } = outcomeOf(executed.errors, call.metrics);
            if (isMutation && outcome !== 'ok' && outcome !== 'blocked') throw new Unwind({ ...executed, data: null }, outcome, code);
            call.outcome = outcome;
            call.errorCode = code;
            call.costMicrocents = outcome === 'ok' ? call.costMicrocents + call.metrics.modelCostMicrocents : 0;
            if (idempotency) {
              const first = await storeResponse(tx, services.keys, principal.tenantId, idempotency.key, idempotency.hash, { data: executed.data ?? null });
              if (!first) throw new Replay(null);
            }
            await audit.append(tx, call, outcome);
            return withCost(executed, call.costMicrocents);
          }, { snapshot: !isMutation });
          call.audited = true;
          return result;
        } catch (error) {
          if (error instanceof Replay && idempotency) return replay(ctx, idempotency.key, idempotency.hash, error.stored);
          if (error instanceof Unwind) {
            await recordCall(database, audit, call, error.outcome, error.code);
            return withCost(error.result, 0);
          }
          const code = isPactError(error) ? error.code : ErrorCode.Internal;
          await recordCall(database, audit, call, 'error', code).catch((auditError: unknown) => {
            services.logger.error({ err: auditError }, 'could not audit a failed call');
          });
          throw error;
        } finally {
          ctx.tx = undefined;
        }
      });
    },
  };
}

/** Answers a retried mutation with the first call's stored result: nothing applied or charged again. */
async function replay(ctx: GraphQLContext, key: string, hash: string, stored: Record<string, unknown> | null): Promise<ExecutionResult> {
  const { call, services, principal } = ctx;
  const first = stored ?? (await services.database.withTenant(principal.tenantId, (tx) => findReplay(tx, services.keys, principal.tenantId, key, hash)));
  call.metrics.resultCount = 0;
  await recordCall(services.database, services.audit, call, 'ok', null);
  return withCost({ data: (first?.data as ExecutionResult['data']) ?? null }, 0, { idempotent_replay: true });
}
