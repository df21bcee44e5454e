const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why a string cannot be stored or canonicalized: a lone UTF-16 surrogate (not Unicode text) or U+0000 (PostgreSQL text refuses it). */
export function textProblem(value: string): string | null {
  if (LONE_SURROGATE.test(value)) return 'contains a lone surrogate (not valid Unicode)';
  if (value.includes('\u0000')) return 'contains a NUL character';
  return null;
}

/** `value` with every lone surrogate replaced by U+FFFD (String.prototype.toWellFormed). */
export const wellFormed = (value: string): string => (LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\ufffd') : value);

/** Nesting deeper than this is refused as input and cut off where digested. */
export const MAX_INPUT_DEPTH = 64;

/**
 * The first string (value or object key) in a JSON-like value that is not storable text, or a
 * nesting deeper than MAX_INPUT_DEPTH, as `{ path, problem }`; null when the value is clean.
 * Iterative, so hostile nesting cannot overflow the stack.
 */
export function findBadText(value: unknown): { path: string; problem: string } | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as (typeof stack)[number];
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem) return { path: item.path || '(value)', problem };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= MAX_INPUT_DEPTH) return { path: item.path || '(value)', problem: `is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    for (const [key, child] of Object.entries(item.value)) {
      const path = Array.isArray(item.value) ? `${item.path}[${key}]` : item.path ? `${item.path}.${key}` : key;
      const problem = textProblem(key);
      if (problem) return { path: wellFormed(path), problem: `has a key that ${problem}` };
      stack.push({ value: child, path, depth: item.depth + 1 });
    }
  }
  return null;
}

/**
 * A copy of a JSON-like value that RFC 8785 canonicalization accepts: lone surrogates replaced by
 * U+FFFD, non-finite numbers as null (as JSON.stringify writes them), bigints as strings, and
 * anything nested deeper than MAX_INPUT_DEPTH (or cyclic) as the string "[cut]".
 */
export function canonicalizable(value: unknown, depth = 0, seen = new Set<object>()): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_INPUT_DEPTH || seen.has(value)) return '[cut]';
  seen.add(value);
  const copy = Array.isArray(value)
    ? value.map((v: unknown) => canonicalizable(v, depth + 1, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), canonicalizable(v, depth + 1, seen)]));
  seen.delete(value);
  return copy;
}

/** `value` as text PostgreSQL stores and canonicalization accepts: well-formed, without U+0000. */
export const storable = (value: string): string => wellFormed(value).replaceAll('\u0000', '');
