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
