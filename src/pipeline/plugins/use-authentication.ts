import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { PERSISTED_REQUEST_SHAPES, persistedDocumentOf } from '../../graphql/persisted';
import { PactError, isPactError, ErrorCode, unauthenticated } from '../../lib/errors';
import { newCall, outcomeOf, type Call } from '../../services/audit/call';
import { checkIdempotencyKey } from '../../services/audit/idempotency';
import { finishCall, isAudited } from '../../services/audit/record';
import type { Services } from '../../services/index';
import { authenticateRequest } from '../credentials';
import { pactResources, resourceMetadataUrl } from '../resources';

const calls = new WeakMap<Request, Call>();

/** The call a request opened (set once the request authenticated). */
export function callOf(request: Request): Call {
  const call = calls.get(request);
  if (!call) throw unauthenticated();
  return call;
}

/** The call an envelop context belongs to, on the HTTP path (request) or an in-process path (`call`). */
export function callOfContext(context: unknown): Call | undefined {
  const ctx = context as { call?: Call; request?: Request } | undefined;
  return ctx?.call ?? (ctx?.request ? calls.get(ctx.request) : undefined);
}

const persistedOnly = () =>
  new PactError(ErrorCode.PersistedOperationsOnly, `This API key may run only persisted operations (schema/persisted-operations.json): send ${PERSISTED_REQUEST_SHAPES}.`, {
    http: { status: 400 },
  });

type ResultLike = { errors?: readonly { extensions?: Record<string, unknown> | null }[] };

/**
 * The RFC 6750 challenge of a 401 from `/graphql`: where its protected-resource metadata is
 * (RFC 9728), and `invalid_token` when a bearer was presented.
 */
export function graphqlChallenge(resource: string, request: Request): string {
  const metadata = resourceMetadataUrl(pactResources(new URL(resource).origin), resource);
  return [`Bearer resource_metadata="${metadata}"`, ...(request.headers.has('authorization') ? ['error="invalid_token"'] : [])].join(', ');
}

/**
 * Authenticates every `/graphql` request before it is parsed and opens its call (path `ui` for a
 * console cookie, `graphql` otherwise); OAuth tokens must be issued for one of `audiences`. A refusal before a tenant is known becomes a security event;
 * a call that ends without executing (parse or validation error, bad header) is audited at the end.
 * Every 401 carries `WWW-Authenticate` naming the resource's metadata document.
 */
export function useAuthentication(
  services: Services,
  audiences: ReadonlySet<string>,
  options: {
    /** Console sessions (path `ui`) may run only persisted operations: on unless GraphiQL is served (development). */
    uiPersistedOnly?: boolean;
  } = {},
): Plugin {
  const [resource] = audiences;
  return {
    onResponse({ request, response }) {
      if (response.status === 401 && resource && !response.headers.has('www-authenticate')) {
        response.headers.set('www-authenticate', graphqlChallenge(resource, request));
      }
    },
    async onParams({ request, params, setParams, setResult }) {
      const path = request.headers.get('cookie') && !request.headers.get('authorization') ? 'ui' : 'graphql';
      let call: Call;
      try {
        const principal = await authenticateRequest(services, request, path, audiences);
        call = newCall(options.uiPersistedOnly && principal.path === 'ui' ? { ...principal, trustedDocumentsOnly: true } : principal);
      } catch (error) {
        if (!isPactError(error)) throw error;
        // Drop `documentId` (and name a query): yoga's parameter check would otherwise answer BAD_REQUEST instead of this refusal.
        const { documentId: _id, ...rest } = params as GraphQLParams & { documentId?: unknown };
        setParams({ ...rest, query: typeof rest.query === 'string' ? rest.query : '' });
        setResult({ errors: [error] });
        return;
      }
      calls.set(request, call);
      // A persisted operation named by hash runs for every caller; restricted callers may run nothing else.
      const byHash = typeof (params as { documentId?: unknown }).documentId === 'string' || params.extensions?.persistedQuery !== undefined;
      if (call.principal.trustedDocumentsOnly || byHash) {
        const trusted = persistedDocumentOf(params);
        // `documentId` is ours to read: yoga's parameter check, which runs next, refuses unknown parameters.
        const { documentId: _id, ...rest } = params as GraphQLParams & { documentId?: unknown };
        setParams({ ...rest, query: trusted ?? '' });
        if (trusted === null) {
          await finishCall(services.database, services.audit, call, 'denied', ErrorCode.PersistedOperationsOnly);
          setResult({ errors: [persistedOnly()] });
          return;
        }
      }
      const key = request.headers.get('idempotency-key');
      if (key !== null) {
        try {
          call.idempotencyKey = checkIdempotencyKey(key);
        } catch (error) {
          if (!(error instanceof PactError)) throw error;
          error.extensions.http = { status: 400 };
          setResult({ errors: [error] });
        }
      }
    },
    async onResultProcess({ request, result }) {
      const call = calls.get(request);
      if (!call || isAudited(call)) return;
      const results = (Array.isArray(result) ? result : [result]) as ResultLike[];
      const { outcome, code } = outcomeOf(results.flatMap((r) => r.errors ?? []));
      await finishCall(services.database, services.audit, call, outcome === 'ok' ? 'error' : outcome, code ?? ErrorCode.Internal);
    },
  };
}
