import type { TargetKind } from './roster';
import type { Citation, ContextRecord } from './types';

/** An inline citation `[kind:id]`, or a record id written bare. */
const REFERENCE = /\[(account|deal|contact):([0-9a-fA-F-]{36})\]|\b([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b/g;

/** A record citation as answers write it. */
export const cite = (record: { kind: TargetKind; id: string }): string => `[${record.kind}:${record.id}]`;

export interface GroundedAnswer {
  text: string;
  /** The records the answer cites, in order of first mention; each one was in the context. */
  citations: Citation[];
  /** Citations or record ids in the answer that were not in the context: removed from the text. */
  dropped: number;
}

/**
 * Checks an answer against its context: every `[kind:id]` citation, and any id written bare, must
 * name a record of the context (with its kind); anything else is removed from the text and counted.
 * The context holds only consented records of the caller's tenant, so every citation left is one.
 */
export function groundAnswer(text: string, records: readonly ContextRecord[]): GroundedAnswer {
  const known = new Map(records.map((r) => [r.id.toLowerCase(), r]));
  const cited = new Map<string, Citation>();
  let dropped = 0;
  const checked = text.replace(REFERENCE, (whole: string, kind: string | undefined, markerId: string | undefined, bareId: string | undefined) => {
    const record = known.get((markerId ?? bareId ?? '').toLowerCase());
    if (!record || (kind !== undefined && record.kind !== kind)) {
      dropped += 1;
      return '[unverified citation removed]';
    }
    if (!cited.has(record.id)) cited.set(record.id, { kind: record.kind, id: record.id, label: record.label });
    return kind === undefined ? whole : cite(record);
  });
  return { text: checked, citations: [...cited.values()], dropped };
}

const EMAIL = /[^\s@<>()[\]]+@[^\s@<>()[\]]+\.[a-z]{2,}/gi;
const PHONE = /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\b\d{3}[\s.-]\d{3,4}(?:[\s.-]\d{3,4})?\b/g;

/** Masks e-mail addresses and phone numbers in a caller's free text before it reaches a model that may not read PII. */
export const maskContactDetails = (text: string): string => text.replace(EMAIL, '[e-mail removed]').replace(PHONE, '[phone removed]');
