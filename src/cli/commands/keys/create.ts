import { API_KEY_SCOPES } from '../../../services/auth/scopes';
import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { usageError } from '../../lib/errors';
import { graphql } from '../../lib/graphql';
import { API_KEY_FIELDS, type ApiKeyView } from '../../lib/keys';

interface Options {
  scope?: string[];
  trustedDocumentsOnly?: boolean;
  json?: boolean;
}

export interface KeysCreateResult extends ApiKeyView {
  /** The `pact_live_…` secret: shown this once, never again. */
  secret: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export default defineCommand<KeysCreateResult, Options>({
  path: ['keys', 'create'],
  summary: 'Mint an API key with the scopes you choose; its secret is printed once',
  json: true,
  configure: (command) =>
    command
      .argument('<name>', 'a name to recognise the key by (e.g. "nightly reports")')
      .option('--scope <scope>', `a scope the key carries; repeat it or separate with commas (${API_KEY_SCOPES.join(', ')})`, collect)
      .option('--trusted-documents-only', 'accept only persisted operations with this key')
      .addHelpText(
        'after',
        `
A key's scopes can be no wider than yours. API keys act as role api and never manage keys.

Examples:
  $ pact keys create "nightly reports" --scope read:deals --scope read:accounts
  $ pact keys create claude --scope read:contacts,read:deals --trusted-documents-only --json`,
      ),
  async run({ args, options, io }) {
    const [name = ''] = args;
    const scopes = options.scope ?? [];
    if (scopes.length === 0) {
      throw usageError('Choose at least one --scope.', `Scopes: ${API_KEY_SCOPES.join(', ')}. e.g. \`pact keys create "${name}" --scope read:deals\``);
    }
    const credential = await resolveCredential(io.env);
    const data = await graphql<{ createApiKey: { secret: string; apiKey: ApiKeyView } }>(
      credential,
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${API_KEY_FIELDS} } } }`,
      { input: { name, scopes, trustedDocumentsOnly: options.trustedDocumentsOnly ?? false } },
    );
    return { ...data.createApiKey.apiKey, secret: data.createApiKey.secret };
  },
  render(key, io) {
    io.out(`Created API key "${key.name}" (${key.id}) with scopes ${key.scopes.join(', ')}${key.trustedDocumentsOnly ? ', persisted operations only' : ''}.\n\n`);
    io.out(`  ${key.secret}\n\n`);
    io.err('This secret is shown once and never again: store it now (a password manager or your secret store).\n');
  },
});
