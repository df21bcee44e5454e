import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';

/**
 * Fetching a URL someone else chose (a client's metadata document, a federated MCP server) without
 * letting it reach this deployment's private network: every hop's host is resolved, every address
 * classified with ipaddr.js, and the connection is pinned to the address that was checked.
 */

/** Resolves a host name to its addresses (IPv4 or IPv6 literals). Tests inject a map; the default asks the system resolver. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export type SafeFetchErrorCode = 'BAD_URL' | 'BLOCKED_ADDRESS' | 'DNS' | 'NETWORK' | 'TIMEOUT' | 'TOO_LARGE' | 'TOO_MANY_REDIRECTS';

/** A refused or failed fetch; `message` is safe to show (it never names the address a host resolved to). */
export class SafeFetchError extends Error {
  override name = 'SafeFetchError';
  constructor(
    readonly code: SafeFetchErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SafeFetchOptions {
  /** Host name → addresses; the system resolver by default. */
  resolver?: Resolver;
  /** Development allowance (`PACT_ALLOW_PRIVATE_UPSTREAMS`): loopback, RFC 1918, unique-local and CGNAT addresses, and plain http to them. Link-local, metadata, multicast and unspecified addresses stay refused. */
  allowPrivate?: boolean;
  /** Plain http to public addresses (https only when false, the default). */
  allowHttp?: boolean;
  /** The response body's limit in bytes (default 1 MiB); a longer body fails with TOO_LARGE. */
  maxBytes?: number;
  /** The whole fetch's deadline, redirects included (default 10 s). */
  timeoutMs?: number;
  /** Redirects followed, each re-checked (default 0: a 3xx is returned as it is). */
  maxRedirects?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Extra trusted CA certificates for https (a private upstream's CA; tests). */
  ca?: string | Buffer;
}

export interface SafeResponse {
  status: number;
  headers: Headers;
  /** The URL that answered (after any redirects). */
  url: string;
  body: Buffer;
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Addresses reachable only with the development allowance. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);
/** Cloud instance-metadata endpoints, refused even with the allowance. */
const METADATA = [ipaddr.parse('169.254.169.254'), ipaddr.parse('fd00:ec2::254'), ipaddr.parse('100.100.100.200')];
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** The IPv4 address an IPv6 address carries (IPv4-mapped, -translated, -compatible, NAT64, 6to4), or null. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = address.range();
  const bytes = address.toByteArray();
  const compatible = bytes.slice(0, 12).every((b) => b === 0);
  if (address.isIPv4MappedAddress() || range === 'rfc6145' || range === 'rfc6052' || compatible) {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

/** Whether a connection to `literal` is allowed: public unicast only, or private ranges with `allowPrivate`. */
export function classifyAddress(literal: string, allowPrivate = false): AddressVerdict {
  if (!ipaddr.isValid(literal)) return { allowed: false, reason: 'is not an IP address' };
  const address = ipaddr.parse(literal);
  if (METADATA.some((m) => m.kind() === address.kind() && m.toNormalizedString() === address.toNormalizedString())) {
    return { allowed: false, reason: 'is a cloud metadata address' };
  }
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    const inner = embeddedIpv4(v6);
    if (inner) {
      if (v6.toNormalizedString() === '0:0:0:0:0:0:0:1') return allowPrivate ? { allowed: true } : { allowed: false, reason: 'is a loopback address' };
      if (v6.toNormalizedString() === '0:0:0:0:0:0:0:0') return { allowed: false, reason: 'is an unspecified address' };
      const verdict = classifyAddress(inner.toString(), allowPrivate);
      return verdict.allowed ? verdict : { allowed: false, reason: `embeds an IPv4 address that ${verdict.reason}` };
    }
    const range = v6.range();
    if (PRIVATE_RANGES.has(range)) return allowPrivate ? { allowed: true } : { allowed: false, reason: `is a ${range} address` };
    if (range !== 'unicast' || !v6.match(GLOBAL_UNICAST_V6)) return { allowed: false, reason: `is a ${range === 'unicast' ? 'non-global' : range} address` };
    return { allowed: true };
  }
  const range = (address as ipaddr.IPv4).range();
  if (PRIVATE_RANGES.has(range)) return allowPrivate ? { allowed: true } : { allowed: false, reason: `is a ${range} address` };
  if (range !== 'unicast') return { allowed: false, reason: `is a ${range} address` };
  return { allowed: true };
}

/** A URL's host as an address literal (brackets removed), or null for a name. The WHATWG parser already turned decimal, hex and octal forms into dotted quads. */
function hostLiteral(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) ? host : null;
}

interface Target {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** `promise`, or TIMEOUT once `signal` aborts. */
function beforeDeadline<T>(promise: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SafeFetchError('TIMEOUT', `did not answer within ${timeoutMs} ms`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    promise.then(
      (value) => (settle(), resolve(value)),
      (error: unknown) => (settle(), reject(error)),
    );
  });
}

/** Validates one hop and resolves its host to one checked address. */
async function checkHop(raw: string | URL, options: SafeFetchOptions, signal: AbortSignal, timeoutMs: number): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SafeFetchError('BAD_URL', 'is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SafeFetchError('BAD_URL', `uses the ${url.protocol.slice(0, -1)} scheme: only https is fetched`);
  if (url.username || url.password) throw new SafeFetchError('BAD_URL', 'must not contain credentials');
  const literal = hostLiteral(url);
  let addresses: string[];
  if (literal) addresses = [literal];
  else {
    try {
      addresses = await beforeDeadline((options.resolver ?? systemResolver)(url.hostname), signal, timeoutMs);
    } catch (error) {
      if (error instanceof SafeFetchError) throw error;
      throw new SafeFetchError('DNS', `host ${url.hostname} does not resolve`);
    }
    if (addresses.length === 0) throw new SafeFetchError('DNS', `host ${url.hostname} does not resolve`);
  }
  for (const address of addresses) {
    const verdict = classifyAddress(address, options.allowPrivate ?? false);
    if (!verdict.allowed) throw new SafeFetchError('BLOCKED_ADDRESS', `host ${url.hostname} ${literal ? verdict.reason : 'resolves to an address that ' + verdict.reason}: not fetched`);
  }
  const address = addresses[0] as string;
  if (url.protocol === 'http:' && !options.allowHttp) {
    const isPrivate = options.allowPrivate && classifyAddress(address, false).allowed === false;
    if (!isPrivate) throw new SafeFetchError('BAD_URL', 'uses plain http: only https is fetched');
  }
  return { url, address, family: ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4 };
}

/** A `lookup` that answers every query with the checked address, so the socket connects where the check looked. */
const pinnedLookup =
  (address: string, family: 4 | 6): LookupFunction =>
  (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

/** Sends one request to the pinned address; resolves once the response's head arrives. */
function open(target: Target, out: Outgoing, options: SafeFetchOptions, signal: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      target.url,
      {
        method: out.method,
        headers: { accept: '*/*', ...out.headers, ...(out.body !== undefined ? { 'content-length': String(Buffer.byteLength(out.body)) } : {}) },
        lookup: pinnedLookup(target.address, target.family),
        signal,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      resolve,
    );
    req.on('error', reject);
    req.end(out.body);
  });
}

const tooLarge = (maxBytes: number) => new SafeFetchError('TOO_LARGE', `answered with more than ${maxBytes} bytes`);

/** Destroys `res` with TOO_LARGE once more than `maxBytes` arrived (declared or streamed). */
function limitBody(res: IncomingMessage, maxBytes: number): void {
  if (Number(res.headers['content-length'] ?? '0') > maxBytes) {
    res.destroy(tooLarge(maxBytes));
    return;
  }
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) res.destroy(tooLarge(maxBytes));
  });
}

