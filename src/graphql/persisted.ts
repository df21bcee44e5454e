import { readFileSync } from 'node:fs';
import { parse, print } from 'graphql';

const manifestUrl = new URL('../../schema/persisted-operations.json', import.meta.url);

let manifest: Record<string, string> | null = null;
let byDocument: Map<string, string> | null = null;

/** The persisted-operations manifest (hash → document) that codegen writes; every path runs these. */
export function persistedOperations(): Record<string, string> {
  manifest ??= JSON.parse(readFileSync(manifestUrl, 'utf8')) as Record<string, string>;
  return manifest;
}

const normalise = (document: string): string | null => {
  try {
    return print(parse(document, { noLocation: true }));
  } catch {
    return null;
  }
};

/** The hash of a persisted operation whose text (up to formatting) equals `document`, if any. */
export function persistedHashOf(document: string): string | null {
  if (!byDocument) {
    byDocument = new Map();
    for (const [hash, source] of Object.entries(persistedOperations())) {
      const key = normalise(source);
      if (key) byDocument.set(key, hash);
    }
  }
  const key = normalise(document);
  return key ? (byDocument.get(key) ?? null) : null;
}

/** The request shapes that name a persisted operation, as error messages tell clients. */
export const PERSISTED_REQUEST_SHAPES =
  '`{"documentId": "<hash>"}` or `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hash>"}}}` (a manifest key, with or without its `sha256:` prefix), or the operation\'s exact text as `query`';

interface PersistedParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: Record<string, unknown> | null;
}

/**
 * The persisted document a request names, by `documentId` or `extensions.persistedQuery.sha256Hash`
 * (a manifest key, `sha256:` prefix optional) or by sending a persisted operation's text; null when it names none.
 */
export function persistedDocumentOf(params: PersistedParams): string | null {
  const manifest = persistedOperations();
  const persisted = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const id = typeof params.documentId === 'string' ? params.documentId : typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : null;
  if (id !== null) return Object.hasOwn(manifest, id) ? (manifest[id] ?? null) : Object.hasOwn(manifest, `sha256:${id}`) ? (manifest[`sha256:${id}`] ?? null) : null;
  if (typeof params.query !== 'string') return null;
  const hash = persistedHashOf(params.query);
  return hash ? (manifest[hash] ?? null) : null;
}
