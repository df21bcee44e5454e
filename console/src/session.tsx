import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { ApiError, run, signOut, tenant } from './api';
import { ConsoleViewerDocument, type ConsoleViewerQuery } from './ops';
import { SignInPage } from './pages/sign-in';
import { ErrorState, Loading } from './ui';

export type Viewer = ConsoleViewerQuery['viewer'];

interface Session {
  viewer: Viewer;
  can: (scope: string) => boolean;
  isAdmin: boolean;
  switchTenant: (slug: string) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** Who is signed in (the `viewer` query); the sign-in page when nobody is, a tenant chosen when the user has several. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const viewer = useQuery({ queryKey: ['viewer', tenant.get()], queryFn: () => run(ConsoleViewerDocument), retry: false, staleTime: 60_000 });
  const error = viewer.error instanceof ApiError ? viewer.error : null;

  useEffect(() => {
    // Several tenants and none chosen yet (or one the user left): act in the first until they switch.
    if (error?.code === 'TENANT_REQUIRED') {
      const [first] = (error.extensions.tenants as string[] | undefined) ?? [];
      if (first) {
        tenant.set(first);
        void client.invalidateQueries();
      }
    } else if (error?.code === 'UNKNOWN_TENANT') {
      tenant.set(null);
      void client.invalidateQueries();
    }
  }, [error, client]);

  if (viewer.isPending || error?.code === 'TENANT_REQUIRED' || error?.code === 'UNKNOWN_TENANT') return <Loading what="Opening your workspace" />;
  if (error?.code === 'UNAUTHENTICATED') return <SignInPage onSignedIn={() => client.resetQueries()} />;
  if (viewer.error || !viewer.data) return <ErrorState error={viewer.error} retry={() => void viewer.refetch()} />;

  const v = viewer.data.viewer;
  const session: Session = {
    viewer: v,
    can: (scope) => v.scopes.includes(scope),
    isAdmin: v.role === 'owner' || v.role === 'admin',
    // A new tenant or no session: start the app afresh, so nothing of the previous one stays in memory.
    switchTenant: (slug) => {
      tenant.set(slug);
      window.location.assign('/ui/');
    },
    signOut: async () => {
      await signOut();
      window.location.assign('/ui/');
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
