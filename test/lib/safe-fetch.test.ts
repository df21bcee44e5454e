import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, safeFetch, SafeFetchError, safeFetchStream, type SafeFetchOptions } from '../../src/lib/safe-fetch';
import { mapResolver, selfSignedCertificate, startDocumentServer, type DocumentServer } from '../helpers/document-server';

let server: DocumentServer;
let other: DocumentServer;
let tlsServer: DocumentServer;
let cert: string;

beforeAll(async () => {
  server = await startDocumentServer();
  other = await startDocumentServer();
  const tls = selfSignedCertificate(['docs.test']);
  cert = tls.cert;
  tlsServer = await startDocumentServer(tls);
});
afterAll(async () => {
  await Promise.all([server.close(), other.close(), tlsServer.close()]);
});

/** A resolver that fails the test if it is asked at all: literal hosts must be classified without DNS. */
const noDns = async (hostname: string): Promise<string[]> => {
  throw new Error(`resolver called for ${hostname}`);
};

async function refusal(url: string, options: SafeFetchOptions = {}): Promise<SafeFetchError> {
  try {
    await safeFetch(url, { resolver: noDns, timeoutMs: 2000, ...options });
  } catch (error) {
    if (error instanceof SafeFetchError) return error;
    throw error;
  }
  throw new Error(`${url} was fetched`);
}

describe('address classification', () => {
  it('refuses every non-public range, including IPv4 carried inside IPv6', () => {
    for (const address of [
      '127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.1.1',
      '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '240.0.0.1', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fd00:ec2::254',
      'fe80::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::a00:1', '64:ff9b::a00:1',
      '64:ff9b::7f00:1', '2002:a00:1::1', '2002:7f00:1::', '2001:db8::1', '2001::1',
    ]) {
      expect(classifyAddress(address), address).toMatchObject({ allowed: false });
    }
  });

  it('allows public unicast addresses, and public IPv4 behind NAT64 or 6to4', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '64:ff9b::5db8:d822', '2002:5db8:d822::1']) {
      expect(classifyAddress(address), address).toEqual({ allowed: true });
    }
  });

  it('with the development allowance reaches loopback and private ranges, never metadata, link-local or unspecified', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '192.168.0.10', 'fc00::1', '::1', '::ffff:10.0.0.1']) {
      expect(classifyAddress(address, true), address).toEqual({ allowed: true });
    }
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1']) {
      expect(classifyAddress(address, true), address).toMatchObject({ allowed: false });
    }
  });
});

describe('refusals before connecting', () => {
  it('refuses loopback, private, link-local and unique-local hosts in every encoding', async () => {
    for (const url of [
      'https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://127.1/', 'https://0x7f000001/',
      'https://10.0.0.1/', 'https://172.16.5.4/', 'https://192.168.0.1/', 'https://169.254.169.254/latest/meta-data/', 'https://[::1]/',
      'https://[fc00::1]/', 'https://[fd00:ec2::254]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:10.0.0.1]/', 'https://[::ffff:7f00:1]/',
      'https://[fe80::1]/', 'https://0.0.0.0/', 'https://[::]/',
    ]) {
      const error = await refusal(url);
      expect(error.code, url).toBe('BLOCKED_ADDRESS');
      expect(error.message).toMatch(/not fetched/);
    }
  });

  it('refuses a name that resolves to a private address, or to any private address among public ones', async () => {
    const resolver = mapResolver({ 'internal.test': ['10.0.0.5'], 'mixed.test': ['93.184.216.34', '192.168.1.1'], 'meta.test': ['169.254.169.254'] });
    for (const host of ['internal.test', 'mixed.test', 'meta.test']) {
      const error = await refusal(`https://${host}/doc.json`, { resolver });
      expect(error.code, host).toBe('BLOCKED_ADDRESS');
      expect(error.message).toContain(`host ${host} resolves to an address that`);
      expect(error.message).not.toMatch(/10\.0\.0\.5|192\.168|169\.254/);
    }
  });

  it('refuses other schemes, credentials in the URL, unresolvable names and plain http to a public host', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.test/x', 'gopher://example.test/', 'data:text/plain,hi']) {
      expect((await refusal(url)).code, url).toBe('BAD_URL');
    }
    expect((await refusal('https://user:pw@example.test/')).message).toMatch(/credentials/);
    const resolver = mapResolver({ 'public.test': ['93.184.216.34'] });
    expect((await refusal('https://nowhere.test/', { resolver })).code).toBe('DNS');
    expect((await refusal('http://public.test/', { resolver })).message).toMatch(/plain http/);
  });
});

