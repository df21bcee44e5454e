import { READ_SCOPES } from '../auth/scopes';

/** Scopes an OAuth client may request: the read scopes of the MCP tools, the federated tools, and `offline_access` for a refresh token. */
export const OAUTH_SCOPES = [...READ_SCOPES, 'call:federated', 'offline_access'] as const;

export const OFFLINE_ACCESS = 'offline_access';

/** What each scope lets a client do, as the consent page shows it. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'read:accounts': 'Read accounts, workspace answers and your daily briefing',
  'read:contacts': 'Read contacts, including their names, e-mails and phone numbers',
  'read:deals': 'Read deals, pipeline health and metric explanations',
  'read:workflows': 'List and run Pact agents',
  'call:federated': 'Call the tools of MCP servers your workspace has published into Pact, as their governance allows',
  offline_access: 'Stay connected: refresh access without signing in again',
};
