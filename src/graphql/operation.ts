import {
  Kind,
  getOperationAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { fieldGuards, type FieldGuards } from './plugins/guards';

export interface RootField extends FieldGuards {
  name: string;
}

export interface OperationShape {
  kind: 'query' | 'mutation' | 'subscription';
  /** Root fields (by schema name, never by alias or operation name), sorted, without duplicates. */
  fields: RootField[];
  /** The label the audit log and the rate limiter use: root field names joined by `+`. */
  label: string;
  costCents: number;
}

const described = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, OperationShape | null>>>();

/** The root fields an operation selects, with their cost, scope and rate limit from the schema (computed once per document). */
export function describeOperation(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): OperationShape | null {
  let bySchema = described.get(schema);
  if (!bySchema) described.set(schema, (bySchema = new WeakMap()));
  let byDocument = bySchema.get(document);
  if (!byDocument) bySchema.set(document, (byDocument = new Map()));
  const name = operationName ?? '';
  if (!byDocument.has(name)) byDocument.set(name, shapeOf(schema, document, operationName));
  return byDocument.get(name) ?? null;
}

function shapeOf(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): OperationShape | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const rootType =
    operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  const collect = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) names.add(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) collect(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  collect(operation.selectionSet, new Set());
  const rootFields = rootType?.getFields() ?? {};
  const fields = [...names].sort().map((name) => ({ name, ...fieldGuards(rootFields[name]) }));
  return {
    kind: operation.operation,
    fields,
    label: fields.length > 0 ? fields.map((f) => f.name).join('+') : '__typename',
    costCents: fields.reduce((sum, f) => sum + f.costCents, 0),
  };
}
