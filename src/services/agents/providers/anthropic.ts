import Anthropic from '@anthropic-ai/sdk';
import type { ModelProvider } from '../types';
import { estimateTokens, modelError, renderPrompt, tokenCount, type ProviderFailure } from './prompt';

export interface ExternalProviderOptions {
  apiKey: string;
  /** The provider's API base URL (a proxy, a gateway or a local fake in tests); the SDK's default when absent. */
  baseURL?: string | undefined;
  model: string;
  /** One request's time limit. */
  timeoutMs: number;
  /** SDK retries of timeouts, connection errors, 429 and 5xx (each retry holds the call's transaction longer). */
  maxRetries: number;
  /** Upper bound of the answer's tokens. */
  maxTokens: number;
}

function failureOf(error: unknown): ProviderFailure | null {
  if (error instanceof Anthropic.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof Anthropic.APIConnectionError) return { kind: 'connection' };
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') return { kind: 'status', status: error.status };
  return null;
}

/** Claude through the official Anthropic SDK (Messages API). */
export function createAnthropicProvider(options: ExternalProviderOptions): ModelProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    logLevel: 'off',
    openTelemetry: false,
  });
  return {
    id: 'anthropic',
    model: options.model,
    external: true,
    maxTokens: options.maxTokens,
    async answer(prompt, { withPii }) {
      const { system, user } = renderPrompt(prompt, withPii);
      let message: Anthropic.Message;
      try {
        message = await client.messages.create({
          model: options.model,
          max_tokens: options.maxTokens,
          system,
          messages: [{ role: 'user', content: user }],
        });
      } catch (error) {
        const failure = failureOf(error);
        if (failure) throw modelError('anthropic', failure, options.timeoutMs);
        throw modelError('anthropic', { kind: 'malformed', what: 'unreadable response' }, options.timeoutMs);
      }
      const blocks = Array.isArray(message?.content) ? message.content : [];
      const text = blocks
        .flatMap((b) => (b.type === 'text' && typeof b.text === 'string' ? [b.text] : []))
        .join('')
        .trim();
      if (!text) throw modelError('anthropic', { kind: 'malformed', what: 'no text in the answer' }, options.timeoutMs);
      return {
        text,
        inputTokens: tokenCount(message.usage?.input_tokens) ?? estimateTokens(system + user),
        outputTokens: tokenCount(message.usage?.output_tokens) ?? estimateTokens(text),
        model: typeof message.model === 'string' && message.model ? message.model : options.model,
      };
    },
  };
}
