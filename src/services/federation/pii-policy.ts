import { and, eq, inArray, sql } from 'drizzle-orm';
import { contacts, contactSearchTokens } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { TOKEN_KIND } from '../crm/contact-pii';
import { emailIndex } from '../keys/email-index';
import { searchWords } from '../keys/search-words';
import type { TenantKey } from '../keys/tenant-keys';
import type { PiiPolicy } from './governance';

/** The parts of an MCP tool result the policy reads and rewrites (text and embedded-resource text, structured content). */
export interface ToolAnswer {
  content: unknown[];
  structuredContent?: Record<string, unknown> | undefined;
}

/** Keys whose string values are names, compared without case, `_` or `-` (`first_name`, `firstName`, `First-Name`). */
const NAME_KEYS = new Set(['name', 'firstname', 'lastname', 'fullname', 'contact']);
const isNameKey = (key: string): boolean => NAME_KEYS.has(key.toLowerCase().replace(/[_-]/g, ''));

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}/g;
/**
 * A phone number as people write one: an optional `+` and country code, an optional area code in
 * parentheses, then two to five groups of digits split by spaces, dots or dashes, 7 to 15 digits in
 * all, not inside a longer run of digits. A bare run of digits (an id, an amount) is not one.
 */
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){1,4}(?![\w])/g;
/** Dates and IPv4 addresses match the phone shape; they are not phone numbers. */
const NOT_A_PHONE = /^\d{4}-\d{2}-\d{2}$|^\d{2}[.-]\d{2}[.-]\d{4}$|^\d{1,3}(?:\.\d{1,3}){3}$/;
/** A run of two or three capitalised words in free text: where a person's name may stand. */
const CAPITALISED_RUN = /\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+){1,2}/gu;
/** A short value of two to four words of letters: checked against the contacts' names anywhere in the answer. */
const SHORT_NAME = /^\p{L}[\p{L}'’.-]*(?:\s+\p{L}[\p{L}'’.-]*){1,3}$/u;

function isPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && !NOT_A_PHONE.test(match);
}

/** A capitalised run and each shorter run of two or more of its words ("Met Ada Lovelace": also "Ada Lovelace"). */
function subRuns(run: string): string[] {
  const words = run.split(/\s+/);
  const runs: string[] = [];
  for (let start = 0; start < words.length - 1; start += 1) for (let end = start + 2; end <= words.length; end += 1) runs.push(words.slice(start, end).join(' '));
  return runs;
}

/** A string of the answer and whether it stands under a name-like key. */
interface Leaf {
  text: string;
  named: boolean;
}

/** Rewrites every string of a JSON value (`named` for those under a name-like key); keys are kept. */
function mapStrings(value: unknown, fn: (leaf: Leaf) => string, named = false): unknown {
  if (typeof value === 'string') return fn({ text: value, named });
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn, named));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, fn, isNameKey(key))]));
  }
  return value;
}

/** A text block's value: its JSON (object or array) when it is JSON, else the text itself. */
function parsedText(text: string): { json: unknown } | null {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null;
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

/** Rewrites the answer's strings: structured content, text blocks (as JSON when they hold JSON) and embedded resources' text. */
function mapAnswer(answer: ToolAnswer, fn: (leaf: Leaf) => string): ToolAnswer {
  const text = (value: string) => {
    const parsed = parsedText(value);
    return parsed ? JSON.stringify(mapStrings(parsed.json, fn)) : fn({ text: value, named: false });
  };
  const content = answer.content.map((block) => {
    if (typeof block !== 'object' || block === null) return block;
    const b = block as { type?: unknown; text?: unknown; resource?: { text?: unknown } };
    if (b.type === 'text' && typeof b.text === 'string') return { ...b, text: text(b.text) };
    if (b.type === 'resource' && typeof b.resource?.text === 'string') return { ...b, resource: { ...b.resource, text: text(b.resource.text) } };
    return block;
  });
  const structured = answer.structuredContent === undefined ? undefined : (mapStrings(answer.structuredContent, fn) as Record<string, unknown>);
  return { content, ...(structured === undefined ? {} : { structuredContent: structured }) };
}

/** What the answer holds that may be a contact's personal data, before any look-up. */
interface Candidates {
  emails: Set<string>;
  names: Set<string>;
}

function candidatesOf(answer: ToolAnswer): Candidates {
  const found: Candidates = { emails: new Set(), names: new Set() };
  mapAnswer(answer, ({ text, named }) => {
    for (const m of text.matchAll(EMAIL)) found.emails.add(m[0].toLowerCase());
    const trimmed = text.trim();
    if ((named || SHORT_NAME.test(trimmed)) && trimmed.length <= 200) found.names.add(trimmed);
    else for (const m of text.matchAll(CAPITALISED_RUN)) for (const run of subRuns(m[0])) found.names.add(run);
    return text;
  });
  return found;
}

/** Values looked up in one statement. */
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The e-mail addresses that are a contact's, by the e-mail blind index. */
async function knownEmails(ctx: ServiceContext, key: TenantKey, emails: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const chunk of chunks(emails)) {
    const byIndex = new Map(chunk.map((e) => [emailIndex(ctx, key, e), e]));
    const rows = await ctx.tx
      .selectDistinct({ index: contacts.emailIndex })
      .from(contacts)
      .where(and(eq(contacts.tenantId, ctx.principal.tenantId), inArray(contacts.emailIndex, [...byIndex.keys()])));
    for (const row of rows) {
      const email = row.index === null ? undefined : byIndex.get(row.index);
      if (email) known.add(email);
    }
  }
  return known;
}

