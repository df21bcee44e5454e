import OpenAI from 'openai';
import type { ModelProvider } from '../types';
import type { ExternalProviderOptions } from './anthropic';
import { estimateTokens, modelError, renderPrompt, tokenCount, type ProviderFailure } from './prompt';

function failureOf(error: unknown): ProviderFailure | null {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof OpenAI.APIConnectionError) return { kind: 'connection' };
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') return { kind: 'status', status: error.status };
  return null;
}

/** OpenAI models through the official OpenAI SDK (Chat Completions, which compatible gateways serve too). */
export function createOpenAiProvider(options: ExternalProviderOptions): ModelProvider {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    logLevel: 'off',
  });
  return {
    id: 'openai',
    model: options.model,
    external: true,
    maxTokens: options.maxTokens,
    async answer(prompt, { withPii }) {
      const { system, user } = renderPrompt(prompt, withPii);
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model: options.model,
          max_completion_tokens: options.maxTokens,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        });
      } catch (error) {
        const failure = failureOf(error);
        if (failure) throw modelError('openai', failure, options.timeoutMs);
        throw modelError('openai', { kind: 'malformed', what: 'unreadable response' }, options.timeoutMs);
      }
      const content = Array.isArray(completion?.choices) ? completion.choices[0]?.message?.content : undefined;
      const text = typeof content === 'string' ? content.trim() : '';
      if (!text) throw modelError('openai', { kind: 'malformed', what: 'no text in the answer' }, options.timeoutMs);
      return {
        text,
        inputTokens: tokenCount(completion.usage?.prompt_tokens) ?? estimateTokens(system + user),
        outputTokens: tokenCount(completion.usage?.completion_tokens) ?? estimateTokens(text),
        model: typeof completion.model === 'string' && completion.model ? completion.model : options.model,
      };
    },
  };
}
