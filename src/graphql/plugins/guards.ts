import SchemaBuilder, {
  BasePlugin,
  type PothosOutputFieldConfig,
  type PothosTypeConfig,
  type SchemaTypes,
} from '@pothos/core';
import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  type GraphQLFieldResolver,
} from 'graphql';
import { forbiddenRole, forbiddenScope } from '../../lib/errors';
import type { Principal } from '../../services/auth/principal';
import type { Role, Scope } from '../../services/auth/scopes';

/** The consent subject a type is filtered by: a contact's e-mail, an account's domain, a deal's account domain. */
export type ConsentSubject = 'email' | 'domain' | 'account.domain';

/* eslint-disable @typescript-eslint/no-unused-vars -- Pothos merges these generic interfaces by name */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      pactGuards: PactGuardsPlugin<Types>;
    }
    export interface FieldOptions<Types extends SchemaTypes, ParentShape, Type, Nullable, Args, ResolveShape, ResolveReturnShape> {
      /** The scope a caller needs to resolve this field; enforced, printed as `@requiresScope`. */
      scope?: Scope;
      /**
       * The roles that may resolve this field (checked before `scope`); anyone else is refused with
       * FORBIDDEN, `extensions.requiredRole` and a message naming the roles and the caller's role.
       * Printed as `@requiresRole`.
       */
      roles?: readonly Role[];
      /** What the field does, for the refusal message ("Erasing a subject"); defaults to the field name. */
      roleAction?: string;
      /** Marks personal data: stored encrypted under the tenant's key; printed as `@pii`. */
      pii?: boolean;
      /** Per-call cost in cents of a root field, charged to the tenant's ledger; printed as `@cost`. An MCP tool's cost is its root field's. */
      cost?: number;
      /**
       * Per-tenant calls per minute for a root field on every path (/graphql and the MCP tool on it
       * share the key tenant + field), in place of `PACT_RATE_LIMIT_OPERATION_PER_MIN`; printed as `@rateLimit`.
       */
      rateLimitPerMin?: number;
    }
    export interface ObjectTypeOptions<Types extends SchemaTypes, Shape> {
      /** Records of this type pass the consent gate on this subject; printed as `@consent`. */
      consent?: ConsentSubject;
    }
  }
}
/* eslint-enable @typescript-eslint/no-unused-vars */

type DirectiveMap = Record<string, Record<string, unknown>>;

interface GuardOptions {
  scope?: Scope;
  roles?: readonly Role[];
  roleAction?: string;
  pii?: boolean;
  cost?: number;
  rateLimitPerMin?: number;
}

/** The guard metadata of a field as the schema carries it (read by the call pipeline). */
export interface FieldGuards {
  scope: string | null;
  costCents: number;
  rateLimitPerMin: number | null;
}

/** Reads a field's guard directives back from its extensions. */
export function fieldGuards(field: { extensions?: Record<string, unknown> | null } | undefined): FieldGuards {
  const directives = (field?.extensions?.directives ?? {}) as DirectiveMap;
  return {
    scope: (directives.requiresScope?.scope as string | undefined) ?? null,
    costCents: (directives.cost?.cents as number | undefined) ?? 0,
    rateLimitPerMin: (directives.rateLimit?.perMin as number | undefined) ?? null,
  };
}

const withDirectives = <T extends { extensions?: Record<string, unknown> | null | undefined }>(config: T, add: DirectiveMap): T => {
  const existing = (config.extensions?.directives ?? {}) as DirectiveMap;
  return { ...config, extensions: { ...config.extensions, directives: { ...existing, ...add } } };
};

/** Enforces `roles` and `scope` on fields and records them, `pii`, `cost` and `consent` as schema directives. */
export class PactGuardsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onTypeConfig(typeConfig: PothosTypeConfig): PothosTypeConfig {
    if (typeConfig.kind !== 'Object') return typeConfig;
    const consent = (typeConfig.pothosOptions as { consent?: ConsentSubject }).consent;
    return consent ? withDirectives(typeConfig, { consent: { subject: consent } }) : typeConfig;
  }

  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const { scope, roles, pii, cost, rateLimitPerMin } = fieldConfig.pothosOptions as GuardOptions;
    const add: DirectiveMap = {};
    if (roles) add.requiresRole = { roles: [...roles] };
    if (scope) add.requiresScope = { scope };
    if (pii) add.pii = {};
    if (cost !== undefined) add.cost = { cents: cost };
    if (rateLimitPerMin !== undefined) add.rateLimit = { perMin: rateLimitPerMin };
    return Object.keys(add).length > 0 ? withDirectives(fieldConfig, add) : fieldConfig;
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const { scope, roles, roleAction } = fieldConfig.pothosOptions as GuardOptions;
    if (!scope && !roles) return resolver;
    const action = roleAction ?? `\`${fieldConfig.name}\``;
    return (parent, args, context, info) => {
      const principal = (context as { principal?: Principal }).principal;
      if (roles && !(principal && roles.includes(principal.role))) throw forbiddenRole(action, roles, principal?.role ?? 'anonymous');
      if (scope && !principal?.scopes.has(scope)) throw forbiddenScope(scope);
      return resolver(parent, args, context, info);
    };
  }
}

SchemaBuilder.registerPlugin('pactGuards', PactGuardsPlugin);

/** Definitions printed with the schema so the SDL is self-describing. */
export const guardDirectives = [
  new GraphQLDirective({
    name: 'requiresScope',
    description: 'The OAuth/API-key scope a caller needs for this field.',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { scope: { type: new GraphQLNonNull(GraphQLString) } },
  }),
  new GraphQLDirective({
    name: 'requiresRole',
    description: 'The roles that may use this field (owner, admin, manager, member; api for API keys).',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { roles: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) } },
  }),
  new GraphQLDirective({
    name: 'pii',
    description: "Personal data: stored only as ciphertext under the tenant's key (BYOK) and decrypted on read.",
    locations: [DirectiveLocation.FIELD_DEFINITION],
  }),
  new GraphQLDirective({
    name: 'cost',
    description: "Per-call cost in cents, written to the tenant's usage ledger and echoed as extensions.cost_cents.",
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { cents: { type: new GraphQLNonNull(GraphQLFloat) } },
  }),
  new GraphQLDirective({
    name: 'rateLimit',
    description: 'Calls per minute per tenant for this root field (sliding window), on every path: /graphql and the MCP tool whose root field it is count together.',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { perMin: { type: new GraphQLNonNull(GraphQLInt) } },
  }),
  new GraphQLDirective({
    name: 'consent',
    description: 'Records of this type pass the consent gate on this subject; hidden records are counted, never silently dropped.',
    locations: [DirectiveLocation.OBJECT],
    args: { subject: { type: new GraphQLNonNull(GraphQLString) } },
  }),
  new GraphQLDirective({
    name: 'mcpTool',
    description:
      "Marks a persisted operation (schema/operations) as an MCP tool; `npm run codegen` builds the tool table from it. The tool's cost and rate limit are its root field's `@cost` and `@rateLimit`.",
    locations: [DirectiveLocation.QUERY, DirectiveLocation.MUTATION],
    args: {
      name: { type: new GraphQLNonNull(GraphQLString), description: 'The tool name (snake_case).' },
      scope: { type: new GraphQLNonNull(GraphQLString), description: 'The one scope a caller needs.' },
      title: { type: GraphQLString, description: 'A human-readable title.' },
      readOnly: { type: GraphQLBoolean, defaultValue: true, description: 'The tool changes nothing (annotated readOnlyHint).' },
    },
  }),
];
