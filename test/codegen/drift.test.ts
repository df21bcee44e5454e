import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import config from '../../codegen';
import { findDrift, generateInMemory } from '../../src/codegen/drift';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('generated files', () => {
  it('are what graphql-codegen produces now (run `npm run codegen` after changing the schema or an operation)', async () => {
    expect(await findDrift(config, root)).toEqual([]);
  }, 60_000);

  it("the manifest is exactly the client preset's own persisted documents (same hashes, same documents)", async () => {
    const outputs = await generateInMemory(
      {
        schema: config.schema,
        documents: config.documents,
        generates: { 'client-preset-check/': { preset: 'client', presetConfig: { persistedDocuments: true, fragmentMasking: false } } },
      },
      root,
    );
    const presetManifest = outputs.find((o) => o.filename.endsWith('persisted-documents.json'));
    const ours = JSON.parse(readFileSync(new URL('../../schema/persisted-operations.json', import.meta.url), 'utf8')) as unknown;
    expect(JSON.parse(presetManifest?.content ?? 'null')).toEqual(ours);
  }, 60_000);
});
