import type { ModelProvider, ProviderId } from '../types';
import type { ExternalProviderOptions } from './anthropic';
import { createOfflineProvider } from './offline';

/** Which model the agents use (from PACT_MODEL_PROVIDER and the provider's variables). */
export interface ModelConfig {
  provider: ProviderId;
  /** The model name; each provider has a default. */
  model?: string | undefined;
  anthropicApiKey?: string | undefined;
  anthropicBaseUrl?: string | undefined;
  openaiApiKey?: string | undefined;
  openaiBaseUrl?: string | undefined;
  /** One model request's time limit (default 30 s). */
  timeoutMs?: number | undefined;
  /** SDK retries (default 0: a retry doubles a slow answer's wait). */
  maxRetries?: number | undefined;
  /** Upper bound of an answer's tokens (default 1,024). */
  maxTokens?: number | undefined;
}

export const DEFAULT_MODELS: Record<Exclude<ProviderId, 'offline'>, string> = {
  anthropic: 'claude-sonnet-4-6',
  openai: 'gpt-4o-mini',
};
export const DEFAULT_MODEL_TIMEOUT_MS = 30_000;

/** The problem with a model configuration (one line), or null when it can start. */
function modelConfigProblem(config: ModelConfig): string | null {
  if (config.provider === 'anthropic' && !config.anthropicApiKey) return 'PACT_MODEL_PROVIDER=anthropic needs ANTHROPIC_API_KEY';
  if (config.provider === 'openai' && !config.openaiApiKey) return 'PACT_MODEL_PROVIDER=openai needs OPENAI_API_KEY';
  return null;
}

/** The configured provider; throws (one line) when the chosen provider has no key. */
export function createModelProvider(config: ModelConfig): ModelProvider {
  const problem = modelConfigProblem(config);
  if (problem) throw new Error(problem);
  if (config.provider === 'offline') return createOfflineProvider();
  const common = {
    model: config.model ?? DEFAULT_MODELS[config.provider],
    timeoutMs: config.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS,
    maxRetries: config.maxRetries ?? 0,
    maxTokens: config.maxTokens ?? 1024,
  };
  return config.provider === 'anthropic'
    ? lazyProvider('anthropic', { ...common, apiKey: config.anthropicApiKey as string, baseURL: config.anthropicBaseUrl }, async (o) =>
        (await import('./anthropic')).createAnthropicProvider(o),
      )
    : lazyProvider('openai', { ...common, apiKey: config.openaiApiKey as string, baseURL: config.openaiBaseUrl }, async (o) =>
        (await import('./openai')).createOpenAiProvider(o),
      );
}

/** An external provider whose SDK (hundreds of modules) is loaded on its first answer, not at start. */
function lazyProvider(
  id: Exclude<ProviderId, 'offline'>,
  options: ExternalProviderOptions,
  load: (options: ExternalProviderOptions) => Promise<ModelProvider>,
): ModelProvider {
  let provider: Promise<ModelProvider> | null = null;
  return {
    id,
    model: options.model,
    external: true,
    maxTokens: options.maxTokens,
    answer: async (prompt, answerOptions) => (await (provider ??= load(options))).answer(prompt, answerOptions),
  };
}
