/** The GraphQL operation every benchmark measures, and the check that an answer to it is right. */

export const CONTACTS_QUERY = '{ contacts(first: 50) { returned consentFiltered note items { id name email phone title accountName } } }';

/** The filter the filtered variant uses: 'CEO' is one title in ten (see lib/seed.ts). */
export const FILTER_SEARCH = 'CEO';

/** The same page with a filter (job-title search), so `consentFiltered` must count hidden matches. */
export const filteredContactsQuery = (search: string): string =>
  `{ contacts(first: 50, filter: { search: ${JSON.stringify(search)} }) { returned consentFiltered note items { id name email phone title accountName } } }`;

interface ContactsBody {
  data?: { contacts?: { returned: number; consentFiltered: number; note: string; items: { id: string; name: string | null; email: string | null }[] } } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Checks a Pact answer: 50 items with decrypted PII, the exact hidden count, no errors. Returns the ids. */
export function checkPact(status: number, body: string, expectedHidden: number): string[] {
  let parsed: ContactsBody;
  try {
    parsed = JSON.parse(body) as ContactsBody;
  } catch {
    throw new Error(`Pact answered ${status} with a body that is not JSON: ${body.slice(0, 300)}`);
  }
  const list = parsed.data?.contacts;
  if (status !== 200 || parsed.errors?.length || !list) throw new Error(`Pact answered ${status}: ${body.slice(0, 400)}`);
  if (list.returned !== 50 || list.items.length !== 50) throw new Error(`Pact returned ${list.returned} items, expected 50`);
  if (list.consentFiltered !== expectedHidden) throw new Error(`Pact reported consentFiltered ${list.consentFiltered}, expected ${expectedHidden}`);
  if (!list.items.every((i) => i.email?.startsWith('person.') && i.name)) throw new Error('Pact items lack decrypted PII');
  return list.items.map((i) => i.id);
}
