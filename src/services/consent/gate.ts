import { and, eq, isNotNull, isNull, ne, or, type SQL } from 'drizzle-orm';
import { alias, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { consentSubjects } from '../../db/schema';

export type ConsentAlias = ReturnType<typeof consentAlias>;

/** A fresh alias of consent_subjects for one join. */
export const consentAlias = (name: string) => alias(consentSubjects, name);

/** Join condition tying a record's subject column to its consent row (kind `email` or `domain`). */
export const consentJoin = (
  cs: ConsentAlias,
  tenantColumn: AnyPgColumn,
  subjectColumn: AnyPgColumn,
  kind: 'email' | 'domain',
): SQL => and(eq(cs.tenantId, tenantColumn), eq(cs.kind, kind), eq(cs.subjectKey, subjectColumn)) as SQL;

/** The record is consented: no consent row, or one that grants. */
export const consentVisible = (cs: ConsentAlias): SQL => or(isNull(cs.status), eq(cs.status, 'granted')) as SQL;

/** The record is hidden by consent: suppressed, withdrawn or erased. */
export const consentHidden = (cs: ConsentAlias): SQL => and(isNotNull(cs.status), ne(cs.status, 'granted')) as SQL;