describe('fetching with the development allowance', () => {
  it('connects to the address it checked, keeping the name in the Host header', async () => {
    server.routes.set('/doc.json', { body: '{"ok":true}' });
    const res = await safeFetch(`http://docs.test:${server.port}/doc.json`, { resolver: mapResolver({ 'docs.test': ['127.0.0.1'] }), allowPrivate: true });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ ok: true });
    expect(server.hosts.at(-1)).toBe(`docs.test:${server.port}`);
  });

  it('verifies https against the name (SNI) while connecting to the pinned address', async () => {
    tlsServer.routes.set('/doc.json', { body: '{"tls":true}' });
    const resolver = mapResolver({ 'docs.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const res = await safeFetch(`https://docs.test:${tlsServer.port}/doc.json`, { resolver, allowPrivate: true, ca: cert });
    expect(JSON.parse(res.body.toString())).toEqual({ tls: true });
    expect((await refusal(`https://other.test:${tlsServer.port}/doc.json`, { resolver, allowPrivate: true, ca: cert })).code).toBe('NETWORK');
    expect((await refusal(`https://docs.test:${tlsServer.port}/doc.json`, { resolver, allowPrivate: true })).code).toBe('NETWORK');
  });

  it('still refuses the loopback document server when the allowance is off', async () => {
    const error = await refusal(`http://docs.test:${server.port}/doc.json`, { resolver: mapResolver({ 'docs.test': ['127.0.0.1'] }) });
    expect(error.code).toBe('BLOCKED_ADDRESS');
    expect(server.hosts.filter((h) => h.startsWith('docs.test')).length).toBe(1);
  });

  it('re-checks every redirect hop: a redirect to a metadata address or a name resolving to one is refused', async () => {
    const resolver = mapResolver({ 'docs.test': ['127.0.0.1'], 'metadata.test': ['169.254.169.254'], 'ula.test': ['fd00:ec2::254'] });
    for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.test/latest/', 'http://ula.test/', 'http://[::ffff:169.254.169.254]/']) {
      server.routes.set('/hop', { status: 302, headers: { location: target } });
      const error = await refusal(`http://docs.test:${server.port}/hop`, { resolver, allowPrivate: true, maxRedirects: 3 });
      expect(error.code, target).toBe('BLOCKED_ADDRESS');
    }
  });

  it('follows redirects up to the limit, dropping credentials when the origin changes', async () => {
    let seenAuth: string | undefined = 'unset';
    other.routes.set('/final', {
      handler: (req, res) => {
        seenAuth = req.headers.authorization;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"final":true}');
      },
    });
    server.routes.set('/a', { status: 307, headers: { location: '/b' } });
    server.routes.set('/b', { status: 302, headers: { location: `${other.url}/final` } });
    const res = await safeFetch(`${server.url}/a`, { allowPrivate: true, maxRedirects: 3, headers: { authorization: 'Bearer secret' } });
    expect(res.url).toBe(`${other.url}/final`);
    expect(JSON.parse(res.body.toString())).toEqual({ final: true });
    expect(seenAuth).toBeUndefined();

    server.routes.set('/loop', { status: 302, headers: { location: '/loop' } });
    const before = server.hits.get('/loop') ?? 0;
    expect((await refusal(`${server.url}/loop`, { allowPrivate: true, maxRedirects: 3 })).code).toBe('TOO_MANY_REDIRECTS');
    expect((server.hits.get('/loop') ?? 0) - before).toBe(4);

    const unfollowed = await safeFetch(`${server.url}/loop`, { allowPrivate: true });
    expect(unfollowed.status).toBe(302);
  });

  it('stops at the size limit, declared or streamed, and at the deadline', async () => {
    server.routes.set('/big', { body: 'x'.repeat(10_000) });
    server.routes.set('/chunked', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
        res.end();
      },
    });
    server.routes.set('/slow', { handler: () => undefined });
    expect((await refusal(`${server.url}/big`, { allowPrivate: true, maxBytes: 5120 })).code).toBe('TOO_LARGE');
    expect((await refusal(`${server.url}/chunked`, { allowPrivate: true, maxBytes: 5120 })).code).toBe('TOO_LARGE');
    const started = Date.now();
    const slow = await refusal(`${server.url}/slow`, { allowPrivate: true, timeoutMs: 300 });
    expect(slow.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    const stuck = await refusal('https://stuck.test/', { resolver: () => new Promise<string[]>(() => undefined), timeoutMs: 300 });
    expect(stuck.code).toBe('TIMEOUT');
  });
});

describe('streaming', () => {
  it('answers at the head and streams the body as it is written, pinned to the checked address', async () => {
    let finish: () => void = () => undefined;
    server.routes.set('/events', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        finish = () => res.end('data: two\n\n');
      },
    });
    const res = await safeFetchStream(`http://docs.test:${server.port}/events`, { resolver: mapResolver({ 'docs.test': ['127.0.0.1'] }), allowPrivate: true, timeoutMs: 2000 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(server.hosts.at(-1)).toBe(`docs.test:${server.port}`);
    const chunks: string[] = [];
    res.body.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.join('')).toBe('data: one\n\n');
    finish();
    await new Promise((r) => res.body.on('end', r));
    expect(chunks.join('')).toBe('data: one\n\ndata: two\n\n');
  });

  it('keeps the refusals, the deadline up to the head, the size limit and the caller abort', async () => {
    await expect(safeFetchStream(`http://docs.test:${server.port}/events`, { resolver: mapResolver({ 'docs.test': ['127.0.0.1'] }) })).rejects.toMatchObject({ code: 'BLOCKED_ADDRESS' });
    server.routes.set('/silent', { handler: () => undefined });
    await expect(safeFetchStream(`${server.url}/silent`, { allowPrivate: true, timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    server.routes.set('/flood', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < 10; i++) res.write('z'.repeat(1000));
      },
    });
    const flood = await safeFetchStream(`${server.url}/flood`, { allowPrivate: true, maxBytes: 5120 });
    const failed = await new Promise<unknown>((resolve) => flood.body.on('error', resolve).resume());
    expect(failed).toMatchObject({ code: 'TOO_LARGE' });
    server.routes.set('/open', { handler: (_req, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n') });
    const controller = new AbortController();
    const open = await safeFetchStream(`${server.url}/open`, { allowPrivate: true, signal: controller.signal });
    const closed = new Promise((resolve) => open.body.on('close', resolve).resume());
    controller.abort();
    await closed;
    expect(open.body.destroyed).toBe(true);
  });
});