function readBody(res: IncomingMessage, maxBytes: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    limitBody(res, maxBytes);
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(res.errored ?? new Error('response closed early'));
    });
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the first hop's origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** A streamed answer: `body` is the live response (ended by the server, the caller's `signal`, or TOO_LARGE). */
export interface SafeStreamResponse {
  status: number;
  headers: Headers;
  url: string;
  body: Readable;
}

export interface SafeStreamOptions extends SafeFetchOptions {
  /** Aborts the request and its stream (the caller's own deadline or close). */
  signal?: AbortSignal;
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else if (v !== undefined) headers.set(k, v);
  }
  return headers;
}

const networkError = (error: unknown, signal: AbortSignal, timeoutMs: number): SafeFetchError => {
  if (error instanceof SafeFetchError) return error;
  if (signal.aborted) return new SafeFetchError('TIMEOUT', `did not answer within ${timeoutMs} ms`);
  return new SafeFetchError('NETWORK', `could not be fetched (${(error as NodeJS.ErrnoException).code ?? 'connection failed'})`);
};

/** Runs the checked hops; `finish` reads the last hop's response while the deadline still runs. */
async function exchange<T>(url: string | URL, options: SafeStreamOptions, finish: (res: IncomingMessage, signal: AbortSignal, timeoutMs: number) => Promise<T>) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRedirects = options.maxRedirects ?? 0;
  const controller = new AbortController();
  const external = options.signal;
  const abort = () => controller.abort();
  if (external?.aborted) abort();
  else external?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, timeoutMs);
  const out: Outgoing = { method: (options.method ?? 'GET').toUpperCase(), headers: { ...options.headers }, body: options.body };
  let current: string | URL = url;
  let origin: string | null = null;
  try {
    for (let hop = 0; ; hop++) {
      const target = await checkHop(current, options, controller.signal, timeoutMs);
      origin ??= target.url.origin;
      if (target.url.origin !== origin) {
        for (const name of Object.keys(out.headers)) if (CREDENTIAL_HEADERS.has(name.toLowerCase())) delete out.headers[name];
      }
      if (controller.signal.aborted) throw new SafeFetchError('TIMEOUT', `did not answer within ${timeoutMs} ms`);
      let res: IncomingMessage;
      try {
        res = await open(target, out, options, controller.signal);
      } catch (error) {
        throw networkError(error, controller.signal, timeoutMs);
      }
      const headers = headersOf(res);
      const status = res.statusCode ?? 0;
      const location = headers.get('location');
      if (!REDIRECTS.has(status) || !location || maxRedirects === 0) {
        return { status, headers, url: target.url.href, answer: await finish(res, controller.signal, timeoutMs) };
      }
      res.resume();
      if (hop >= maxRedirects) throw new SafeFetchError('TOO_MANY_REDIRECTS', `redirected more than ${maxRedirects} times`);
      current = new URL(location, target.url);
      if (status === 303 || ((status === 301 || status === 302) && out.method === 'POST')) {
        out.method = out.method === 'HEAD' ? 'HEAD' : 'GET';
        out.body = undefined;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fetches `url` refusing non-public destinations (see {@link classifyAddress}) on every hop, with a
 * body limit and one deadline. Resolves with the status, headers and body of the last hop.
 */
export async function safeFetch(url: string | URL, options: SafeFetchOptions = {}): Promise<SafeResponse> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const { status, headers, url: last, answer } = await exchange(url, options, async (res, signal, timeoutMs) => {
    try {
      return await readBody(res, maxBytes);
    } catch (error) {
      throw networkError(error, signal, timeoutMs);
    }
  });
  return { status, headers, url: last, body: answer };
}

/**
 * {@link safeFetch} with the same checks on every hop, answering as soon as the last hop's head
 * arrives: the deadline covers the hops and the head; the body then streams until it ends, the
 * caller's `signal` aborts it, or it passes `maxBytes` (the stream then fails with TOO_LARGE).
 */
export async function safeFetchStream(url: string | URL, options: SafeStreamOptions = {}): Promise<SafeStreamResponse> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const { status, headers, url: last, answer } = await exchange(url, options, async (res) => {
    limitBody(res, maxBytes);
    return res;
  });
  return { status, headers, url: last, body: answer };
}
