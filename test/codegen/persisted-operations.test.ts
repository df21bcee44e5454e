import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentHash, normalizeDocument, persistedOperations, renderManifest } from '../../src/codegen/persisted-operations';

const file = (location: string, source: string) => ({ location, document: parse(source) });

describe('persisted operations', () => {
  it('normalises as the client preset does: descriptions, @client and @connection dropped, nodes sorted, white space collapsed', () => {
    const document = parse(/* GraphQL */ `
      "Described."
      query Q("A variable." $b: Int, $a: String) @mcpTool(scope: "s", name: "n") {
        z
        local @client
        list @connection(key: "k") { id }
        a(y: 1, x: 2)
      }
    `);
    expect(normalizeDocument(document)).toMatchInlineSnapshot(`"query Q($a: String, $b: Int) @mcpTool(name: "n", scope: "s") { a(y: 1, x: 2) list { id } z }"`);
    expect(documentHash(document)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('stores each operation with the fragments it reaches (from any file), and nothing else', () => {
    const operations = persistedOperations([
      file('a.graphql', 'query A { deals { ...Outer } }'),
      file('fragments.graphql', 'fragment Outer on Deal { id ...Inner } fragment Inner on Deal { name } fragment Unused on Deal { stage }'),
      file('b.graphql', 'query B { stats { win } }'),
    ]);
    expect(operations.map((o) => [o.operationName, o.location, o.body])).toMatchInlineSnapshot(`
      [
        [
          "A",
          "a.graphql",
          "fragment Inner on Deal { name } fragment Outer on Deal { id ...Inner } query A { deals { ...Outer } }",
        ],
        [
          "B",
          "b.graphql",
          "query B { stats { win } }",
        ],
      ]
    `);
    const manifest = JSON.parse(renderManifest(operations)) as Record<string, string>;
    expect(Object.entries(manifest)).toEqual(operations.map((o) => [o.hash, o.body]).sort(([a], [b]) => ((a ?? '') < (b ?? '') ? -1 : 1)));
  });

  it('refuses anonymous and duplicate operations, and unknown fragments', () => {
    expect(() => persistedOperations([file('x.graphql', '{ a }')])).toThrow('x.graphql: a persisted operation needs a name');
    expect(() => persistedOperations([file('x.graphql', 'query A { a }'), file('y.graphql', 'query A { b }')])).toThrow(
      'y.graphql: operation A is also defined in x.graphql',
    );
    expect(() => persistedOperations([file('x.graphql', 'query A { ...Missing }')])).toThrow('x.graphql (A): unknown fragment "Missing"');
  });
});
