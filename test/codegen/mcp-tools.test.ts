import { readdirSync, readFileSync } from 'node:fs';
import { Kind, buildSchema, parse, print, valueFromASTUntyped } from 'graphql';
import { describe, expect, expectTypeOf, it } from 'vitest';
import codegenConfig from '../../codegen';
import { buildMcpTools, type JsonSchemaObject, type McpToolDefinition, type McpToolsConfig } from '../../src/codegen/mcp-tools';
import { hashBody, normalizeDocument } from '../../src/codegen/persisted-operations';
import { renderToolTable } from '../../src/codegen/tool-table';
import { fieldGuards } from '../../src/graphql/plugins/guards';
import { schema as executableSchema } from '../../src/graphql/schema';
import * as typed from '../../src/generated/graphql/graphql';
import { mcpTools, type JsonSchemaObject as GeneratedJsonSchemaObject, type McpToolDefinition as GeneratedMcpToolDefinition } from '../../src/mcp/generated/tools';

const sdl = /* GraphQL */ `
  directive @mcpTool(name: String!, scope: String!, title: String, readOnly: Boolean = true) on QUERY | MUTATION
  directive @requiresScope(scope: String!) on FIELD_DEFINITION
  directive @cost(cents: Float!) on FIELD_DEFINITION
  directive @rateLimit(perMin: Int!) on FIELD_DEFINITION
  scalar Date
  "A deal's stage."
  enum Stage { OPEN WON LOST }
  input Range { "Lower bound." min: Int = 0, max: Int! }
  input Filter { text: String, stages: [Stage!], range: Range }
  type Query {
    "Deals, a page at a time."
    deals(filter: Filter, "Page size." first: Int, tags: [String!]!): DealPage! @requiresScope(scope: "read:deals") @cost(cents: 0.5) @rateLimit(perMin: 30)
    stats: Stats! @requiresScope(scope: "read:deals") @cost(cents: 0) @rateLimit(perMin: 60)
    list: [Deal!]! @requiresScope(scope: "read:deals") @cost(cents: 0) @rateLimit(perMin: 60)
    unpriced: Stats! @requiresScope(scope: "read:deals") @rateLimit(perMin: 60)
    unlimited: Stats! @requiresScope(scope: "read:deals") @cost(cents: 0.1)
    negative: Stats! @requiresScope(scope: "read:deals") @cost(cents: -0.1) @rateLimit(perMin: 0)
  }
  type Mutation { closeDeal(id: ID!): Deal! @requiresScope(scope: "read:deals") @cost(cents: 0.05) @rateLimit(perMin: 10) }
  "A page of deals."
  type DealPage { items: [Deal!]!, total: Int!, cursor: String }
  "A deal."
  type Deal {
    id: ID!
    name: String!
    stage: Stage!
    "In currency units."
    amount: Float
    closes: Date
    owner: Owner
    tags: [String]
    secret: String @requiresScope(scope: "read:contacts")
  }
  type Owner { id: ID!, name: String }
  type Stats { win: Float! }
`;
const schema = buildSchema(sdl);
const config: McpToolsConfig = { scalars: { Date: { type: 'string', format: 'date' } } };

/** Tools from inline operations, each its own "file" op-<i>.graphql. */
const tools = (sources: string[], options: McpToolsConfig = config) =>
  buildMcpTools(
    schema,
    sources.map((source, i) => ({ location: `op-${i}.graphql`, document: parse(source) })),
    options,
  );

const findDeals = /* GraphQL */ `
  """
  Find deals.
  Wrapped lines are joined.
  """
  query FindDeals(
    "Words in the name."
    $text: String
    $stages: [Stage!] = [OPEN]
    $range: Range
    $first: Int = 10
    $tags: [String!]!
  ) @mcpTool(name: "find_deals", scope: "read:deals", title: "Find deals") {
    deals(filter: { text: $text, stages: $stages, range: $range }, first: $first, tags: $tags) {
      deal_items: items {
        id
        name
        stage
        amount
        close_date: closes
        owner { owner_name: name }
        owner { id }
        tags
        ...DealBits
        extra: name @include(if: false)
        __typename
      }
      total
      cursor
    }
  }
  fragment DealBits on Deal { id stage }
`;

