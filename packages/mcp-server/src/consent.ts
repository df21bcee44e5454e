/** A data subject's consent status, as Pact records it (`unknown`: no record, so not blocked). */
export type ConsentStatus = 'granted' | 'withdrawn' | 'suppressed' | 'erased' | 'unknown';

/** The statuses that block a call: the tool answers `{"blocked": true, "reason": "consent_<status>"}`. */
export const BLOCKING_STATUSES: readonly ConsentStatus[] = ['withdrawn', 'suppressed', 'erased'];

export const isBlocking = (status: ConsentStatus): status is 'withdrawn' | 'suppressed' | 'erased' => BLOCKING_STATUSES.includes(status);

/** Where a tool's consent gate asks about a subject (an e-mail address, a domain, a subject id). */
export interface ConsentStore {
  check(subject: string): ConsentStatus | Promise<ConsentStatus>;
}

/** Subjects compare as Pact's blind index does: trimmed, lower case. */
const normalise = (subject: string) => subject.trim().toLowerCase();

/** A consent store in memory, for examples and tests: every subject is `unknown` (allowed) until set. */
export class InMemoryConsentStore implements ConsentStore {
  readonly #statuses = new Map<string, ConsentStatus>();

  constructor(initial: Record<string, ConsentStatus> = {}) {
    for (const [subject, status] of Object.entries(initial)) this.set(subject, status);
  }

  check(subject: string): ConsentStatus {
    return this.#statuses.get(normalise(subject)) ?? 'unknown';
  }

  set(subject: string, status: ConsentStatus): this {
    if (status === 'unknown') this.#statuses.delete(normalise(subject));
    else this.#statuses.set(normalise(subject), status);
    return this;
  }

  grant(subject: string): this {
    return this.set(subject, 'granted');
  }

  withdraw(subject: string): this {
    return this.set(subject, 'withdrawn');
  }

  suppress(subject: string): this {
    return this.set(subject, 'suppressed');
  }

  erase(subject: string): this {
    return this.set(subject, 'erased');
  }
}

export interface PactConsentStoreOptions {
  /** Pact's base URL (`https://pact.example.com`) or its `/graphql` endpoint. */
  url: string;
  /** A `pact_live_…` API key with the `check:consent` scope (it needs no other). */
  apiKey: string;
  /** Sent as `X-Tenant-ID` when the key's principal has several tenants. */
  tenant?: string;
  /** Per-check timeout (default 5 s); a check that fails or times out blocks nothing and throws. */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/** The persisted operation Pact answers consent checks with (schema/operations/consent-check.graphql). */
export const CONSENT_CHECK_QUERY = `query ConsentCheck($subject: String!) {
  consentCheck(subject: $subject) {
    allowed
    status
  }
}`;

const STATUSES = new Set<string>(['granted', 'withdrawn', 'suppressed', 'erased', 'unknown']);

/** An answer Pact gave that is not a consent status (refused key, rate limit, outage): the call is not run. */
export class ConsentCheckError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConsentCheckError';
  }
}

/**
 * Asks a Pact server whether a subject may be processed, one subject per call, with a key scoped to
 * `check:consent`. Pact audits and rate-limits each check and never stores the subject in plain text.
 * A check that cannot be answered throws `ConsentCheckError`; the tool then answers an error and
 * does not run (fail closed).
 */
export class PactConsentStore implements ConsentStore {
  readonly #endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: PactConsentStoreOptions) {
    const url = new URL(options.url);
    this.#endpoint = url.pathname.replace(/\/+$/, '').endsWith('/graphql') ? url.href : new URL('graphql', url.href.endsWith('/') ? url.href : `${url.href}/`).href;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${options.apiKey}`,
      ...(options.tenant ? { 'x-tenant-id': options.tenant } : {}),
    };
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? fetch;
  }

  async check(subject: string): Promise<ConsentStatus> {
    let response: Response;
    try {
      response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify({ query: CONSENT_CHECK_QUERY, variables: { subject } }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new ConsentCheckError(`Consent check failed: Pact at ${this.#endpoint} is unreachable (${(error as Error).message}).`, 'UNREACHABLE');
    }
    let body: { data?: { consentCheck?: { status?: unknown } | null } | null; errors?: { message?: string; extensions?: { code?: string } }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new ConsentCheckError(`Consent check failed: Pact answered HTTP ${response.status} without JSON.`, 'BAD_RESPONSE');
    }
    const error = body.errors?.[0];
    if (error) throw new ConsentCheckError(`Consent check refused by Pact: ${error.message ?? 'unknown error'}`, error.extensions?.code ?? 'ERROR');
    const check = body.data?.consentCheck;
    // GraphQL answers the enum's names (WITHDRAWN); null status: Pact holds no record.
    const status = check?.status === null ? 'unknown' : typeof check?.status === 'string' ? check.status.toLowerCase() : undefined;
    if (!check || status === undefined || !STATUSES.has(status)) throw new ConsentCheckError(`Consent check failed: Pact answered HTTP ${response.status} with no status.`, 'BAD_RESPONSE');
    return status as ConsentStatus;
  }
}
