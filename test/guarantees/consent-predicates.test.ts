import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Consent is enforced by the database (the `consent_gate` policies of the application role); the
 * services never filter on the consent flags themselves. Only the consent module reads hidden rows,
 * and only key maintenance borrows its role. A new consent predicate anywhere else fails here.
 */
const root = join(import.meta.dirname, '..', '..');
const CONSENT_MODULE = 'src/services/consent/hidden.ts';

/** Files that may name the flags without filtering on them, and why. */
const FLAG_EXEMPT: Record<string, string> = {
  [CONSENT_MODULE]: 'the consent module',
  'src/db/schema/crm.ts': 'the column and partial-index definitions',
  'src/db/schema/audit.ts': "the audit row's integer consent_hidden count column, not a predicate",
  'src/services/audit/call.ts': "the audit row's integer consent_hidden count, not a predicate",
  'src/services/audit/audit-log.ts': "the audit row's integer consent_hidden count, not a predicate",
  'src/services/audit/seal-format.ts': "the audit row's integer consent_hidden count, not a predicate",
  'src/services/context.ts': "the running call's hidden count for its audit row, not a predicate",
  'src/services/audit/search.ts': "the audit row's integer consent_hidden count as audit search returns it, not a predicate",
  'src/graphql/types/audit-log.ts': "the audit row's integer consent_hidden count exposed, not a predicate",
  'src/graphql/types/consent.ts': 'the GraphQL type of the hidden counts the consent module computes, not a predicate',
};

/** Exempt files whose every mention is a name, not a filter (others may mention the audit count only). */
const NAMES_ONLY = new Set([CONSENT_MODULE, 'src/db/schema/crm.ts', 'src/db/schema/audit.ts', 'src/graphql/types/consent.ts']);

/** Files that may switch to the consent role, and why. */
const ROLE_ALLOWED: Record<string, string> = {
  [CONSENT_MODULE]: 'the consent module',
  'src/services/crm/contact-keys.ts': 'key maintenance re-seals and re-indexes every contact, hidden ones included',
  'src/db/client.ts': 'binds each transaction to the application role',
};

/** What gives a consent predicate away: the flags of accounts, contacts, deals and title tokens. */
const FLAG = /consent_?hidden|\bt\d\.hidden\b|contactTitleTokens\.hidden|contact_title_tokens\b[^\n]*\bhidden\b/i;
/** What switches a transaction's role or names the consent role. */
const ROLE = /acrossConsent|CONSENT_ROLE|pact_consent\b|set_config\('role'|set\s+(local\s+)?role\b/i;
/** The audit count's own spellings, allowed in the exempt audit files only. */
const AUDIT_COUNT = /metrics\.consentHidden|consentHidden: (number|0\b|call\.|row\.)|\bconsent_hidden, outcome|row\.consentHidden|consentHidden: t\.exposeInt\('consentHidden'\)|p\('consentHidden'\)\}::int/;

function findings(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `${file}:${i + 1}: ${line.trim()}`;
    if (FLAG.test(line)) {
      const exempt = FLAG_EXEMPT[file];
      const auditOnly = exempt !== undefined && !NAMES_ONLY.has(file);
      if (!exempt || (auditOnly && !AUDIT_COUNT.test(line) && !/^\s*(\*|\/\/)/.test(line))) found.push(`consent predicate: ${at}`);
    }
    if (ROLE.test(line) && !ROLE_ALLOWED[file]) found.push(`consent role: ${at}`);
  });
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('consent predicates live in one module', () => {
  it('no file outside the consent module filters on a consent flag or switches to the consent role', () => {
    const files = sources(join(root, 'src'));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((path) => findings(relative(root, path), readFileSync(path, 'utf8')));
    expect(found).toEqual([]);
  });

  it('flags a hand-written predicate or role switch in any other file', () => {
    expect(findings('src/services/crm/new.ts', 'sql`select id from contacts c where c.tenant_id = ${t} and not c.consent_hidden`')).toHaveLength(1);
    expect(findings('src/services/agents/new.ts', '.where(and(where, eq(deals.consentHidden, false)))')).toHaveLength(1);
    expect(findings('src/services/crm/new.ts', 'from contact_title_tokens t where t.hidden = false')).toHaveLength(1);
    expect(findings('src/services/crm/new.ts', "await acrossConsent(ctx.tx, (tx) => tx.select().from(contacts))")).toHaveLength(1);
    expect(findings('src/services/audit/call.ts', 'sql`select 1 from deals d where d.consent_hidden`')).toHaveLength(1);
    expect(findings('src/services/audit/call.ts', '  consentHidden: number;')).toEqual([]);
  });
});
