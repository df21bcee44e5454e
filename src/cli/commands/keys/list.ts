import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { graphql } from '../../lib/graphql';
import { API_KEY_FIELDS, type ApiKeyView } from '../../lib/keys';
import { shortTime, table } from '../../lib/output';

interface Options {
  all?: boolean;
  json?: boolean;
}

export type KeysListResult = ApiKeyView[];

/** Roles that see every key of the tenant (the others see the keys they minted). */
const SEES_ALL = new Set(['owner', 'admin']);

export default defineCommand<KeysListResult, Options>({
  path: ['keys', 'list'],
  summary: 'List API keys (never their secrets): every key for owners and admins, your own otherwise',
  json: true,
  configure: (command) =>
    command
      .option('--all', 'include revoked keys')
      .addHelpText('after', '\nExamples:\n  $ pact keys list\n  $ pact keys list --all --json'),
  async run({ options, io }) {
    const credential = await resolveCredential(io.env);
    const data = await graphql<{ viewer: { role: string }; apiKeys: ApiKeyView[] }>(
      credential,
      `query($all: Boolean) { viewer { role } apiKeys(includeRevoked: $all) { ${API_KEY_FIELDS} } }`,
      { all: options.all ?? false },
    );
    if (!SEES_ALL.has(data.viewer.role) && !options.json) {
      io.err(`Showing the keys you created (you are ${data.viewer.role}; owners and admins see every key of the tenant).\n`);
    }
    return data.apiKeys;
  },
  render(keys, io) {
    if (keys.length === 0) {
      io.err('No API keys. Create one with `pact keys create NAME --scope read:deals`.\n');
      return;
    }
    io.out(
      table(
        ['ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'REVOKED', 'CREATED BY'],
        keys.map((k) => [k.id, k.name, `${k.prefix}…`, k.scopes.join(','), shortTime(k.createdAt), shortTime(k.revokedAt), k.createdByEmail ?? '—']),
      ),
    );
  },
});
