import type { Scope } from '../auth/scopes';

/** The kinds of record an agent can run on. */
export type TargetKind = 'account' | 'deal' | 'contact';

export const AGENT_IDS = [
  'metric-explainer',
  'workspace-qa',
  'daily-briefing',
  'deal-risk',
  'account-research',
  'contact-summary',
  'follow-up-drafter',
] as const;
export type AgentId = (typeof AGENT_IDS)[number];

export interface AgentDefinition {
  id: AgentId;
  purpose: string;
  /** Reads contact PII: runs only on a consented contact, and PII reaches an external model only when the tenant allows it. */
  readsPii: boolean;
  /** The record kind it runs on; null when it takes no target. */
  target: TargetKind | null;
  /** A target is required (otherwise optional, or not taken when `target` is null). */
  needsTarget: boolean;
  /** Takes a free-text question (`question`), required for workspace-qa. */
  question: 'required' | 'optional' | 'none';
  /** What the agent is told to do when a model writes its answer. */
  instruction: string;
  /**
   * Every scope fire_agent needs to run it: read:workflows plus the read scope of each kind of
   * record it reads (the same scope the matching tool needs, so a scope means the same everywhere).
   */
  requiredScopes: readonly Scope[];
}

/** Pact's agent roster: what `list_agents` shows and `fire_agent` runs. */
export const ROSTER: readonly AgentDefinition[] = [
  {
    id: 'metric-explainer',
    purpose:
      'Explains why a pipeline KPI (open pipeline, weighted pipeline, win rate, average deal size, cycle time) moved between two periods, with drivers by stage, owner, industry and large deals. Aggregates only, no PII.',
    readsPii: false,
    target: null,
    needsTarget: false,
    question: 'optional',
    instruction: 'Explain why the KPI moved between the two periods, naming the largest drivers and citing the large deals.',
    requiredScopes: ['read:workflows', 'read:deals'],
  },
  {
    id: 'workspace-qa',
    purpose: 'Answers a natural-language question across the workspace (accounts and deals) with a grounded answer citing record ids; consent-hidden records are counted, never used.',
    readsPii: false,
    target: null,
    needsTarget: false,
    question: 'required',
    instruction: 'Answer the question from the records and figures given, citing every record you mention.',
    requiredScopes: ['read:workflows', 'read:accounts', 'read:deals'],
  },
  {
    id: 'daily-briefing',
    purpose: "The caller's daily briefing: pipeline snapshot, recent deal activity and deals at risk, as a grounded narrative citing deals.",
    readsPii: false,
    target: null,
    needsTarget: false,
    question: 'none',
    instruction: "Write a short daily briefing for the caller: the pipeline snapshot, recent deal activity and the deals at risk, citing every deal you mention.",
    requiredScopes: ['read:workflows', 'read:accounts'],
  },
  {
    id: 'deal-risk',
    purpose: "Assesses the risk of a deal (overdue close date, no recent activity, late close at low probability); without a target, ranks the caller's open deals at risk.",
    readsPii: false,
    target: 'deal',
    needsTarget: false,
    question: 'none',
    instruction: 'Assess the risk of the deals given and say what to do next, citing every deal you mention.',
    requiredScopes: ['read:workflows', 'read:deals'],
  },
  {
    id: 'account-research',
    purpose: 'Researches an account from the CRM: industry, size, owner, its deals (open, won, lost) and recent activity.',
    readsPii: false,
    target: 'account',
    needsTarget: true,
    question: 'optional',
    instruction: 'Summarise the account and its pipeline for a salesperson preparing a meeting, citing the records you use.',
    requiredScopes: ['read:workflows', 'read:accounts', 'read:deals'],
  },
  {
    id: 'contact-summary',
    purpose: "Summarises a contact: name, title, e-mail and phone, their account (details with read:accounts) and its open deals (with read:deals), and recent activity with them. Reads PII; refused on a contact whose consent is not granted.",
    readsPii: true,
    target: 'contact',
    needsTarget: true,
    question: 'none',
    instruction: 'Summarise the contact and their account for a salesperson, citing the records you use.',
    requiredScopes: ['read:workflows', 'read:contacts'],
  },
  {
    id: 'follow-up-drafter',
    purpose: "Drafts a follow-up e-mail to a contact about their account's open deal. Reads PII; refused on a contact whose consent is not granted.",
    readsPii: true,
    target: 'contact',
    needsTarget: true,
    question: 'optional',
    instruction: 'Draft a short, friendly follow-up e-mail to the contact about the deal, with a subject line; cite the records you use.',
    requiredScopes: ['read:workflows', 'read:contacts'],
  },
];

export const isAgentId = (value: string): value is AgentId => (AGENT_IDS as readonly string[]).includes(value);

export function agentById(id: AgentId): AgentDefinition {
  const agent = ROSTER.find((a) => a.id === id);
  if (!agent) throw new Error(`agent ${id} is not in the roster`);
  return agent;
}
