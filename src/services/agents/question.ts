import { OPEN_STAGES, type DealStage } from '../crm/deals';
import { addDays } from './format';

/**
 * Reading a workspace question without a model: stages, industries, time windows, owners, amounts,
 * risk, activity, grouping and the words left for full-text search. Pure rules over the text and the
 * tenant's vocabulary (industries, members' names); the SQL lives in search.ts.
 */

/** A close-date window the question names, inclusive, with the words that describe it. */
export interface DateWindow {
  from: string;
  to: string;
  /** "closing this month (2026-11-01 to 2026-11-30)". */
  label: string;
}

/** A member of the tenant whose name the question may use. */
export interface Member {
  userId: string;
  displayName: string;
}

export interface QuestionIntent {
  /** Deal stages named ("negotiation", "won", "open", …); empty for any. */
  stages: DealStage[];
  /** Industries of the tenant named in the question (as stored). */
  industries: string[];
  /** Words left for full-text search. */
  terms: string[];
  /** The question is about deals, accounts, or both (null: not said). */
  about: 'deals' | 'accounts' | null;
  /** "largest", "biggest", "top": order by size. */
  largest: boolean;
  /** Nothing to search for: answer with the pipeline overview. */
  overview: boolean;
  /** Close-date window ("this month", "next quarter", "in March", "next 30 days"). */
  window: DateWindow | null;
  /** "overdue", "slipped", "past due": open deals whose close date passed. */
  overdue: boolean;
  /** "at risk", "risky": open deals with a risk signal (overdue, no recent activity, closing soon at low probability). */
  risk: boolean;
  /** "stale", "gone quiet", "no activity": no activity in the last 30 days. */
  stale: boolean;
  /** "what happened", "recent activity", "latest": the activity log. */
  activity: boolean;
  /** "my deals", "mine": the caller's (an API key's creator's). */
  mine: boolean;
  /** Members named as owners ("Manager's deals", "owned by Ada Lovelace"). */
  owners: Member[];
  /** Amount bounds in cents ("over 100k", "under $5,000"). */
  minCents: number | null;
  maxCents: number | null;
  /** "by owner", "per stage", "by industry": an aggregate per group. */
  groupBy: 'owner' | 'stage' | 'industry' | null;
  /** "top 3": how many records to list (null: the default). */
  top: number | null;
  /** The question asks about contacts (people), which workspace-qa does not read. */
  contacts: boolean;
  /** "Who did we last talk to": the person of the latest activity (a contact, cited by id; needs read:contacts). */
  person: boolean;
}

