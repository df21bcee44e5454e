import type { ProviderId } from './types';

/** A model's price in micro-cents per token (= US dollars per million tokens × 100), integers only. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * List prices per model (USD per million tokens × 100 = micro-cents per token). A model id matches
 * the longest entry it starts with (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`); an unknown
 * model is charged its provider's highest price, so spend is never under-counted.
 */
export const PRICES: Record<Exclude<ProviderId, 'offline'>, Record<string, ModelPrice>> = {
  anthropic: {
    'claude-opus-4': { input: 1500, output: 7500 },
    'claude-opus-4-1': { input: 1500, output: 7500 },
    'claude-opus-4-5': { input: 500, output: 2500 },
    'claude-opus-4-6': { input: 500, output: 2500 },
    'claude-sonnet-4': { input: 300, output: 1500 },
    'claude-sonnet-4-5': { input: 300, output: 1500 },
    'claude-sonnet-4-6': { input: 300, output: 1500 },
    'claude-haiku-4-5': { input: 100, output: 500 },
    'claude-3-5-haiku': { input: 80, output: 400 },
  },
  openai: {
    'gpt-4o': { input: 250, output: 1000 },
    'gpt-4o-mini': { input: 15, output: 60 },
    'gpt-4.1': { input: 200, output: 800 },
    'gpt-4.1-mini': { input: 40, output: 160 },
    'gpt-4.1-nano': { input: 10, output: 40 },
    'gpt-5': { input: 125, output: 1000 },
    'gpt-5-mini': { input: 25, output: 200 },
    'gpt-5-nano': { input: 5, output: 40 },
  },
};

const FREE: ModelPrice = { input: 0, output: 0 };

export function priceOf(provider: ProviderId, model: string | null): ModelPrice {
  if (provider === 'offline' || model === null) return FREE;
  const table = PRICES[provider];
  const match = Object.keys(table)
    .filter((name) => model === name || model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  if (match) return table[match] as ModelPrice;
  const prices = Object.values(table);
  return { input: Math.max(...prices.map((p) => p.input)), output: Math.max(...prices.map((p) => p.output)) };
}

/** Model spend of one answer in integer micro-cents: tokens × the model's price. */
export const modelSpend = (price: ModelPrice, inputTokens: number, outputTokens: number): number => inputTokens * price.input + outputTokens * price.output;
