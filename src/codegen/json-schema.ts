/** A JSON value (defaults are written as JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** JSON Schema primitive type names. */
export type JsonSchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** The subset of JSON Schema (draft 2020-12) the MCP tool table uses. */
export interface JsonSchemaObject {
  type?: JsonSchemaType | JsonSchemaType[];
  description?: string;
  format?: string;
  enum?: (string | null)[];
  default?: JsonValue;
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchemaObject;
  minProperties?: number;
  maxProperties?: number;
}

/**
 * The same declarations as TypeScript source, emitted into the generated tool table so that it
 * imports nothing. Keep in step with the types above (a type-level test compares them).
 */
export const jsonSchemaTypesSource = `/** A JSON value (defaults are written as JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** JSON Schema primitive type names. */
export type JsonSchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** The subset of JSON Schema (draft 2020-12) the MCP tool table uses. */
export interface JsonSchemaObject {
  type?: JsonSchemaType | JsonSchemaType[];
  description?: string;
  format?: string;
  enum?: (string | null)[];
  default?: JsonValue;
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchemaObject;
  minProperties?: number;
  maxProperties?: number;
}`;

/** Built-in scalars; custom ones come from the plugin's `scalars` option. */
export const builtInScalars: Readonly<Record<string, JsonSchemaObject>> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
};

/** The schema that also accepts null: `type` gains `'null'`, an `enum` gains `null`. */
export function orNull(schema: JsonSchemaObject): JsonSchemaObject {
  if (schema.type === undefined) return schema;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type: JsonSchemaType[] = types.includes('null') ? types : [...types, 'null'];
  const next: JsonSchemaObject = { ...schema, type };
  if (schema.enum && !schema.enum.includes(null)) next.enum = [...schema.enum, null];
  return next;
}

/** Sets a description (right after `type`, so generated schemas read naturally) unless there is none. */
export function described(schema: JsonSchemaObject, description: string | null | undefined): JsonSchemaObject {
  if (!description) return schema;
  const { type, description: _previous, ...rest } = schema;
  return type === undefined ? { description, ...rest } : { type, description, ...rest };
}