const STAGE_WORDS: Record<string, DealStage[]> = {
  prospecting: ['prospecting'],
  prospect: ['prospecting'],
  prospects: ['prospecting'],
  qualification: ['qualification'],
  qualifying: ['qualification'],
  qualified: ['qualification'],
  proposal: ['proposal'],
  proposals: ['proposal'],
  negotiation: ['negotiation'],
  negotiations: ['negotiation'],
  negotiating: ['negotiation'],
  won: ['closed_won'],
  win: ['closed_won'],
  wins: ['closed_won'],
  lost: ['closed_lost'],
  lose: ['closed_lost'],
  losing: ['closed_lost'],
  loss: ['closed_lost'],
  losses: ['closed_lost'],
  winning: ['closed_won'],
  closed: ['closed_won', 'closed_lost'],
  open: [...OPEN_STAGES],
  active: [...OPEN_STAGES],
};
const DEAL_WORDS = new Set(['deal', 'deals', 'opportunity', 'opportunities', 'opps', 'pipeline', 'stage', 'stages', 'forecast']);
const ACCOUNT_WORDS = new Set(['account', 'accounts', 'company', 'companies', 'customer', 'customers', 'client', 'clients', 'industry', 'industries']);
const LARGEST_WORDS = new Set(['largest', 'biggest', 'top', 'big', 'large', 'highest']);
const RISK_WORDS = new Set(['risk', 'risks', 'risky', 'danger', 'endangered', 'slipping', 'stuck', 'worry', 'worried', 'trouble', 'threatened', 'jeopardy']);
const OVERDUE_WORDS = new Set(['overdue', 'slipped', 'late', 'delayed', 'past-due', 'lapsed', 'expired']);
const STALE_WORDS = new Set(['stale', 'quiet', 'neglected', 'inactive', 'untouched', 'dormant', 'forgotten', 'idle']);
const ACTIVITY_WORDS = new Set([
  'activity', 'activities', 'happened', 'happening', 'happen', 'latest', 'recent', 'recently', 'news', 'update', 'updates', 'touchpoint', 'touchpoints',
  'talked', 'spoke', 'spoken', 'contacted', 'met', 'meeting', 'meetings', 'calls', 'emails', 'interactions', 'history', 'last',
  'talk', 'speak', 'called', 'emailed',
]);
const GROUP_WORDS: Record<string, QuestionIntent['groupBy']> = {
  owner: 'owner', owners: 'owner', rep: 'owner', reps: 'owner', salesperson: 'owner', seller: 'owner', sellers: 'owner', person: 'owner', member: 'owner', user: 'owner',
  stage: 'stage', stages: 'stage', industry: 'industry', industries: 'industry', sector: 'industry', vertical: 'industry',
};
/** Words that carry no subject (a question's filler), lower case. */
export const STOP_WORDS = new Set(
  (
    'a an and any are about all as at be by can could did do does for from give have has how i in into is it its list many me much my ' +
    'need needs of on or our please show should tell than that the their them there these they this those to us was we were what ' +
    'when where which who whom why will with would you your count number total value worth amount amounts currently now right ' +
    'across workspace crm status summary summarize summarise overview know find get see look looking up owned owner owns own ' +
    'doing going state health healthy overall general like today close closes closing closed due expected expect scheduled ' +
    'set planned month months quarter quarters year years week weeks day days next soon coming upcoming upcomming end ' +
    'mine most more less over under above below than least greater smaller bigger larger at-risk not no any anything something ' +
    'happening on with them him her going been being since ever yet still again also just only some per each every ' +
    'deal-wise whats what’s what\'s who’s s go went get got let lets let’s new old'
  ).split(' '),
);
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_SHORT = MONTHS.map((m) => m.slice(0, 3));

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const monthWindow = (y: number, m: number): [string, string] => [ymd(y, m, 1), ymd(y, m, lastDay(y, m))];
const monthName = (m: number) => `${(MONTHS[m - 1] ?? '').replace(/^./, (c) => c.toUpperCase())}`;

