import type { PluginFunction, PluginValidateFn, Types } from '@graphql-codegen/plugin-helpers';
import {
  Kind,
  OperationTypeNode,
  TypeInfo,
  getDirectiveValues,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  parse,
  visit,
  visitWithTypeInfo,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { variablesSchema } from './input-schema';
import type { JsonSchemaObject } from './json-schema';
import { selectionSchema } from './output-schema';
import { persistedOperations, type PersistedOperation } from './persisted-operations';
import { renderToolTable, type McpToolDefinition } from './tool-table';

export type { McpToolDefinition } from './tool-table';
export type { JsonSchemaObject } from './json-schema';

/** Options of the mcp-tools plugin (`config` in codegen.ts). */
export interface McpToolsConfig {
  /** Scopes a tool may declare. Default: read:accounts, read:contacts, read:deals, read:workflows. */
  scopes?: string[];
  /** JSON Schemas of custom scalars by name; built-in scalars are mapped already. An unmapped scalar fails codegen. */
  scalars?: Record<string, JsonSchemaObject>;
  /**
   * The field directive naming the scope a field needs (default `requiresScope`). Every field a tool
   * selects that carries it must need the tool's own scope, so one scope is all a caller needs.
   */
  scopeDirective?: string;
}

/** The scopes a tool may declare when the config names none. */
export const defaultScopes = ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows'];

/** The directive that turns a persisted operation into a tool. */
export const toolDirective = 'mcpTool';

/** The root-field directives a tool's cost (`@cost(cents:)`) and rate limit (`@rateLimit(perMin:)`) come from. */
const costDirective = 'cost';
const rateLimitDirective = 'rateLimit';

/** `@mcpTool` arguments that once declared what the root field's directives now say. */
const retiredArguments = ['costCents', 'rateLimitPerMin'];

/** The property every tool result carries besides the root field's value. */
const costProperty: JsonSchemaObject = { type: 'number', description: "This call's cost in cents, charged to the tenant's usage ledger." };

const toolName = /^[a-z][a-z0-9_]{0,63}$/;
const snakeCase = /^[a-z][a-z0-9_]*$/;

/** Output property paths that are not snake_case (the wire contract: MCP answers in snake_case, through aliases). */
function camelCaseKeys(schema: JsonSchemaObject, path: string, out: string[] = []): string[] {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const here = path ? `${path}.${name}` : name;
    if (!snakeCase.test(name) && name !== '__typename') out.push(here);
    camelCaseKeys(property, here, out);
  }
  if (schema.items) camelCaseKeys(schema.items, `${path}[]`, out);
  return out;
}

/** Unwraps hard line breaks inside paragraphs (keeps blank lines and list items). */
const unwrap = (text: string) => text.trim().replace(/([^\n])\n(?![\n\s\-*#>|]|\d+\.)/g, '$1 ');

interface DirectiveArgs {
  name: string;
  scope: string;
  title?: string | null;
  readOnly: boolean;
}

/** The value of one argument of a directive applied to a root field, or undefined when the field lacks it. */
function fieldDirectiveArg(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, directiveName: string, arg: string): unknown {
  const directive = schema.getDirective(directiveName);
  if (!directive || !field.astNode) return undefined;
  return getDirectiveValues(directive, field.astNode)?.[arg];
}

/** The tool's cost and limit, read from its root field's `@cost` and `@rateLimit`, or the problems that refuse them. */
function rootFieldGuards(schema: GraphQLSchema, parent: string, field: GraphQLField<unknown, unknown>): { costCents: number; rateLimitPerMin: number } | string[] {
  const cents = fieldDirectiveArg(schema, field, costDirective, 'cents');
  const perMin = fieldDirectiveArg(schema, field, rateLimitDirective, 'perMin');
  const problems: string[] = [];
  const where = `root field ${parent}.${field.name}`;
  if (typeof cents !== 'number') problems.push(`${where} has no @${costDirective}(cents:): a tool's cost is its root field's, declared in the schema`);
  else if (!Number.isFinite(cents) || cents < 0) problems.push(`${where}: @${costDirective}(cents:) must be a number ≥ 0, not ${cents}`);
  if (typeof perMin !== 'number') problems.push(`${where} has no @${rateLimitDirective}(perMin:): a tool's rate limit is its root field's, declared in the schema`);
  else if (perMin < 1) problems.push(`${where}: @${rateLimitDirective}(perMin:) must be at least 1, not ${perMin}`);
  if (problems.length === 0 && typeof cents === 'number' && typeof perMin === 'number') return { costCents: cents, rateLimitPerMin: perMin };
  return problems;
}

function fragmentsOf(documents: readonly Types.DocumentFile[]): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of documents) {
    for (const definition of file.document?.definitions ?? []) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
  }
  return fragments;
}

/** Fields the tool selects whose scope directive names another scope. */
function foreignScopes(schema: GraphQLSchema, persisted: PersistedOperation, scope: string, directiveName: string): string[] {
  const directive = schema.getDirective(directiveName);
  if (!directive) return [];
  const typeInfo = new TypeInfo(schema);
  const found: string[] = [];
  visit(
    parse(persisted.body),
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!field?.astNode || !parent) return;
        const needed = getDirectiveValues(directive, field.astNode)?.scope;
        if (typeof needed === 'string' && needed !== scope) found.push(`${parent.name}.${field.name} needs ${needed}`);
      },
    }),
  );
  return found;
}

