import type { AgentId, TargetKind } from './roster';

/** A record an answer cites: written inline as `[kind:id]`, listed with a non-PII label. */
export interface Citation {
  kind: TargetKind;
  id: string;
  /** Account or deal name, or a contact's title: never personal data. */
  label: string;
}

/** One record an agent may use and cite: its id and what the answer may say about it. */
export interface ContextRecord extends Citation {
  /** Facts about the record, in words (non-PII, or `{{placeholders}}` for PII). */
  facts: string;
}

/**
 * Everything an answer may be built from: the retrieved records (each citable by id), figures
 * computed from aggregates, and the deterministic answer the offline provider gives. PII appears
 * only as `{{placeholders}}` (see `substitutions`).
 */
export interface GroundedPrompt {
  agent: AgentId;
  instruction: string;
  /** The caller's question, if any (e-mail addresses and phone numbers are masked for agents that read no PII). */
  question: string | null;
  records: ContextRecord[];
  /** Figures and statements without a record of their own (aggregates, counts, dates). */
  facts: string[];
  /** The offline answer: deterministic, built from the same records, citing them inline. */
  draft: string;
  /** Placeholder → value: personal data the answer may contain, filled in by Pact after the model answers. */
  substitutions: Record<string, string>;
  /**
   * `beside`: the answer is a message for someone else (a drafted e-mail): its `[kind:id]` markers
   * are checked, then removed from the text; the citations are returned beside it. Inline by default.
   */
  citations?: 'inline' | 'beside';
}

/** What a model provider answers. */
export interface ModelReply {
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** The model that answered (null for the offline provider). */
  model: string | null;
}

export type ProviderId = 'offline' | 'anthropic' | 'openai';

/** A model behind Pact's agents. External providers get the prompt rendered as text; the offline one answers from the draft. */
export interface ModelProvider {
  readonly id: ProviderId;
  /** The configured model (null for offline). */
  readonly model: string | null;
  /** True when the provider sends the prompt outside Pact (PII policy applies). */
  readonly external: boolean;
  /** The most tokens an answer may have (what the AI budget reserves for a run). */
  readonly maxTokens: number;
  /**
   * Answers the prompt. `withPii` fills personal data into the prompt before it leaves Pact (only
   * for an agent that reads PII, after the consent gate, when the tenant allows it).
   */
  answer(prompt: GroundedPrompt, options: { withPii: boolean }): Promise<ModelReply>;
}