/** The names whose words are all one contact's name or e-mail words, by the search-token blind index (one statement per chunk). */
async function knownNames(ctx: ServiceContext, key: TenantKey, names: string[]): Promise<Set<string>> {
  const tokenised = names
    .map((name) => ({ name, tokens: [...new Set(searchWords({ name, email: null }).map((w) => ctx.keys.blindIndex(key, TOKEN_KIND, w)))] }))
    .filter((c) => c.tokens.length > 0);
  const known = new Set<string>();
  for (const chunk of chunks(tokenised)) {
    const candidates = sql.join(
      chunk.map((c, i) => sql`(${i}::int, array[${sql.join(c.tokens.map((t) => sql`${t}`), sql`, `)}]::text[])`),
      sql`, `,
    );
    const rows = await ctx.database.rows<{ i: number }>(
      ctx.tx,
      sql`select c.i from (values ${candidates}) as c(i, tokens)
        where exists (
          select 1 from ${contactSearchTokens} t
          where t.tenant_id = ${ctx.principal.tenantId}::uuid and t.token = any(c.tokens)
          group by t.contact_id having count(*) = cardinality(c.tokens))`,
    );
    for (const row of rows) {
      const name = chunk[Number(row.i)]?.name;
      if (name !== undefined) known.add(name);
    }
  }
  return known;
}

/** The candidates that are the tenant's contacts' data, matched through the blind indexes (e-mail index, name-word tokens). */
async function knownToTenant(ctx: ServiceContext, found: Candidates): Promise<Candidates> {
  if (found.emails.size === 0 && found.names.size === 0) return { emails: new Set(), names: new Set() };
  const key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
  return { emails: await knownEmails(ctx, key, [...found.emails]), names: await knownNames(ctx, key, [...found.names]) };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces e-mails and phones by pattern, name-like values, and the contacts' names found in the answer, by placeholders. */
function redact(answer: ToolAnswer, known: Candidates): ToolAnswer {
  const names = [...known.names].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const knownName = names.length > 0 ? new RegExp(names.join('|'), 'giu') : null;
  return mapAnswer(answer, ({ text, named }) => {
    if (named && text.trim() !== '') return '[redacted:name]';
    const out = text.replace(EMAIL, '[redacted:email]').replace(PHONE, (m) => (isPhone(m) ? '[redacted:phone]' : m));
    return knownName ? out.replace(knownName, '[redacted:name]') : out;
  });
}

/**
 * Applies a federated tool's `pii_policy` to its upstream's answer, using what Pact knows about the
 * tenant's contacts. `allow` passes it unchanged. `block` refuses it (PII_BLOCKED) when it holds a
 * contact's e-mail address (matched on the e-mail blind index) or a contact's name (a name-like
 * value, a short value of two to four words, or a capitalised run in free text, whose words all
 * match one contact's name tokens); phones are not indexed, so they do not block. `redact` replaces
 * e-mail addresses and phone numbers by pattern, every value under a name-like key, and the
 * contacts' names found as above, with `[redacted:email]`, `[redacted:phone]`, `[redacted:name]`.
 * Text blocks holding JSON are rewritten as JSON, so they stay the serialization of the structured content.
 */
export async function applyPiiPolicy(ctx: ServiceContext, tool: string, policy: PiiPolicy, answer: ToolAnswer): Promise<ToolAnswer> {
  if (policy === 'allow') return answer;
  const known = await knownToTenant(ctx, candidatesOf(answer));
  if (policy === 'block') {
    if (known.emails.size + known.names.size === 0) return answer;
    throw new PactError(
      ErrorCode.PiiBlocked,
      `${tool} answered with personal data of this workspace's contacts (${known.emails.size} e-mail address(es), ${known.names.size} name(s)); its PII policy is block, so the answer is withheld.`,
    );
  }
  return redact(answer, known);
}
