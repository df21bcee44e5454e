/**
 * The slice of Standard Schema (https://standardschema.dev) the SDK uses: `validate` to check a
 * call's arguments and, when the schema offers it (zod 4, ArkType, Valibot's converter), the
 * Standard JSON Schema `jsonSchema.input` to publish them in `tools/list`.
 */
export interface StandardSchema<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    readonly jsonSchema?: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>;
    };
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What a schema accepts once validated (its output type). */
export type InferOutput<S> = S extends StandardSchema<unknown, infer O> ? O : never;

/** A tool's input JSON Schema: the schema's own when it publishes one, else any object. */
export function inputJsonSchema(schema: StandardSchema): { type: 'object'; [key: string]: unknown } {
  const published = schema['~standard'].jsonSchema?.input({ target: 'draft-2020-12' });
  if (!published) return { type: 'object' };
  const { $schema: _drop, ...rest } = published;
  if (rest.type !== 'object') throw new TypeError('A tool schema must describe an object (e.g. z.object({...})).');
  return rest as { type: 'object' };
}

const describe = (issue: StandardIssue): string => {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
};

/** The arguments as the schema outputs them, or the validation messages (one per issue). */
export async function validateArgs<T>(schema: StandardSchema<unknown, T>, args: unknown): Promise<{ value: T } | { messages: string[] }> {
  const result = await schema['~standard'].validate(args);
  if (result.issues) return { messages: result.issues.slice(0, 20).map(describe) };
  return { value: result.value };
}
