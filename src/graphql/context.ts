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
  tx?: Db;
  /** Leaves the transaction for the length of `work` (see `ServiceContext.outside`); bound by the pipeline. */
  outside?: <T>(work: () => Promise<T>) => Promise<T>;
}

const serviceContexts = new WeakMap<GraphQLContext, ServiceContext>();

/** The service context for this operation: the caller and its tenant-bound transaction. */
export function svc(ctx: GraphQLContext): ServiceContext {
  let existing = serviceContexts.get(ctx);
  if (!existing) {
    if (!ctx.tx) throw new PactError(ErrorCode.Internal, 'No transaction bound to this operation.');
    existing = {
      principal: ctx.principal,
      // The pipeline may move the call to a new transaction (see `outside`): always the current one.
      get tx(): Db {
        if (!ctx.tx) throw new PactError(ErrorCode.Internal, 'No transaction bound to this operation.');
        return ctx.tx;
      },
      database: ctx.services.database,
      keys: ctx.services.keys,
      cursors: ctx.services.cursors,
      metrics: ctx.call.metrics,
      ...(ctx.outside ? { outside: ctx.outside } : {}),
    };
    serviceContexts.set(ctx, existing);
  }
  return existing;
}
