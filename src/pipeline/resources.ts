/** The protected resources (RFC 8707 / RFC 9728) one deployment serves, derived from PUBLIC_URL. */
export interface PactResources {
  /** The authorization server's issuer: PUBLIC_URL itself. */
  issuer: string;
  /** `<PUBLIC_URL>/mcp/` first (the canonical spelling), then `<PUBLIC_URL>/mcp`; tokens for either are accepted. */
  mcp: readonly [string, string];
  graphql: string;
  /** Every resource a token may be issued for. */
  all: ReadonlySet<string>;
}

export function pactResources(publicUrl: string): PactResources {
  const base = publicUrl.replace(/\/+$/, '');
  const mcp = [`${base}/mcp/`, `${base}/mcp`] as const;
  return { issuer: base, mcp, graphql: `${base}/graphql`, all: new Set([...mcp, `${base}/graphql`]) };
}

/** The protected-resource metadata document that describes `resource`. */
export function resourceMetadataUrl(resources: PactResources, resource: string): string {
  const path = new URL(resource).pathname;
  return `${resources.issuer}/.well-known/oauth-protected-resource${path === '/' ? '' : path}`;
}

/** One spelling per resource: `/mcp` and `/mcp/` name the same server, so tokens and codes carry `/mcp/`. */
export function canonicalResource(resources: PactResources, resource: string): string {
  return resource === resources.mcp[1] ? resources.mcp[0] : resource;
}
