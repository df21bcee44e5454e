import type { ServiceContext } from '../context';
import { callerPerson, type CallerPerson } from './caller';
import { dealRecord } from './facts';
import { daysBetween, prose, stageName } from './format';
import { cite } from './grounding';
import { accountDeals, accountSeen, contactAccountRecord, contactRecord, isOpen, person, prompt, reach, type BuiltPrompt } from './records';
import { agentById } from './roster';

const NEXT_STEP: Record<string, string> = {
  prospecting: 'explore whether a short discovery call would help your team',
  qualification: 'confirm your requirements, timeline and who else should be involved',
  proposal: 'walk through the proposal together and answer open questions',
  negotiation: 'agree the remaining terms so we can move to signature',
  closed_won: 'check in on how things are going since you started',
  closed_lost: 'stay in touch in case your priorities change',
};

/** What the user asked the drafter to do, read without a model. */
export interface DraftInstructions {
  /** Topics to mention ("mention pricing" → ["pricing"]). */
  mention: string[];
  /** A proposed time ("propose Tuesday" → "Tuesday"). */
  propose: string | null;
  /** Something to thank them for. */
  thank: string | null;
  tone: 'formal' | 'friendly' | null;
  brief: boolean;
}

const DAY = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|this week)\b(?:\s+(?:at\s+)?(\d{1,2}(?::\d{2})?\s*(?:am|pm)?|morning|afternoon))?/i;
const capital = (s: string) => s.replace(/^./, (c) => c.toUpperCase());

/** Reads the drafter's instructions: topics to mention, a time to propose, thanks, tone, length. */
export function readInstructions(text: string | null): DraftInstructions {
  const out: DraftInstructions = { mention: [], propose: null, thank: null, tone: null, brief: false };
  if (!text) return out;
  for (const clause of text.split(/[,;.]|\band\b(?=\s+(?:mention|propose|suggest|ask|thank|include|keep|make|offer))/i)) {
    const c = clause.trim();
    const mention = c.match(/\b(?:mention|mentioning|include|including|talk about|bring up|cover|touch on|discuss|raise|address|remind (?:them|him|her) (?:of|about))\s+(?:the\s+|our\s+)?(.+)/i);
    if (mention?.[1]) out.mention.push(mention[1].trim().replace(/\s+/g, ' '));
    const time = c.match(/\b(?:propose|suggest|offer|ask (?:for|about)|schedule|book|set up|meet(?:ing)?(?: on)?|call(?: on)?)\b/i) ? c.match(DAY) : null;
    if (time) out.propose = [capital(time[1] ?? ''), time[2] ? (/(morning|afternoon)/i.test(time[2]) ? time[2].toLowerCase() : `at ${time[2]}`) : ''].filter(Boolean).join(' ');
    const thank = c.match(/\bthank (?:them|him|her) for\s+(.+)/i);
    if (thank?.[1]) out.thank = thank[1].trim();
  }
  if (!out.propose) {
    const day = text.match(DAY);
    if (day && /\b(propose|suggest|meet|call|slot|time|available)\b/i.test(text)) out.propose = capital(day[1] ?? '');
  }
  if (/\bformal\b/i.test(text)) out.tone = 'formal';
  else if (/\b(friendly|casual|warm|informal)\b/i.test(text)) out.tone = 'friendly';
  out.brief = /\b(short|brief|concise|two lines|quick)\b/i.test(text);
  return out;
}

/** The sign-off: the sender's name, then their role and the workspace (never "The team" when a person sent it). */
const signature = (sender: CallerPerson): string[] =>
  sender.name ? [sender.name, `${sender.role ? `${capital(sender.role)}, ` : ''}${sender.tenantName}`] : [`The ${sender.tenantName} team`];

/**
 * follow-up-drafter (reads PII): a follow-up e-mail to the contact about their account's main open
 * deal, following the user's instructions (topics to mention, a time to propose, thanks, tone,
 * length), signed with the sender's name and role (for an API key, its creator's). Citations stay
 * beside the message: the draft cites inline for grounding and Pact removes the markers.
 */
