import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { graphql } from '../../lib/graphql';
import { API_KEY_FIELDS, type ApiKeyView } from '../../lib/keys';
import { shortTime } from '../../lib/output';

export type KeysRevokeResult = ApiKeyView;

export default defineCommand<KeysRevokeResult, { json?: boolean }>({
  path: ['keys', 'revoke'],
  summary: 'Revoke an API key: every call with it is refused from now on, on every instance',
  json: true,
  configure: (command) =>
    command
      .argument('<id>', 'the key id (from `pact keys list`)')
      .addHelpText('after', '\nManagers and members revoke only keys they created; owners and admins any key.\n\nExample:\n  $ pact keys revoke 0197f3c2-…'),
  async run({ args, io }) {
    const [id = ''] = args;
    const credential = await resolveCredential(io.env);
    const data = await graphql<{ revokeApiKey: ApiKeyView }>(credential, `mutation($id: ID!) { revokeApiKey(id: $id) { ${API_KEY_FIELDS} } }`, { id });
    return data.revokeApiKey;
  },
  render(key, io) {
    io.out(`Revoked API key "${key.name}" (${key.id}) at ${shortTime(key.revokedAt)}; calls with it are refused.\n`);
  },
});
