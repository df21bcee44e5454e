import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** An error the API answered (GraphQL `errors[0]`, or an HTTP failure), with its stable code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
    readonly status = 200,
  ) {
    super(message);
  }
}

const TENANT_KEY = 'pact.tenant';

/** The tenant the console acts in (sent as X-Tenant-ID); remembered per browser. */
export const tenant = {
  get: (): string | null => localStorage.getItem(TENANT_KEY),
  set: (slug: string | null) => (slug ? localStorage.setItem(TENANT_KEY, slug) : localStorage.removeItem(TENANT_KEY)),
};

/** The persisted hash codegen attached to a typed document (`__meta__.hash`). */
const hashOf = (document: TypedDocumentNode<unknown, never>): string => {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('This document is not persisted (no __meta__.hash): add it to schema/operations and run npm run codegen.');
  return hash;
};

/**
 * Runs a persisted operation: only its hash and variables leave the browser (never query text),
 * with the session cookie and the CSRF header every signed-in call carries.
 */
export async function run<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    'x-pact-csrf': '1',
  };
  const slug = tenant.get();
  if (slug) headers['x-tenant-id'] = slug;
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify({ documentId: hashOf(document as TypedDocumentNode<unknown, never>), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError('Pact cannot be reached: check your connection and try again.', 'NETWORK');
  }
  let body: { data?: R | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`Pact answered HTTP ${response.status}.`, 'HTTP_ERROR', {}, response.status);
  }
  const [first] = body.errors ?? [];
  if (first) throw new ApiError(first.message, String(first.extensions?.code ?? 'ERROR'), first.extensions ?? {}, response.status);
  if (!body.data) throw new ApiError('Pact answered without data.', 'NO_DATA', {}, response.status);
  return body.data;
}

/** Sign-in and sign-out are the two calls outside GraphQL: they set and clear the HttpOnly session cookie. */
export async function signIn(email: string, password: string): Promise<{ tenants: { slug: string; name: string; role: string }[] }> {
  const response = await fetch('/auth/sign-in', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json().catch(() => ({}))) as { tenants?: { slug: string; name: string; role: string }[]; error?: { code: string; message: string } };
  if (!response.ok) throw new ApiError(body.error?.message ?? `Sign-in failed (HTTP ${response.status}).`, body.error?.code ?? 'HTTP_ERROR', {}, response.status);
  return { tenants: body.tenants ?? [] };
}

export async function signOut(): Promise<void> {
  await fetch('/auth/sign-out', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' } });
}