export async function followUpPrompt(ctx: ServiceContext, contactId: string, question: string | null, today: string): Promise<BuiltPrompt> {
  const agent = agentById('follow-up-drafter');
  const scope = reach(ctx);
  const p = await person(ctx, contactId);
  if (p.account) p.account = accountSeen(p.account, scope.accounts);
  const deals = p.account && scope.deals ? await accountDeals(ctx, p.account.id) : [];
  const deal = deals.find((d) => isOpen(d)) ?? deals[0] ?? null;
  const sender = await callerPerson(ctx);
  const asked = readInstructions(question);
  const topic = deal ? deal.name : (p.account?.name ?? 'our conversation');
  const slipped = deal && isOpen(deal) && deal.closeDate !== null && deal.closeDate < today;
  const greeting = asked.tone === 'formal' ? 'Dear {{contact_name}},' : 'Hi {{contact_first_name}},';
  const body: string[] = [];
  body.push(
    asked.thank
      ? `Thank you for ${asked.thank}.`
      : deal
        ? `Thank you for your time on ${deal.name} ${cite({ kind: 'deal', id: deal.id })}.`
        : `Thank you for your time${p.account ? ` and your interest from ${p.account.name} ${cite({ kind: 'account', id: p.account.id })}` : ''}.`,
  );
  if (asked.thank && deal) body.push(`Following up on ${deal.name} ${cite({ kind: 'deal', id: deal.id })}:`);
  if (deal) body.push(`As a next step, I would like to ${NEXT_STEP[deal.stage] ?? 'hear how we can help'}.`);
  else body.push('I would like to hear how we can help.');
  if (slipped && !asked.brief) body.push(`We had planned to wrap this up by ${deal.closeDate}; could we agree on a realistic new timeline?`);
  for (const m of asked.mention) body.push(/pric/i.test(m) ? `I would also like to go over ${m} with you, so you have everything you need on cost.` : `I would also like to cover ${m}.`);
  body.push(asked.propose ? `Would ${asked.propose} work for a 20-minute call?` : 'Would you have 20 minutes next week?');
  const draft = [
    `To: {{contact_email}} ${cite({ kind: 'contact', id: p.contactId })}`,
    `Subject: ${asked.mention.length > 0 && /pric/i.test(asked.mention[0] ?? '') ? `${topic}: next steps and pricing` : `Following up on ${topic}`}`,
    '',
    greeting,
    '',
    body.join(' '),
    '',
    asked.tone === 'formal' ? 'Kind regards,' : 'Best regards,',
    ...signature(sender),
  ].join('\n');
  const records = [contactRecord(p), ...(p.account ? [contactAccountRecord(p.account, scope.accounts)] : []), ...(deal ? [dealRecord(deal)] : [])];
  const followed = [
    ...asked.mention.map((m) => `mention ${m}`),
    ...(asked.propose ? [`propose ${asked.propose}`] : []),
    ...(asked.thank ? [`thank them for ${asked.thank}`] : []),
    ...(asked.tone ? [`${asked.tone} tone`] : []),
    ...(asked.brief ? ['keep it short'] : []),
  ];
  const facts = [
    `Today is ${today}.`,
    `The e-mail is sent by ${sender.name ?? `the ${sender.tenantName} team`}${sender.role ? ` (${sender.role})` : ''}, of ${sender.tenantName}; sign it with that name and role, never "The team".`,
    deal
      ? `The deal to follow up on is ${deal.name} (stage ${stageName(deal.stage)}, close date ${deal.closeDate ?? 'none'}${slipped ? `, ${daysBetween(deal.closeDate as string, today)} days past it` : ''}).`
      : scope.deals
        ? 'The contact has no deal on file.'
        : 'Deals were not read.',
    ...(question ? [`Follow the user's instructions in QUESTION${followed.length > 0 ? ` (understood as: ${prose(followed)})` : ''}.`] : []),
    'Pact removes the [kind:id] markers from the e-mail text and lists the citations beside the message.',
    ...(scope.note ? [scope.note] : []),
  ];
  return { prompt: { ...prompt(agent, question, records, facts, draft, p.substitutions), citations: 'beside' }, consentFiltered: 0 };
}
