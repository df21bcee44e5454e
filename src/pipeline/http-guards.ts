import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import { clientIp } from './credentials';

/** The address the server listens on (the HOST and PORT settings). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Which `Host` headers and browser origins a deployment answers (DNS-rebinding and Origin defence). */
export interface HttpPolicy {
  /** Lower-case `host[:port]` values the `Host` header may carry. */
  hosts: ReadonlySet<string>;
  /** Serialized origins (`scheme://host[:port]`) browsers may call from. */
  origins: ReadonlySet<string>;
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `localhost`, `::1` or an address in 127.0.0.0/8. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

const originOf = (value: string): string => {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
};

/**
 * The one place the allow-lists are derived: PUBLIC_URL's host and origin, the extra browser
 * origins (PACT_ALLOWED_ORIGINS), and, when the server listens on (or PUBLIC_URL names) a loopback
 * address, `localhost`, `127.0.0.1` and `[::1]` on the listening port, which name the same server.
 */
export function httpPolicy(publicUrl: string, listen?: ListenAddress, extraOrigins: readonly string[] = []): HttpPolicy {
  const url = new URL(publicUrl);
  const port = url.port || DEFAULT_PORT[url.protocol] || '';
  const hosts = new Set([url.host.toLowerCase(), `${url.hostname.toLowerCase()}:${port}`]);
  const origins = new Set([url.origin, ...extraOrigins.map(originOf)]);
  if ((listen && isLoopback(listen.host)) || isLoopback(url.hostname)) {
    const localPort = String(listen?.port || port);
    for (const name of LOOPBACK_NAMES) {
      hosts.add(`${name}:${localPort}`);
      origins.add(`http://${name}${localPort === '80' ? '' : `:${localPort}`}`);
      if (localPort === '80') hosts.add(name);
    }
  }
  return { hosts, origins };
}

/** Whether the request's `Host` header names this server. */
export const hostAllowed = (request: Request, policy: HttpPolicy): boolean =>
  policy.hosts.has((request.headers.get('host') ?? '').trim().toLowerCase());

/**
 * Checks `Host`; a foreign one (DNS rebinding, a misrouted proxy) is recorded as a `foreign_host`
 * security event and the refusal's message returned, for the caller to answer 403 in its protocol.
 */
export async function refuseForeignHost(services: Services, request: Request, policy: HttpPolicy, path: string): Promise<string | null> {
  if (hostAllowed(request, policy)) return null;
  const host = request.headers.get('host') ?? '';
  await recordSecurityEvent(services.database, services.logger, {
    kind: 'foreign_host',
    path,
    ip: clientIp(),
    userAgent: request.headers.get('user-agent'),
    detail: { host: host.slice(0, 200) },
  });
  return host ? `Host ${host.slice(0, 200)} is not this server: use the address in PUBLIC_URL.` : 'The Host header is missing.';
}
