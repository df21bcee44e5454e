import { systemClock, type Clock } from '../lib/clock';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { Database } from '../db/client';
import { createCursorCodec, type CursorCodec } from '../lib/cursor';
import { deriveKey } from '../lib/crypto';
import type { Logger } from '../lib/logger';
import { createAgentService, type AgentService } from './agents/index';
import type { ModelConfig } from './agents/providers/index';
import { createAuditService, type AuditService } from './audit/audit-log';
import { createSealKeys } from './audit/seal-format';
import { createAuditSealer, type AuditSealer } from './audit/sealer';
import { createAuthenticator, type Authenticator } from './auth/authenticator';
import { createLocalKeyProvider, type KeyProvider } from './keys/key-provider';
import { createKeyService, type KeyService } from './keys/tenant-keys';
import { createMemoryWindowStore } from './limits/memory-store';
import type { ClientMetadataOptions } from './oauth/client-metadata';
import { createClientsStore } from './oauth/clients';
import { createFormTokens, type FormTokens } from './oauth/form-tokens';
import { createGrantService, type GrantService } from './oauth/grants';
import { DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from './federation/upstream';
import { DEFAULT_LIMITS, type LimitPolicy, type WindowStore } from './limits/policy';
import { createRedisWindowStore } from './limits/redis-store';

/** The long-lived service objects one server instance shares across requests. */
export interface Services {
  database: Database;
  keys: KeyService;
  cursors: CursorCodec;
  auth: Authenticator;
  audit: AuditService;
  /** Seals this instance's and every other instance's committed audit rows in the background. */
  auditSealer: AuditSealer;
  limiter: WindowStore;
  limits: LimitPolicy;
  /** The AI agents' model provider and run bookkeeping. */
  agents: AgentService;
  logger: Logger;
  /** The OAuth authorization server's state: registered clients, requests, codes and tokens. */
  oauth: { clients: OAuthRegisteredClientsStore; grants: GrantService; formTokens: FormTokens };
  /** How federated MCP servers are reached (address allowance, deadline, resolver). */
  upstreams: UpstreamPolicy;
  close(): Promise<void>;
}

export interface ServicesOptions {
  database: Database;
  /** The local key provider's master key (`PACT_MASTER_KEY`); also keys cursors and audit digests. */
  masterKey: Buffer;
  logger: Logger;
  /** Overrides the local provider (an external KMS). */
  keyProvider?: KeyProvider;
  /** Keeps rate-limit windows in Redis (shared by every instance) instead of this process. */
  redisUrl?: string | undefined;
  limits?: Partial<LimitPolicy>;
  /** The agents' model provider (PACT_MODEL_PROVIDER and its variables); offline when absent. */
  model?: ModelConfig;
  /** Pause between the audit sealer's background passes (default 1000 ms); 0 runs none (`sealNow` only). */
  auditSealIntervalMs?: number;
  /** How OAuth Client ID Metadata Documents are fetched (`PACT_ALLOW_PRIVATE_UPSTREAMS`; a resolver in tests). */
  clientMetadata?: ClientMetadataOptions;
  /** What "today" is for the agents (time windows, risk, briefings); the system clock by default. */
  clock?: Clock;
  /** How federated MCP servers are reached (`PACT_ALLOW_PRIVATE_UPSTREAMS`; a resolver in tests). */
  upstreams?: Partial<UpstreamPolicy>;
}

export function createServices(options: ServicesOptions): Services {
  const provider = options.keyProvider ?? createLocalKeyProvider(options.masterKey);
  const limiter = options.redisUrl
    ? createRedisWindowStore({ url: options.redisUrl, logger: options.logger })
    : createMemoryWindowStore();
  const grants = createGrantService(options.database);
  const audit = createAuditService(options.masterKey);
  const auditSealer = createAuditSealer({
    database: options.database,
    keys: createSealKeys(options.masterKey),
    logger: options.logger,
    intervalMs: options.auditSealIntervalMs ?? 1000,
  });
  return {
    database: options.database,
    keys: createKeyService(provider),
    cursors: createCursorCodec(deriveKey(options.masterKey, 'pact/cursor')),
    auth: createAuthenticator(options.database, grants),
    audit,
    auditSealer,
    limiter,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    agents: createAgentService({ model: options.model ?? { provider: 'offline' }, digest: audit.digest, logger: options.logger, clock: options.clock ?? systemClock }),
    logger: options.logger,
    oauth: {
      clients: createClientsStore(options.database, deriveKey(options.masterKey, 'pact/oauth-client-secret'), {
        metadataDocuments: options.clientMetadata ?? {},
      }),
      grants,
      formTokens: createFormTokens(deriveKey(options.masterKey, 'pact/oauth-form')),
    },
    upstreams: { ...DEFAULT_UPSTREAM_POLICY, ...options.upstreams },
    close: async () => {
      await auditSealer.stop();
      await limiter.close();
    },
  };
}