/** The close-date window a question names, relative to `today` (YYYY-MM-DD); the matched text is removed from `text`. */
export function readWindow(text: string, today: string): { window: DateWindow | null; rest: string } {
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  const q = Math.floor((m - 1) / 3);
  const quarter = (year: number, index: number): [string, string] => [ymd(year, index * 3 + 1, 1), ymd(year, index * 3 + 3, lastDay(year, index * 3 + 3))];
  const make = (from: string, to: string, words: string): DateWindow => ({ from, to, label: `${words} (${from} to ${to})` });
  const rules: [RegExp, (match: RegExpMatchArray) => DateWindow][] = [
    [/\b(?:this|the current|current) month\b/, () => make(...monthWindow(y, m), 'this month')],
    [/\bnext month\b/, () => make(...monthWindow(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1), 'next month')],
    [/\b(?:last|previous|past) month\b/, () => make(...monthWindow(m === 1 ? y - 1 : y, m === 1 ? 12 : m - 1), 'last month')],
    [/\b(?:this|the current|current) quarter\b|\bthis q\b|\bqtd\b/, () => make(...quarter(y, q), `this quarter (Q${q + 1} ${y})`)],
    [/\bnext quarter\b/, () => (q === 3 ? make(...quarter(y + 1, 0), `next quarter (Q1 ${y + 1})`) : make(...quarter(y, q + 1), `next quarter (Q${q + 2} ${y})`))],
    [/\b(?:last|previous|past) quarter\b/, () => (q === 0 ? make(...quarter(y - 1, 3), `last quarter (Q4 ${y - 1})`) : make(...quarter(y, q - 1), `last quarter (Q${q} ${y})`))],
    [/\bq([1-4])(?:\s+(\d{4}))?\b/, (x) => {
      const year = x[2] ? Number(x[2]) : y;
      return make(...quarter(year, Number(x[1]) - 1), `in Q${x[1]} ${year}`);
    }],
    [/\b(?:this|the current|current) year\b|\bytd\b/, () => make(ymd(y, 1, 1), ymd(y, 12, 31), `this year (${y})`)],
    [/\bnext year\b/, () => make(ymd(y + 1, 1, 1), ymd(y + 1, 12, 31), `next year (${y + 1})`)],
    [/\b(?:last|previous|past) year\b/, () => make(ymd(y - 1, 1, 1), ymd(y - 1, 12, 31), `last year (${y - 1})`)],
    [/\b(?:this|the current|current) week\b/, () => {
      const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
      return make(addDays(today, -dow), addDays(today, 6 - dow), 'this week');
    }],
    [/\bnext week\b/, () => {
      const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
      return make(addDays(today, 7 - dow), addDays(today, 13 - dow), 'next week');
    }],
    [/\b(?:next|coming|following)\s+(\d{1,3})\s+(day|days|week|weeks)\b/, (x) => {
      const days = Number(x[1]) * (x[2]?.startsWith('week') ? 7 : 1);
      return make(today, addDays(today, days), `in the next ${x[1]} ${x[2]}`);
    }],
    [/\b(?:last|past|previous)\s+(\d{1,3})\s+(day|days|week|weeks)\b/, (x) => {
      const days = Number(x[1]) * (x[2]?.startsWith('week') ? 7 : 1);
      return make(addDays(today, -days), today, `in the last ${x[1]} ${x[2]}`);
    }],
    [/\b(?:closing|close|closes|due)\s+soon\b|\bsoon\b/, () => make(today, addDays(today, 14), 'in the next 14 days')],
    [new RegExp(`\\b(?:in|for|during|by)?\\s*(${MONTHS.join('|')}|${MONTH_SHORT.filter((s) => s !== 'may' && s !== 'mar').join('|')})(?:\\s+(\\d{4}))?\\b`), (x) => {
      const name = x[1] ?? '';
      const month = (MONTHS.indexOf(name) >= 0 ? MONTHS.indexOf(name) : MONTH_SHORT.indexOf(name)) + 1;
      const year = x[2] ? Number(x[2]) : month < m ? y + 1 : y;
      return make(...monthWindow(year, month), `in ${monthName(month)} ${year}`);
    }],
  ];
  for (const [pattern, build] of rules) {
    const match = text.match(pattern);
    if (match) return { window: build(match), rest: text.replace(pattern, ' ') };
  }
  return { window: null, rest: text };
}

const AMOUNT = /\b(over|above|more than|greater than|bigger than|larger than|at least|exceeding|under|below|less than|smaller than|at most|up to)\s*[$€£]?\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million|mn|bn)?\b/g;

/** Amount bounds ("over 100k", "under $5,000") in cents; the matched text is removed. */
export function readAmounts(text: string): { minCents: number | null; maxCents: number | null; rest: string } {
  let minCents: number | null = null;
  let maxCents: number | null = null;
  const rest = text.replace(AMOUNT, (_whole, word: string, number: string, unit: string | undefined) => {
    const scale = unit === 'k' || unit === 'thousand' ? 1_000 : unit === 'm' || unit === 'million' || unit === 'mn' ? 1_000_000 : unit === 'bn' ? 1_000_000_000 : 1;
    const cents = Math.round(Number(number.replace(/,/g, '')) * scale * 100);
    if (/^(under|below|less|smaller|at most|up to)/.test(word)) maxCents = cents;
    else minCents = cents;
    return ' ';
  });
  return { minCents, maxCents, rest };
}

