import { todayOf, type Clock } from '../../lib/clock';
import type { Logger } from '../../lib/logger';
import { createModelProvider, type ModelConfig } from './providers/index';
import type { ModelProvider } from './types';

/** What the agents share across requests: the model provider and the run-input digest. */
export interface AgentService {
  provider: ModelProvider;
  /** HMAC (the tenant's audit key) over the canonical JSON of a run's input: stored instead of the input. */
  digest(tenantId: string, input: unknown): string;
  logger: Logger;
  /** What "today" is (time windows, risk, briefings): the system clock, or a pinned one in tests and the evaluation. */
  clock: Clock;
  /** The clock's day in UTC (YYYY-MM-DD). */
  today(): string;
}

export interface AgentServiceOptions {
  model: ModelConfig;
  digest: AgentService['digest'];
  logger: Logger;
  clock: Clock;
}

export function createAgentService(options: AgentServiceOptions): AgentService {
  return { provider: createModelProvider(options.model), digest: options.digest, logger: options.logger, clock: options.clock, today: () => todayOf(options.clock) };
}