describe('buildMcpTools', () => {
  it('derives the input schema from the variables: types, enums, defaults, required, descriptions, lists, input objects', () => {
    const [tool] = tools([findDeals]);
    expect(tool?.inputSchema).toMatchInlineSnapshot(`
      {
        "additionalProperties": false,
        "properties": {
          "first": {
            "default": 10,
            "description": "Page size.",
            "type": "integer",
          },
          "range": {
            "additionalProperties": false,
            "properties": {
              "max": {
                "type": "integer",
              },
              "min": {
                "default": 0,
                "description": "Lower bound.",
                "type": "integer",
              },
            },
            "required": [
              "max",
            ],
            "type": "object",
          },
          "stages": {
            "default": [
              "OPEN",
            ],
            "items": {
              "description": "A deal's stage.",
              "enum": [
                "OPEN",
                "WON",
                "LOST",
              ],
              "type": "string",
            },
            "type": "array",
          },
          "tags": {
            "items": {
              "type": "string",
            },
            "type": "array",
          },
          "text": {
            "description": "Words in the name.",
            "type": "string",
          },
        },
        "required": [
          "tags",
        ],
        "type": "object",
      }
    `);
  });

  it('derives the output schema from the selection set: aliases, nullability, enums, lists, nested and merged selections, plus cost_cents', () => {
    const [tool] = tools([findDeals]);
    expect(tool?.outputSchema).toMatchInlineSnapshot(`
      {
        "description": "Deals, a page at a time.",
        "properties": {
          "cost_cents": {
            "description": "This call's cost in cents, charged to the tenant's usage ledger.",
            "type": "number",
          },
          "cursor": {
            "type": [
              "string",
              "null",
            ],
          },
          "deal_items": {
            "items": {
              "description": "A deal.",
              "properties": {
                "__typename": {
                  "enum": [
                    "Deal",
                  ],
                  "type": "string",
                },
                "amount": {
                  "description": "In currency units.",
                  "type": [
                    "number",
                    "null",
                  ],
                },
                "close_date": {
                  "format": "date",
                  "type": [
                    "string",
                    "null",
                  ],
                },
                "extra": {
                  "type": "string",
                },
                "id": {
                  "type": "string",
                },
                "name": {
                  "type": "string",
                },
                "owner": {
                  "properties": {
                    "id": {
                      "type": "string",
                    },
                    "owner_name": {
                      "type": [
                        "string",
                        "null",
                      ],
                    },
                  },
                  "required": [
                    "id",
                  ],
                  "type": [
                    "object",
                    "null",
                  ],
                },
                "stage": {
                  "description": "A deal's stage.",
                  "enum": [
                    "OPEN",
                    "WON",
                    "LOST",
                  ],
                  "type": "string",
                },
                "tags": {
                  "items": {
                    "type": [
                      "string",
                      "null",
                    ],
                  },
                  "type": [
                    "array",
                    "null",
                  ],
                },
              },
              "required": [
                "id",
                "name",
                "stage",
                "__typename",
              ],
              "type": "object",
            },
            "type": "array",
          },
          "total": {
            "type": "integer",
          },
        },
        "required": [
          "deal_items",
          "total",
          "cost_cents",
        ],
        "type": "object",
      }
    `);
  });

  it('carries the directive, the description, the operation and its manifest hash', () => {
    const [tool] = tools([findDeals]);
    const { inputSchema: _input, outputSchema: _output, ...rest } = tool as McpToolDefinition;
    expect(rest).toMatchInlineSnapshot(`
      {
        "annotations": {
          "openWorldHint": false,
          "readOnlyHint": true,
        },
        "costCents": 0.5,
        "description": "Find deals. Wrapped lines are joined.",
        "hash": "sha256:9bbf335d69696a11d9d10cdf609ca3bac4b60d4c35bcfa298d5d3871336349e4",
        "name": "find_deals",
        "operationName": "FindDeals",
        "rateLimitPerMin": 30,
        "readOnly": true,
        "rootField": "deals",
        "scope": "read:deals",
        "title": "Find deals",
      }
    `);
  });

  it('reads the defaults of @mcpTool and accepts a mutation that says readOnly: false', () => {
    const result = tools([
      `"Closes a deal." mutation Close($id: ID!) @mcpTool(name: "close_deal", scope: "read:deals", readOnly: false) { closeDeal(id: $id) { id stage } }`,
      `"Win rate." query Stats @mcpTool(name: "stats", scope: "read:deals") { stats { win } }`,
      `query NotATool { stats { win } }`,
    ]);
    expect(result.map((t) => [t.name, t.readOnly, t.title, t.inputSchema.required ?? []])).toEqual([
      ['close_deal', false, null, ['id']],
      ['stats', true, null, []],
    ]);
    expect(result.map((t) => t.annotations)).toEqual([
      { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
      { readOnlyHint: true, openWorldHint: false },
    ]);
  });

  it('refuses an operation with two root fields, naming the file and operation', () => {
    expect(() =>
      tools([`"Two." query Two @mcpTool(name: "two", scope: "read:deals") { stats { win } list { id } }`]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 1 problem(s) in @mcpTool operations:
        - op-0.graphql (Two): selects 2 root selections (stats, list); a tool's operation selects exactly one root field, whose value is the tool's result]
    `);
  });

  it('refuses an unknown scope, a missing description and a read-only mutation', () => {
    expect(() =>
      tools([
        `query A @mcpTool(name: "a", scope: "write:everything") { stats { win } }`,
        `"Closes." mutation B($id: ID!) @mcpTool(name: "b", scope: "read:deals") { closeDeal(id: $id) { id } }`,
      ]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 3 problem(s) in @mcpTool operations:
        - op-0.graphql (A): unknown scope "write:everything" (known: read:accounts, read:contacts, read:deals, read:workflows)
        - op-0.graphql (A): needs a description (a string before \`query\`) telling AI clients what the tool returns
        - op-1.graphql (B): a mutation tool must say readOnly: false]
    `);
  });

  it("takes each tool's cost and rate limit from its root field's @cost and @rateLimit", () => {
    const result = tools([
      `"Closes a deal." mutation Close($id: ID!) @mcpTool(name: "close_deal", scope: "read:deals", readOnly: false) { closeDeal(id: $id) { id } }`,
      `"Win rate." query Stats @mcpTool(name: "stats", scope: "read:deals") { stats { win } }`,
      findDeals,
    ]);
    expect(result.map((t) => [t.name, t.rootField, t.costCents, t.rateLimitPerMin])).toEqual([
      ['close_deal', 'closeDeal', 0.05, 10],
      ['find_deals', 'deals', 0.5, 30],
      ['stats', 'stats', 0, 60],
    ]);
  });

  it('refuses a root field without @cost or @rateLimit, or with an out-of-range one', () => {
    expect(() =>
      tools([
        `"No cost." query A @mcpTool(name: "a", scope: "read:deals") { unpriced { win } }`,
        `"No limit." query B @mcpTool(name: "b", scope: "read:deals") { unlimited { win } }`,
        `"Out of range." query C @mcpTool(name: "c", scope: "read:deals") { negative { win } }`,
      ]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 4 problem(s) in @mcpTool operations:
        - op-0.graphql (A): root field Query.unpriced has no @cost(cents:): a tool's cost is its root field's, declared in the schema
        - op-1.graphql (B): root field Query.unlimited has no @rateLimit(perMin:): a tool's rate limit is its root field's, declared in the schema
        - op-2.graphql (C): root field Query.negative: @cost(cents:) must be a number ≥ 0, not -0.1
        - op-2.graphql (C): root field Query.negative: @rateLimit(perMin:) must be at least 1, not 0]
    `);
  });

  it('refuses an @mcpTool that declares its own cost or rate limit, and an aliased root field', () => {
    expect(() =>
      tools([
        `"Own figures." query A @mcpTool(name: "a", scope: "read:deals", costCents: 0.1, rateLimitPerMin: 600) { stats { win } }`,
        `"Own cost." query B @mcpTool(name: "b", scope: "read:deals", costCents: 0) { stats { win } }`,
        `"Aliased." query C @mcpTool(name: "c", scope: "read:deals") { figures: stats { win } }`,
      ]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 3 problem(s) in @mcpTool operations:
        - op-0.graphql (A): @mcpTool declares costCents, rateLimitPerMin; a tool's cost and rate limit are its root field's @cost and @rateLimit in the schema: remove costCents, rateLimitPerMin here
        - op-1.graphql (B): @mcpTool declares costCents; a tool's cost and rate limit are its root field's @cost and @rateLimit in the schema: remove costCents here
        - op-2.graphql (C): aliases its root field (figures: stats); the root field's own name is the tool's result key and rate-limit key]
    `);
  });

  it('refuses duplicate tool names across files', () => {
    expect(() =>
      tools([
        `"One." query One @mcpTool(name: "same", scope: "read:deals") { stats { win } }`,
        `"Two." query Two @mcpTool(name: "same", scope: "read:deals") { stats { win } }`,
      ]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 1 problem(s) in @mcpTool operations:
        - op-1.graphql (Two): tool name "same" is already used by op-0.graphql (One)]
    `);
  });

  it('refuses a list root, a field needing another scope, and an unmapped scalar', () => {
    expect(() =>
      tools([`"List." query L @mcpTool(name: "l", scope: "read:deals") { list { id } }`]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 1 problem(s) in @mcpTool operations:
        - op-0.graphql (L): root field list must return an object (not [Deal!]!), so the result can carry cost_cents]
    `);
    expect(() =>
      tools([`"Secret." query S @mcpTool(name: "s", scope: "read:deals") { deals(tags: []) { items { secret } } }`]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 1 problem(s) in @mcpTool operations:
        - op-0.graphql (S): selects a field of another scope than read:deals: Deal.secret needs read:contacts]
    `);
    expect(() =>
      tools([`"Dates." query D @mcpTool(name: "d", scope: "read:deals") { deals(tags: []) { items { closes } } }`], {}),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 1 problem(s) in @mcpTool operations:
        - op-0.graphql (D): scalar Date has no JSON Schema; add it to the mcp-tools plugin's \`scalars\` option]
    `);
  });

  it('refuses camelCase output keys and variables (MCP answers in snake_case, through aliases)', () => {
    expect(() =>
      tools([
        `"Camel." query C($pageSize: Int) @mcpTool(name: "c", scope: "read:deals") { deals(tags: [], first: $pageSize) { items { id dealName: name } } }`,
      ]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: mcp-tools: 2 problem(s) in @mcpTool operations:
        - op-0.graphql (C): variables become the tool's input properties and must be snake_case: $pageSize
        - op-0.graphql (C): output keys must be snake_case (alias the field, e.g. \`owner_name: ownerName\`): items[].dealName]
    `);
  });

  it('renders a module that carries the same types it emits', () => {
    expectTypeOf<GeneratedJsonSchemaObject>().toEqualTypeOf<JsonSchemaObject>();
    expectTypeOf<GeneratedMcpToolDefinition>().toEqualTypeOf<McpToolDefinition>();
    const source = renderToolTable(tools([findDeals]));
    expect(source).toContain("export const mcpTools: readonly McpToolDefinition[] = [\n  {\n    name: 'find_deals',");
    expect(source).not.toMatch(/^import /m);
  });
});

describe('the generated tool table (src/mcp/generated/tools.ts)', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../schema/persisted-operations.json', import.meta.url), 'utf8')) as Record<string, string>;
  const dir = new URL('../../schema/operations/', import.meta.url);
  const sources = readdirSync(dir).map((file) => parse(readFileSync(new URL(file, dir), 'utf8')));

  it('annotates fire_agent (a query that records its run) as writing but not destructive, and the rest read-only', () => {
    expect(Object.fromEntries(mcpTools.map((t) => [t.name, t.annotations]))).toEqual({
      ask_workspace: { readOnlyHint: true, openWorldHint: false },
      fire_agent: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      get_metric_explanation: { readOnlyHint: true, openWorldHint: false },
      list_agents: { readOnlyHint: true, openWorldHint: false },
      query_accounts: { readOnlyHint: true, openWorldHint: false },
      query_contacts: { readOnlyHint: true, openWorldHint: false },
      query_deals: { readOnlyHint: true, openWorldHint: false },
      query_pipeline_health: { readOnlyHint: true, openWorldHint: false },
      read_briefing: { readOnlyHint: true, openWorldHint: false },
    });
  });

  it("carries the cost and rate limit the /graphql pipeline reads from the tool's root field", () => {
    const queryFields = executableSchema.getQueryType()?.getFields() ?? {};
    for (const tool of mcpTools) {
      const guards = fieldGuards(queryFields[tool.rootField]);
      expect({ tool: tool.name, costCents: tool.costCents, rateLimitPerMin: tool.rateLimitPerMin }).toEqual({
        tool: tool.name,
        costCents: guards.costCents,
        rateLimitPerMin: guards.rateLimitPerMin,
      });
    }
  });

  it('lists the tools of schema/operations', () => {
    expect(mcpTools.map((t) => [t.name, t.scope, t.costCents, t.rateLimitPerMin, t.readOnly, t.operationName, t.rootField])).toMatchInlineSnapshot(`
      [
        [
          "ask_workspace",
          "read:accounts",
          0.5,
          60,
          true,
          "AskWorkspace",
          "askWorkspace",
        ],
        [
          "fire_agent",
          "read:workflows",
          1,
          60,
          false,
          "FireAgent",
          "fireAgent",
        ],
        [
          "get_metric_explanation",
          "read:deals",
          0.5,
          60,
          true,
          "GetMetricExplanation",
          "metricExplanation",
        ],
        [
          "list_agents",
          "read:workflows",
          0.01,
          60,
          true,
          "ListAgents",
          "agents",
        ],
        [
          "query_accounts",
          "read:accounts",
          0.1,
          60,
          true,
          "QueryAccounts",
          "accounts",
        ],
        [
          "query_contacts",
          "read:contacts",
          0.1,
          60,
          true,
          "QueryContacts",
          "contacts",
        ],
        [
          "query_deals",
          "read:deals",
          0.1,
          60,
          true,
          "QueryDeals",
          "deals",
        ],
        [
          "query_pipeline_health",
          "read:deals",
          0.2,
          60,
          true,
          "QueryPipelineHealth",
          "pipelineHealth",
        ],
        [
          "read_briefing",
          "read:accounts",
          0.5,
          60,
          true,
          "ReadBriefing",
          "briefing",
        ],
      ]
    `);
  });

  it.each(mcpTools.map((t) => [t.name, t] as const))('%s: its hash is a manifest key whose document, parsed, is the tool operation', (_name, tool) => {
    const body = manifest[tool.hash];
    expect(body, `${tool.hash} is missing from schema/persisted-operations.json`).toBeDefined();
    expect(hashBody(body as string)).toBe(tool.hash);
    const document = parse(body as string);
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    expect(operations).toHaveLength(1);
    const operation = operations[0];
    expect(operation?.name?.value).toBe(tool.operationName);
    const directive = operation?.directives?.find((d) => d.name.value === 'mcpTool');
    const nameArg = directive?.arguments?.find((a) => a.name.value === 'name');
    expect(nameArg && valueFromASTUntyped(nameArg.value)).toBe(tool.name);
    const root = operation?.selectionSet.selections[0];
    expect(root?.kind === Kind.FIELD ? (root.alias ?? root.name).value : undefined).toBe(tool.rootField);
    // The same operation as its source file, once normalised.
    const source = sources.find((s) => s.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === tool.operationName));
    expect(source && print(parse(normalizeDocument(source)))).toBe(print(document));
    // The typed document for the UI carries the same hash.
    const typedDocument = (typed as unknown as Record<string, unknown>)[`${tool.operationName}Document`] as { __meta__?: { hash?: string } } | undefined;
    expect(typedDocument?.__meta__?.hash).toBe(tool.hash);
  });

  it('agrees with a fresh build from the operation files', () => {
    const rebuilt = buildMcpTools(
      buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8')),
      readdirSync(dir).map((file) => ({ location: `schema/operations/${file}`, document: parse(readFileSync(new URL(file, dir), 'utf8')) })),
      (codegenConfig.generates['src/mcp/generated/tools.ts'] as { config: McpToolsConfig }).config,
    );
    expect(rebuilt).toEqual(mcpTools);
  });
});