/** Members named in the question: a full display name, or its first word written as a name (capitalised, or with 's). */
function namedMembers(original: string, members: readonly Member[]): { owners: Member[]; rest: string } {
  let rest = original;
  const owners: Member[] = [];
  for (const member of members) {
    const full = member.displayName.replace(/\s*\(.*\)\s*$/, '').trim();
    if (!full) continue;
    const escaped = full.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const first = (full.split(/\s+/)[0] ?? full).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const whole = new RegExp(`\\b${escaped}\\b(?:\\s*\\([^)]*\\))?(?:['’]s)?`, full.includes(' ') ? 'i' : '');
    const possessive = new RegExp(`\\b${first}['’]s\\b`, 'i');
    const asName = new RegExp(`(?:owned by|belonging to|for|of|does|did|has|assigned to)\\s+${first}\\b`, 'i');
    const pattern = whole.test(rest) ? whole : possessive.test(rest) ? possessive : asName.test(rest) ? new RegExp(`\\b${first}\\b`, 'i') : null;
    if (pattern && !/\b(?:by|per|each)\s+owners?\b/i.test(rest.match(pattern)?.[0] ?? '')) {
      owners.push(member);
      rest = rest.replace(pattern, ' ');
    }
  }
  return { owners, rest };
}

export interface Vocabulary {
  /** The tenant's industries, as stored. */
  industries: readonly string[];
  /** The tenant's members (for owners named in the question). */
  members: readonly Member[];
  /** Today (YYYY-MM-DD), for time windows. */
  today: string;
}

