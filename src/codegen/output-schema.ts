import {
  Kind,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  typeFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { scalarSchema, type SchemaContext } from './input-schema';
import { described, orNull, type JsonSchemaObject } from './json-schema';

/** What output schemas need besides the schema: fragments by name. */
export interface OutputContext extends SchemaContext {
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

/** The fields selected under one response key. */
interface CollectedField {
  nodes: FieldNode[];
  /** The type the field was selected on (a fragment's type condition, else the parent type). */
  owner: GraphQLCompositeType;
  /** Every selection of it is under `@skip`/`@include` or a narrower type condition: it may be absent. */
  conditional: boolean;
}

const isConditional = (node: SelectionNode): boolean =>
  node.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include') ?? false;

/** Groups the selections of a set by response key (alias or name), following fragments (graphql's CollectFields, statically). */
function collectFields(
  schema: GraphQLSchema,
  parentType: GraphQLCompositeType,
  owner: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  context: OutputContext,
  conditional: boolean,
  out: Map<string, CollectedField>,
): Map<string, CollectedField> {
  for (const selection of selectionSet.selections) {
    const here = conditional || isConditional(selection);
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      const existing = out.get(key);
      if (existing) {
        existing.nodes.push(selection);
        existing.conditional &&= here;
      } else {
        out.set(key, { nodes: [selection], owner, conditional: here });
      }
      continue;
    }
    let typeCondition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : undefined;
    let set: SelectionSetNode = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : { kind: Kind.SELECTION_SET, selections: [] };
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = context.fragments.get(selection.name.value);
      if (!fragment) throw new Error(`${context.where}: unknown fragment ${selection.name.value}`);
      typeCondition = fragment.typeCondition;
      set = fragment.selectionSet;
    }
    const conditionType = typeCondition ? typeFromAST(schema, typeCondition) : undefined;
    const fragmentOwner = conditionType && isCompositeType(conditionType) ? conditionType : owner;
    // A fragment applies always when its condition is the parent type or an abstract type the parent object belongs to.
    const always =
      fragmentOwner === parentType || (isObjectType(parentType) && isAbstractType(fragmentOwner) && schema.isSubType(fragmentOwner, parentType));
    collectFields(schema, parentType, fragmentOwner, set, context, here || !always, out);
  }
  return out;
}

function fieldDefinition(parentType: GraphQLCompositeType, name: string, context: OutputContext): GraphQLField<unknown, unknown> {
  const field = 'getFields' in parentType ? parentType.getFields()[name] : undefined;
  if (!field) throw new Error(`${context.where}: ${parentType.name} has no field ${name}`);
  return field;
}

/** The JSON Schema of a field's value; nullable values add `'null'` to the type. */
function valueSchema(schema: GraphQLSchema, type: GraphQLOutputType, nodes: readonly FieldNode[], context: OutputContext): JsonSchemaObject {
  if (isNonNullType(type)) return nonNullValueSchema(schema, type.ofType, nodes, context);
  return orNull(nonNullValueSchema(schema, type, nodes, context));
}

function nonNullValueSchema(schema: GraphQLSchema, type: GraphQLOutputType, nodes: readonly FieldNode[], context: OutputContext): JsonSchemaObject {
  if (isNonNullType(type)) return nonNullValueSchema(schema, type.ofType, nodes, context);
  if (isListType(type)) return { type: 'array', items: valueSchema(schema, type.ofType, nodes, context) };
  if (isEnumType(type)) return described({ type: 'string', enum: type.getValues().map((v) => v.name) }, type.description);
  if (isScalarType(type)) return scalarSchema(type.name, context);
  const selections = nodes.flatMap((node) => node.selectionSet?.selections ?? []);
  return selectionSchema(schema, type, { kind: Kind.SELECTION_SET, selections }, context);
}

/**
 * The JSON Schema of the object a selection set produces: one property per response key (aliases
 * as names), required unless the field is nullable or conditional, nested selections inlined.
 */
export function selectionSchema(schema: GraphQLSchema, parentType: GraphQLCompositeType, selectionSet: SelectionSetNode, context: OutputContext): JsonSchemaObject {
  const properties: Record<string, JsonSchemaObject> = {};
  const required: string[] = [];
  for (const [key, collected] of collectFields(schema, parentType, parentType, selectionSet, context, false, new Map())) {
    const first = collected.nodes[0];
    if (!first) continue;
    if (first.name.value === '__typename') {
      properties[key] = isObjectType(collected.owner) ? { type: 'string', enum: [collected.owner.name] } : { type: 'string' };
      if (!collected.conditional) required.push(key);
      continue;
    }
    const field = fieldDefinition(collected.owner, first.name.value, context);
    properties[key] = described(valueSchema(schema, field.type, collected.nodes, context), field.description);
    if (isNonNullType(field.type) && !collected.conditional) required.push(key);
  }
  const result: JsonSchemaObject = { type: 'object', properties };
  if (required.length > 0) result.required = required;
  return described(result, parentType.description);
}
