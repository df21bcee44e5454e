import type { Db } from '../db/client';
import { PactError, ErrorCode } from '../lib/errors';
import type { Call } from '../services/audit/call';
import type { Principal } from '../services/auth/principal';
import type { ServiceContext } from '../services/context';
import type { Services } from '../services/index';

/** The GraphQL context on every path (HTTP, MCP, UI). `tx` is bound by the transaction plugin at execution. */
export interface GraphQLContext {
  principal: Principal;
  services: Services;
  /** The call being served: audit, cost and limits are accounted on it. */
  call: Call;
  /** The call's tenant transaction while it executes (bound by `useTenantTransaction`). */
  transaction?: TransactionScope;
}

/** The call's tenant transaction as the pipeline binds it. */
export interface TransactionScope {
  /** The transaction the call is in now (a new one after `outside`). */
  readonly tx: Db;
  /** Present when the call may leave its transaction while slow work runs (see `ServiceContext.outside`). */
  readonly outside: (<T>(work: () => Promise<T>) => Promise<T>) | undefined;
  /** One statement sent with the commit, not awaited before it (the audit row): see `Phase.withCommit`. */
  withCommit(statement: (tx: Db) => Promise<unknown>): void;
  /** Run once the call's transaction has committed. */
  afterCommit(hook: () => void): void;
  /** Rolls the transaction back instead of committing; the call answers with the result it has. */
  rollback(): void;
}

const serviceContexts = new WeakMap<GraphQLContext, ServiceContext>();

/** The service context for this operation: the caller and its tenant-bound transaction. */
export function svc(ctx: GraphQLContext): ServiceContext {
  let existing = serviceContexts.get(ctx);
  if (!existing) {
    const { transaction } = ctx;
    if (!transaction) throw new PactError(ErrorCode.Internal, 'No transaction bound to this operation.');
    existing = {
      principal: ctx.principal,
      // The pipeline may move the call to a new transaction (see `outside`): always the current one.
      get tx(): Db {
        return transaction.tx;
      },
      database: ctx.services.database,
      keys: ctx.services.keys,
      cursors: ctx.services.cursors,
      metrics: ctx.call.metrics,
      ...(transaction.outside ? { outside: transaction.outside } : {}),
    };
    serviceContexts.set(ctx, existing);
  }
  return existing;
}
