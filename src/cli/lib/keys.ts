/** The API key fields the `keys` commands read. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  trustedDocumentsOnly: boolean;
  createdAt: string;
  revokedAt: string | null;
  createdByEmail: string | null;
}

export const API_KEY_FIELDS = 'id name prefix scopes trustedDocumentsOnly createdAt revokedAt createdByEmail';
