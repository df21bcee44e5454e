import type { Logger } from '../../lib/logger';
import { createModelProvider, type ModelConfig } from './providers/index';
import type { ModelProvider } from './types';

/** What the agents share across requests: the model provider and the run-input digest. */
export interface AgentService {
  provider: ModelProvider;
  /** HMAC (the tenant's audit key) over the canonical JSON of a run's input: stored instead of the input. */
  digest(tenantId: string, input: unknown): string;
  logger: Logger;
}

export interface AgentServiceOptions {
  model: ModelConfig;
  digest: AgentService['digest'];
  logger: Logger;
}

export function createAgentService(options: AgentServiceOptions): AgentService {
  return { provider: createModelProvider(options.model), digest: options.digest, logger: options.logger };
}