/** Reads a question's intent; `accountNames` (lower case) are removed from the full-text terms. */
export function readQuestion(question: string, vocabulary: Vocabulary, accountNames: readonly string[] = []): QuestionIntent {
  const named = namedMembers(question, vocabulary.members);
  // "closed won" / "closed-lost" name one outcome, not both.
  let text = ` ${named.rest.toLowerCase().replace(/\bclosed[\s_-]+(won|lost)\b/g, '$1')} `;
  for (const name of accountNames) text = text.split(name).join(' ');
  const amounts = readAmounts(text);
  const dated = readWindow(amounts.rest, vocabulary.today);
  text = dated.rest;
  const mine = /\b(?:my|mine|i own|i'm on|assigned to me|owned by me|for me)\b/.test(text);
  const topMatch = text.match(/\btop\s+(\d{1,2})\b/);
  const top = topMatch ? Math.max(1, Math.min(15, Number(topMatch[1]))) : null;
  if (topMatch) text = text.replace(topMatch[0], ' top ');
  const contacts = /\b(?:contacts?|people|person|persons|who works|who work|employees of|champions?|decision makers?)\b/.test(text);
  if (contacts) text = text.replace(/\b(?:contacts?|people|persons?|who works?|work|works|champions?|decision makers?)\b/g, ' ');
  const risk = /\bat[\s-]risk\b/.test(text);
  const overdue = /\bpast (?:their |its |the )?(?:close|due|closing) dates?\b|\bpast due\b|\bbehind schedule\b|\bmissed (?:their |its |the )?close/.test(text);
  const stale =
    /\bno (?:recent )?(?:activity|activities|touch|contact)\b|\bnot (?:been )?(?:touched|contacted)\b|\bgone (?:quiet|cold|dark)\b|\bhaven'?t (?:we )?(?:talked|spoken|heard|contacted|touched|been in touch)|\bnot (?:talked|spoken) to\b|\bin a while\b|\bfor a while\b/.test(text);
  const groupMatch = text.match(/\b(?:by|per|each|for each|broken down by|split by|grouped by)\s+([a-z]+)/);
  const groupBy = groupMatch ? (GROUP_WORDS[groupMatch[1] ?? ''] ?? null) : /\bwho (?:owns|has|holds)\b|\bwhich (?:owner|rep|salesperson|seller)s?\b/.test(text) ? 'owner' : null;
  const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}.&'’-]*/gu) ?? [];
  const byLower = new Map(vocabulary.industries.map((i) => [i.toLowerCase(), i]));
  const stages = new Set<DealStage>();
  const found = new Set<string>();
  const terms: string[] = [];
  let about: QuestionIntent['about'] = null;
  const flags = { largest: false, pipeline: false, risk, overdue, stale, activity: false };
  for (const raw of words) {
    const word = raw.replace(/['’]s$/, '').replace(/[.&'’-]+$/, '');
    const industry = byLower.get(word) ?? byLower.get(word.replace(/s$/, ''));
    if (industry) {
      found.add(industry);
      continue;
    }
    const stage = STAGE_WORDS[word];
    if (stage) {
      for (const s of stage) stages.add(s);
      about ??= 'deals';
      continue;
    }
    if (DEAL_WORDS.has(word)) {
      if (word === 'pipeline' || word === 'forecast') flags.pipeline = true;
      about = about === 'accounts' ? null : 'deals';
      continue;
    }
    if (ACCOUNT_WORDS.has(word)) {
      if (!(groupBy === 'industry' && (word === 'industry' || word === 'industries'))) about = about === 'deals' ? null : 'accounts';
      continue;
    }
    if (LARGEST_WORDS.has(word)) flags.largest = true;
    else if (RISK_WORDS.has(word)) flags.risk = true;
    else if (OVERDUE_WORDS.has(word)) flags.overdue = true;
    else if (STALE_WORDS.has(word)) flags.stale = true;
    else if (ACTIVITY_WORDS.has(word)) flags.activity = true;
    else if (GROUP_WORDS[word] && groupBy) continue;
    else if (!STOP_WORDS.has(word) && word.length >= 2 && !/^\d+$/.test(word)) terms.push(word);
  }
  // "Closing this month" without a stage means open deals; "won this quarter" keeps its stage.
  const timeBound = dated.window !== null || flags.overdue || flags.risk;
  if (timeBound && stages.size === 0 && !(dated.window && dated.window.to < vocabulary.today)) for (const s of OPEN_STAGES) stages.add(s);
  // "At risk this week" / "overdue today" mean now, not deals closing this week.
  const window = (flags.risk || flags.overdue) && dated.window && /^this week|^today/.test(dated.window.label) ? null : dated.window;
  // "Top deals" and "largest deals" without a stage mean the open pipeline.
  if (flags.largest && stages.size === 0 && !window && about !== 'accounts') for (const s of OPEN_STAGES) stages.add(s);
  if (flags.overdue || flags.risk) {
    for (const s of [...stages]) if (!OPEN_STAGES.includes(s)) stages.delete(s);
    if (stages.size === 0) for (const s of OPEN_STAGES) stages.add(s);
    about = 'deals';
  }
  if ((mine || named.owners.length > 0 || amounts.minCents !== null || amounts.maxCents !== null || window) && about === null && !flags.stale && !flags.activity) about = 'deals';
  const filtered =
    terms.length > 0 || found.size > 0 || stages.size > 0 || flags.largest || window !== null || flags.risk || flags.overdue || flags.stale || flags.activity || mine || named.owners.length > 0 || amounts.minCents !== null || amounts.maxCents !== null || groupBy !== null || contacts;
  return {
    stages: [...stages],
    industries: [...found],
    terms,
    about,
    largest: flags.largest,
    overview: !filtered && accountNames.length === 0 && (about === null || (about === 'deals' && flags.pipeline)),
    window: window,
    overdue: flags.overdue,
    risk: flags.risk,
    stale: flags.stale,
    activity: flags.activity,
    mine,
    owners: named.owners,
    minCents: amounts.minCents,
    maxCents: amounts.maxCents,
    groupBy,
    top,
    contacts,
    person: flags.activity && groupBy === null && /\b(?:who|whom)\b/.test(text),
  };
}

/** Word runs of a question (1 to 5 words), lower case: the candidates for account names (matched on an index). */
export function nameCandidates(question: string): string[] {
  const words = question.toLowerCase().replace(/['’]s\b/g, '').match(/[\p{L}\p{N}][\p{L}\p{N}.&-]*/gu) ?? [];
  const clean = words.map((w) => w.replace(/[.&-]+$/, ''));
  const out = new Set<string>();
  for (let i = 0; i < clean.length; i += 1) {
    for (let n = 1; n <= 5 && i + n <= clean.length; n += 1) out.add(clean.slice(i, i + n).join(' '));
  }
  return [...out].slice(0, 200);
}
