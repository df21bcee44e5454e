import { pgEnum } from 'drizzle-orm/pg-core';

export const roleEnum = pgEnum('member_role', ['owner', 'admin', 'manager', 'member']);

export const dealStageEnum = pgEnum('deal_stage', [
  'prospecting',
  'qualification',
  'proposal',
  'negotiation',
  'closed_won',
  'closed_lost',
]);

export const activityKindEnum = pgEnum('activity_kind', ['note', 'call', 'email', 'meeting', 'task']);

export const consentKindEnum = pgEnum('consent_subject_kind', ['email', 'domain']);

export const consentStatusEnum = pgEnum('consent_status', ['granted', 'suppressed', 'withdrawn', 'erased']);

export const auditOutcomeEnum = pgEnum('audit_outcome', ['ok', 'denied', 'blocked', 'rate_limited', 'error']);

export const callPathEnum = pgEnum('call_path', ['graphql', 'mcp', 'ui']);

export const keyStatusEnum = pgEnum('tenant_key_status', ['active', 'retired', 'revoked']);