/**
 * MCP annotations: a read-only tool says so; a writing query (it records its run, e.g. fire_agent)
 * destroys nothing; a mutation keeps the spec's cautious default (destructive). No tool is
 * idempotent or reaches an open world (they act on the workspace's own records).
 */
function annotationsOf(readOnly: boolean, type: OperationTypeNode): McpToolDefinition['annotations'] {
  if (readOnly) return { readOnlyHint: true, openWorldHint: false };
  return { readOnlyHint: false, destructiveHint: type === OperationTypeNode.MUTATION, idempotentHint: false, openWorldHint: false };
}

/** Builds one tool, or returns the problems that refuse it. */
function buildTool(
  schema: GraphQLSchema,
  persisted: PersistedOperation,
  args: DirectiveArgs,
  config: McpToolsConfig,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): McpToolDefinition | string[] {
  const operation: OperationDefinitionNode = persisted.operation;
  const where = `${persisted.location} (${persisted.operationName})`;
  const problems: string[] = [];
  const scopes = config.scopes ?? defaultScopes;
  if (!toolName.test(args.name)) problems.push(`tool name "${args.name}" must be snake_case: a lower-case letter, then lower-case letters, digits or _ (at most 64)`);
  if (!scopes.includes(args.scope)) problems.push(`unknown scope "${args.scope}" (known: ${scopes.join(', ')})`);
  if (operation.operation === OperationTypeNode.MUTATION && args.readOnly) problems.push('a mutation tool must say readOnly: false');
  const description = operation.description?.value.trim() ?? '';
  if (!description) problems.push('needs a description (a string before `query`) telling AI clients what the tool returns');
  const variables = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value).filter((name) => !snakeCase.test(name));
  if (variables.length > 0) problems.push(`variables become the tool's input properties and must be snake_case: ${variables.map((v) => `$${v}`).join(', ')}`);

  const roots = operation.selectionSet.selections;
  const root = roots[0];
  if (roots.length !== 1 || root?.kind !== Kind.FIELD) {
    const names = roots.map((s) => (s.kind === Kind.FIELD ? s.name.value : `...${s.kind === Kind.FRAGMENT_SPREAD ? s.name.value : 'inline fragment'}`));
    problems.push(`selects ${roots.length} root selections (${names.join(', ')}); a tool's operation selects exactly one root field, whose value is the tool's result`);
    return problems.map((p) => `${where}: ${p}`);
  }
  const rootType = operation.operation === OperationTypeNode.MUTATION ? schema.getMutationType() : schema.getQueryType();
  const field = rootType?.getFields()[root.name.value];
  if (!rootType || !field) return [`${where}: ${rootType?.name ?? operation.operation} has no field ${root.name.value}`];
  if (root.alias) {
    problems.push(`aliases its root field (${root.alias.value}: ${root.name.value}); the root field's own name is the tool's result key and rate-limit key`);
  }
  const guards = rootFieldGuards(schema, rootType.name, field);
  if (Array.isArray(guards)) problems.push(...guards);
  const valueType = isNonNullType(field.type) ? field.type.ofType : field.type;
  const named = getNamedType(field.type);
  if (isListType(valueType) || !isCompositeType(named)) {
    problems.push(`root field ${root.name.value} must return an object (not ${String(field.type)}), so the result can carry cost_cents`);
  }
  if (scopes.includes(args.scope)) {
    for (const foreign of foreignScopes(schema, persisted, args.scope, config.scopeDirective ?? 'requiresScope')) {
      problems.push(`selects a field of another scope than ${args.scope}: ${foreign}`);
    }
  }
  if (isListType(valueType) || !isCompositeType(named)) return problems.map((p) => `${where}: ${p}`);

  const context = { scalars: config.scalars ?? {}, where, fragments };
  const value = selectionSchema(schema, named, root.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] }, context);
  if (value.properties?.cost_cents) problems.push('selects cost_cents, which every tool result adds itself');
  const camel = camelCaseKeys(value, '');
  if (camel.length > 0) problems.push(`output keys must be snake_case (alias the field, e.g. \`owner_name: ownerName\`): ${camel.join(', ')}`);
  if (problems.length > 0 || Array.isArray(guards)) return problems.map((p) => `${where}: ${p}`);
  const outputSchema: JsonSchemaObject = {
    ...value,
    ...(field.description ? { description: field.description } : {}),
    properties: { ...value.properties, cost_cents: costProperty },
    required: [...(value.required ?? []), 'cost_cents'],
  };
  return {
    name: args.name,
    title: args.title ?? null,
    description: unwrap(description),
    inputSchema: variablesSchema(schema, operation, context),
    outputSchema,
    scope: args.scope,
    costCents: guards.costCents,
    rateLimitPerMin: guards.rateLimitPerMin,
    readOnly: args.readOnly,
    annotations: annotationsOf(args.readOnly, operation.operation),
    operationName: persisted.operationName,
    rootField: root.name.value,
    hash: persisted.hash,
  };
}

