/** The password of every seeded demo user (its own module: the start banner needs it, not the seed's code). */
export const DEMO_PASSWORD = 'pact-demo';
