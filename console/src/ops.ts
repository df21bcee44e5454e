// The typed, persisted documents codegen compiles from schema/operations (the console's live in schema/operations/console).
export * from '../../src/generated/graphql/graphql';