/**
 * The MCP tool table from the documents: one tool per operation marked `@mcpTool`, sorted by name,
 * each pointing at its persisted-operations manifest entry, its cost and rate limit read from its
 * root field's `@cost` and `@rateLimit`. Throws one error listing every refused operation (by file
 * and name): more than one root field or an aliased one, a root field without `@cost` or
 * `@rateLimit`, an `@mcpTool` declaring its own cost or limit, an unknown scope, a duplicate tool
 * name, a missing description, a field needing another scope.
 */
export function buildMcpTools(schema: GraphQLSchema, documents: readonly Types.DocumentFile[], config: McpToolsConfig = {}): McpToolDefinition[] {
  const directive = schema.getDirective(toolDirective);
  const fragments = fragmentsOf(documents);
  const problems: string[] = [];
  const tools: McpToolDefinition[] = [];
  const names = new Map<string, string>();
  for (const persisted of persistedOperations(documents)) {
    const where = `${persisted.location} (${persisted.operationName})`;
    const applied = persisted.operation.directives?.filter((d) => d.name.value === toolDirective) ?? [];
    if (applied.length === 0) continue;
    if (!directive) {
      problems.push(`${where}: uses @${toolDirective}, which the schema does not declare`);
      continue;
    }
    const retired = applied.flatMap((d) => d.arguments ?? []).filter((a) => retiredArguments.includes(a.name.value));
    if (retired.length > 0) {
      const names = retired.map((a) => a.name.value).join(', ');
      problems.push(`${where}: @${toolDirective} declares ${names}; a tool's cost and rate limit are its root field's @${costDirective} and @${rateLimitDirective} in the schema: remove ${names} here`);
    }
    const args = getDirectiveValues(directive, persisted.operation) as DirectiveArgs | undefined;
    if (!args) continue;
    const previous = names.get(args.name);
    if (previous) problems.push(`${where}: tool name "${args.name}" is already used by ${previous}`);
    else names.set(args.name, where);
    try {
      const tool = buildTool(schema, persisted, args, config, fragments);
      if (Array.isArray(tool)) problems.push(...tool);
      else tools.push(tool);
    } catch (error) {
      // Schema derivation errors (an unmapped scalar, a recursive input) already name the operation.
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) {
    throw new Error(`mcp-tools: ${problems.length} problem(s) in @${toolDirective} operations:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** graphql-codegen plugin: the MCP tool table module (src/mcp/generated/tools.ts). */
export const plugin: PluginFunction<McpToolsConfig, string> = (schema, documents, config) =>
  renderToolTable(buildMcpTools(schema, documents, config));

/** graphql-codegen validation: a `.ts` output, and every `@mcpTool` operation acceptable. */
export const validate: PluginValidateFn<McpToolsConfig> = (schema, documents, config, outputFile) => {
  if (!outputFile.endsWith('.ts')) throw new Error(`mcp-tools: the output must be a .ts file, not ${outputFile}`);
  buildMcpTools(schema, documents, config);
};
