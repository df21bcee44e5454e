import { readFileSync } from 'node:fs';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema';

describe('printed schema', () => {
  it('schema/schema.graphql is what the Pothos builder prints (run `npm run codegen` after a schema change)', () => {
    const committed = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed.replace(/^#.*\n\n/, '')).toBe(`${printSchemaWithDirectives(schema)}\n`);
  });

  it('declares the guard directives and applies them', () => {
    const sdl = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(sdl).toContain('directive @consent(subject: String!) on OBJECT');
    expect(sdl).toContain('directive @pii on FIELD_DEFINITION');
    expect(sdl).toContain('directive @requiresScope(scope: String!) on FIELD_DEFINITION');
    expect(sdl).toContain('type Contact @consent(subject: "email")');
    expect(sdl).toMatch(/email: String @pii/);
  });
});
