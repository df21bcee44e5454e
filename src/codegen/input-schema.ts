import {
  Kind,
  TypeInfo,
  astFromValue,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  isScalarType,
  typeFromAST,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { builtInScalars, described, type JsonSchemaObject, type JsonValue } from './json-schema';

/** What the schema builders need besides the GraphQL schema. */
export interface SchemaContext {
  /** JSON Schemas of scalars by name (built-ins included). */
  scalars: Readonly<Record<string, JsonSchemaObject>>;
  /** `file (Operation)`, prefixed to error messages. */
  where: string;
}

/** A scalar's JSON Schema; an unmapped custom scalar is an error so that no tool has a vague schema. */
export function scalarSchema(name: string, context: SchemaContext): JsonSchemaObject {
  const schema = context.scalars[name] ?? builtInScalars[name];
  if (!schema) throw new Error(`${context.where}: scalar ${name} has no JSON Schema; add it to the mcp-tools plugin's \`scalars\` option`);
  return { ...schema };
}

const jsonValue = (node: ValueNode): JsonValue => valueFromASTUntyped(node) as JsonValue;

/** The JSON Schema of a GraphQL input type. Inputs are written without null: omit an optional value. */
function inputTypeSchema(type: GraphQLInputType, context: SchemaContext, stack: readonly string[]): JsonSchemaObject {
  if (isNonNullType(type)) return inputTypeSchema(type.ofType, context, stack);
  if (isListType(type)) return { type: 'array', items: inputTypeSchema(type.ofType, context, stack) };
  if (isEnumType(type)) return described({ type: 'string', enum: type.getValues().map((v) => v.name) }, type.description);
  if (isScalarType(type)) return scalarSchema(type.name, context);
  if (stack.includes(type.name)) {
    throw new Error(`${context.where}: input type ${type.name} is recursive (${[...stack, type.name].join(' → ')}) and cannot be inlined in a tool's input schema`);
  }
  const properties: Record<string, JsonSchemaObject> = {};
  const required: string[] = [];
  for (const field of Object.values(type.getFields())) {
    let property = described(inputTypeSchema(field.type, context, [...stack, type.name]), field.description);
    if (field.defaultValue !== undefined) {
      const ast = astFromValue(field.defaultValue, field.type);
      if (ast) property = { ...property, default: jsonValue(ast) };
    } else if (isNonNullType(field.type)) {
      required.push(field.name);
    }
    properties[field.name] = property;
  }
  const schema: JsonSchemaObject = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  schema.additionalProperties = false;
  if (type.isOneOf) Object.assign(schema, { minProperties: 1, maxProperties: 1 });
  return described(schema, type.description);
}

/** Where each variable is first used: the description of that argument or input field. */
function usageDescriptions(schema: GraphQLSchema, operation: OperationDefinitionNode): Map<string, string> {
  const found = new Map<string, string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    operation,
    visitWithTypeInfo(typeInfo, {
      Variable(node, _key, parent) {
        if (found.has(node.name.value) || !parent || Array.isArray(parent)) return;
        const holder = parent as { kind?: string; name?: { value: string } };
        let description: string | null | undefined;
        if (holder.kind === Kind.ARGUMENT) description = typeInfo.getArgument()?.description;
        if (holder.kind === Kind.OBJECT_FIELD && holder.name) {
          const objectType = getNamedType(typeInfo.getParentInputType());
          if (isInputObjectType(objectType)) description = objectType.getFields()[holder.name.value]?.description;
        }
        if (description) found.set(node.name.value, description);
      },
    }),
  );
  return found;
}

/**
 * The tool's input schema from the operation's variables: one property per variable (its own
 * description, else the description of the argument or input field it feeds), `required` for
 * non-null variables without a default, defaults as JSON, enums by value name, lists and input
 * objects inlined; no other properties.
 */
export function variablesSchema(schema: GraphQLSchema, operation: OperationDefinitionNode, context: SchemaContext): JsonSchemaObject {
  const usages = usageDescriptions(schema, operation);
  const properties: Record<string, JsonSchemaObject> = {};
  const required: string[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    if (!type || !isInputType(type)) throw new Error(`${context.where}: variable $${name} has an unknown input type`);
    let property = described(inputTypeSchema(type, context, []), definition.description?.value ?? usages.get(name));
    if (definition.defaultValue) property = { ...property, default: jsonValue(definition.defaultValue) };
    else if (isNonNullType(type)) required.push(name);
    properties[name] = property;
  }
  const result: JsonSchemaObject = { type: 'object', properties };
  if (required.length > 0) result.required = required;
  result.additionalProperties = false;
  return result;
}
