export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageSize } from '../input';
import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** A page of a consent-gated list, in the wire contract's shape. */
export interface ListResult<T> {
  items: T[];
  returned: number;
  consentFiltered: number;
  note: string;
  hasMore: boolean;
  nextCursor: string | null;
}

export const consentNote = (hidden: number): string =>
  `${hidden} record(s) hidden by consent (suppressed/withdrawn subjects).`;

/** What a page tells the caller about hidden records, when it may not tell the count. */
export interface WithheldCount {
  note: string;
}

export function afterId(ctx: ServiceContext, list: string, after: string | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  return ctx.cursors.decode(after, ctx.principal.tenantId, list);
}

/**
 * Builds the page result from `size + 1` fetched rows. The audit row always records the true hidden
 * count; with `withheld` the caller is answered 0 and the given note instead.
 */
export function toPage<T extends { id: string }>(
  ctx: ServiceContext,
  list: string,
  rows: T[],
  size: number,
  consentFiltered: number,
  withheld?: WithheldCount,
): ListResult<T> {
  const hasMore = rows.length > size;
  const items = hasMore ? rows.slice(0, size) : rows;
  record(ctx, items.length, consentFiltered);
  const last = items[items.length - 1];
  return {
    items,
    returned: items.length,
    consentFiltered: withheld ? 0 : consentFiltered,
    note: withheld ? withheld.note : consentNote(consentFiltered),
    hasMore,
    nextCursor: hasMore && last ? ctx.cursors.encode({ tenantId: ctx.principal.tenantId, list, lastId: last.id }) : null,
  };
}

/** Escapes LIKE wildcards in user text. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function searchText(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed.length > 200) throw badInput(ErrorCode.BadUserInput, '`search` may be at most 200 characters.');
  return trimmed === '' ? undefined : trimmed;
}
