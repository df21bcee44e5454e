import { createHash } from 'node:crypto';
import type { PluginFunction, PluginValidateFn, Types } from '@graphql-codegen/plugin-helpers';
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import {
  Kind,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { relativeLocation } from './locations';

/** One persisted operation: the manifest key and the normalised document stored under it. */
export interface PersistedOperation {
  operationName: string;
  /** `sha256:<hex>` of `body`, as the client preset's persisted documents compute it. */
  hash: string;
  /** The normalised document: the operation and the fragments it uses, sorted, descriptions stripped. */
  body: string;
  /** The parsed operation (with its description), for the plugins that read it. */
  operation: OperationDefinitionNode;
  /** The file the operation came from. */
  location: string;
}

/** Config of the persisted-operations plugin; it has no options. */
export type PersistedOperationsConfig = Record<string, never>;

/**
 * The document as the client preset persists it: descriptions removed (as `optimizeDocumentNode`
 * does), `@client` selections and `@connection` directives dropped, nodes sorted, white space collapsed.
 */
export function normalizeDocument(document: DocumentNode): string {
  const strip = <T extends { description?: unknown }>(node: T): T => {
    if (node.description === undefined) return node;
    const { description: _description, ...rest } = node;
    return rest as T;
  };
  const isClient = (node: { directives?: readonly { name: { value: string } }[] }) =>
    node.directives?.some((d) => d.name.value === 'client') ?? false;
  const sanitized = visit(document, {
    OperationDefinition: strip,
    VariableDefinition: strip,
    FragmentDefinition: strip,
    Field: (node) => (isClient(node) ? null : undefined),
    FragmentSpread: (node) => (isClient(node) ? null : undefined),
    InlineFragment: (node) => (isClient(node) ? null : undefined),
    Directive: (node) => (node.name.value === 'connection' ? null : undefined),
  });
  return printExecutableGraphQLDocument(sanitized);
}

/** `sha256:<hex>` of a normalised document (the GraphQL-over-HTTP persisted document identifier). */
export function hashBody(body: string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** The manifest key of an executable document; the client preset's `onExecutableDocumentNode` uses it too. */
export function documentHash(document: DocumentNode): string {
  return hashBody(normalizeDocument(document));
}

function spreadNames(selectionSet: SelectionSetNode, out: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) out.add(selection.name.value);
    else if (selection.selectionSet) spreadNames(selection.selectionSet, out);
  }
}

/** The operation and every fragment it reaches, as one executable document. */
function executableDocument(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, where: string): DocumentNode {
  const used = new Set<string>();
  const queue: SelectionSetNode[] = [operation.selectionSet];
  const definitions: DefinitionNode[] = [operation];
  for (let set = queue.pop(); set; set = queue.pop()) {
    const names = new Set<string>();
    spreadNames(set, names);
    for (const name of names) {
      if (used.has(name)) continue;
      const fragment = fragments.get(name);
      if (!fragment) throw new Error(`${where}: unknown fragment "${name}"`);
      used.add(name);
      definitions.push(fragment);
      queue.push(fragment.selectionSet);
    }
  }
  return { kind: Kind.DOCUMENT, definitions };
}

/**
 * Every named operation of the documents with its manifest hash and normalised body, sorted by
 * operation name. The manifest, the typed documents' `__meta__.hash` and the MCP tool table all
 * come from this one function, so a tool's hash is always a key of the manifest.
 */
export function persistedOperations(documents: readonly Types.DocumentFile[]): PersistedOperation[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of documents) {
    for (const definition of file.document?.definitions ?? []) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
  }
  const seen = new Map<string, string>();
  const result: PersistedOperation[] = [];
  for (const file of documents) {
    const location = relativeLocation(file.location);
    for (const definition of file.document?.definitions ?? []) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const operationName = definition.name?.value;
      if (!operationName) throw new Error(`${location}: a persisted operation needs a name`);
      const previous = seen.get(operationName);
      if (previous) throw new Error(`${location}: operation ${operationName} is also defined in ${previous}`);
      seen.set(operationName, location);
      const body = normalizeDocument(executableDocument(definition, fragments, `${location} (${operationName})`));
      result.push({ operationName, hash: hashBody(body), body, operation: definition, location });
    }
  }
  return result.sort((a, b) => a.operationName.localeCompare(b.operationName));
}

/** Renders the manifest: `{ "<hash>": "<document>" }`, sorted by hash, as the client preset's persisted-documents.json. */
export function renderManifest(operations: readonly PersistedOperation[]): string {
  const entries = [...operations].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0)).map((op) => [op.hash, op.body]);
  return `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
}

/** graphql-codegen plugin: the persisted-operations manifest (hash → document). */
export const plugin: PluginFunction<PersistedOperationsConfig, string> = (_schema, documents) =>
  renderManifest(persistedOperations(documents));

/** graphql-codegen validation: a `.json` output, and named, unique operations. */
export const validate: PluginValidateFn<PersistedOperationsConfig> = (_schema, documents, _config, outputFile) => {
  if (!outputFile.endsWith('.json')) throw new Error(`persisted-operations: the output must be a .json file, not ${outputFile}`);
  persistedOperations(documents);
};
