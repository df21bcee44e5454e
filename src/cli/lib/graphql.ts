import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Credential } from './credentials';
import { CliError, ExitCode } from './errors';
import { postJson } from './http';

interface GraphQLErrorBody {
  message?: string;
  extensions?: Record<string, unknown>;
}

const orList = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

/** Turns the server's first error into a CliError that relays its message and names the fix. */
function relay(error: GraphQLErrorBody, status: number, credential: Credential): CliError {
  const message = error.message ?? 'The server refused the request.';
  const ext = error.extensions ?? {};
  const code = typeof ext.code === 'string' ? ext.code : null;
  if (code === 'UNAUTHENTICATED' || status === 401) {
    return credential.source === 'env'
      ? new CliError(`PACT_ADMIN_TOKEN was refused: ${message}`, ExitCode.NotAuthenticated, 'Set PACT_ADMIN_TOKEN to a valid token, or unset it to use your `pact login` session.')
      : new CliError(`Your saved Pact session was refused: ${message}`, ExitCode.NotAuthenticated, 'Run `pact login` again.');
  }
  if (code === 'TENANT_REQUIRED') {
    const tenants = Array.isArray(ext.tenants) ? ext.tenants.join(', ') : null;
    return new CliError(message, ExitCode.Failed, `Set PACT_TENANT${tenants ? ` to one of: ${tenants}` : ' to a tenant slug'}.`);
  }
  if (code === 'UNKNOWN_TENANT') {
    return new CliError(message, ExitCode.Failed, credential.tenant ? `Check PACT_TENANT (now '${credential.tenant}').` : null);
  }
  if (code === 'FORBIDDEN' && Array.isArray(ext.requiredRole)) {
    const roles = orList(ext.requiredRole.map(String));
    const hint =
      credential.kind === 'api_key'
        ? `PACT_ADMIN_TOKEN holds an API key, which acts as role api: set it to a pact_sess_ token of a user with role ${roles}, or unset it to use your \`pact login\` session.`
        : `Log in as a user with role ${roles} (\`pact login\`).`;
    return new CliError(message, ExitCode.Failed, hint, code);
  }
  if (code === 'RATE_LIMITED' && typeof ext.retry_after_s === 'number') {
    return new CliError(message, ExitCode.Failed, `Retry in ${ext.retry_after_s} s.`, code);
  }
  return new CliError(message, ExitCode.Failed, null, code, typeof ext.field === 'string' ? ext.field : null);
}

/** Runs one GraphQL operation against `${url}/graphql`; any error is relayed as a CliError. */
export function graphql<T>(credential: Credential, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return send<T>(credential, { query, variables });
}

/**
 * Runs a persisted operation (a typed document from `npm run codegen`) by its manifest hash, so it
 * works for callers restricted to persisted operations too; errors are relayed as by `graphql`.
 */
export function persisted<T, V extends Record<string, unknown>>(credential: Credential, document: TypedDocumentNode<T, V>, variables: V): Promise<T> {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('not a persisted document (no __meta__.hash): add it to schema/operations and run npm run codegen');
  return send<T>(credential, { documentId: hash, variables });
}

async function send<T>(credential: Credential, request: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${credential.token}` };
  if (credential.tenant) headers['x-tenant-id'] = credential.tenant;
  const { status, body } = await postJson(credential.url, '/graphql', request, headers);
  const errors = Array.isArray(body.errors) ? (body.errors as GraphQLErrorBody[]) : [];
  if (errors[0]) throw relay(errors[0], status, credential);
  if (typeof body.data !== 'object' || body.data === null) {
    throw new CliError(`${credential.url}/graphql answered HTTP ${status} without data.`, ExitCode.Failed);
  }
  return body.data as T;
}
