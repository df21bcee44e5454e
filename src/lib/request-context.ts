import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The response header (and log field `requestId`) that names one HTTP request. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What one HTTP request carries across its asynchronous work. */
export interface RequestContext {
  readonly requestId: string;
  /** The first unexpected failure seen while serving the request (for handlers that swallow it). */
  failure?: unknown;
  /** The JSON-RPC id of the message being served (MCP), so a masked failure answers with it. */
  rpcId?: string | number | null;
  /** The client's address: the socket peer, or the first `X-Forwarded-For` hop behind a trusted proxy. */
  clientIp?: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it awaits) as part of a new request with a fresh id. */
export function runInRequest<T>(fn: (context: RequestContext) => T): T {
  const context: RequestContext = { requestId: randomUUID() };
  return storage.run(context, () => fn(context));
}

/** The request being served, if any. */
export const currentRequest = (): RequestContext | undefined => storage.getStore();

/** Remembers an unexpected failure of the current request (the first one wins). */
export function noteFailure(error: unknown): void {
  const context = storage.getStore();
  if (context && context.failure === undefined) context.failure = error;
}
