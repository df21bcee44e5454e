import { ErrorCode, badInput } from '../../lib/errors';

/** At most this many distinct words are indexed per record. */
export const MAX_INDEXED_WORDS = 32;
/** At most this many words in one search. */
export const MAX_SEARCH_WORDS = 8;
const MAX_SEARCH_LENGTH = 200;

/** Lowercase, without diacritics (so "José" is found by "jose"), compatibility-normalised. */
const fold = (text: string): string => text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();

/** Words of free text as the blind index holds them: folded runs of letters and digits (so e-mail local parts split on . _ - + too). */
export const words = (text: string): string[] => fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

const DOMAIN_LIKE = /^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+$/u;

function emailWords(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  const domain = at < 0 ? '' : fold(email.slice(at + 1)).replace(/^\.+|\.+$/g, '');
  return [...words(local), ...(domain ? [domain] : [])];
}

/**
 * The words a record is found by: the words of the name, the words of the e-mail's local part, and
 * the e-mail's whole domain. Each becomes a per-tenant HMAC token; the words themselves are never stored.
 */
export function searchWords(subject: { name: string; email: string | null }): string[] {
  const all = new Set([...words(subject.name), ...(subject.email ? emailWords(subject.email) : [])]);
  return [...all].slice(0, MAX_INDEXED_WORDS);
}

/**
 * The words of a `piiSearch` query, tokenised like `searchWords`: a term with `@` is an e-mail (or
 * part of one), a dotted term such as `initech.example` is a domain, anything else is split into
 * words. Undefined for an empty query.
 */
export function piiSearchWords(query: string | null | undefined): string[] | undefined {
  if (query === null || query === undefined) return undefined;
  const trimmed = query.trim();
  if (trimmed === '') return undefined;
  if (trimmed.length > MAX_SEARCH_LENGTH) {
    throw badInput(ErrorCode.BadUserInput, `\`piiSearch\` may be at most ${MAX_SEARCH_LENGTH} characters.`, { field: 'piiSearch' });
  }
  const found = new Set<string>();
  for (const term of trimmed.split(/\s+/)) {
    const folded = fold(term);
    if (folded.includes('@')) for (const w of emailWords(folded)) found.add(w);
    else if (DOMAIN_LIKE.test(folded)) found.add(folded);
    else for (const w of words(folded)) found.add(w);
  }
  if (found.size === 0) throw badInput(ErrorCode.BadUserInput, '`piiSearch` has no searchable words.', { field: 'piiSearch' });
  if (found.size > MAX_SEARCH_WORDS) {
    throw badInput(ErrorCode.BadUserInput, `\`piiSearch\` may hold at most ${MAX_SEARCH_WORDS} words.`, { field: 'piiSearch' });
  }
  return [...found];
}
