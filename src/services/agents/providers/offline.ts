import type { ModelProvider } from '../types';

/**
 * The built-in provider (the default): no model. It answers with the agent's deterministic draft,
 * built from full-text retrieval over non-PII fields and structured queries, citing every record it
 * mentions. Costs no model spend.
 */
export function createOfflineProvider(): ModelProvider {
  return {
    id: 'offline',
    model: null,
    external: false,
    maxTokens: 0,
    answer: async (prompt) => ({ text: prompt.draft, inputTokens: 0, outputTokens: 0, model: null }),
  };
}
