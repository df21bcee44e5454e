// The typed, persisted documents codegen compiles from schema/operations (the console's live in console/operations).
export * from '../../src/generated/graphql/graphql';
