import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** A small history router: the console has a dozen flat pages, so a path and its query string are the whole state. */
const BASE = '/ui';

interface Location {
  path: string;
  params: URLSearchParams;
}

const read = (): Location => ({
  path: window.location.pathname.replace(/^\/ui/, '').replace(/\/$/, '') || '/',
  params: new URLSearchParams(window.location.search),
});

const RouterContext = createContext<Location>(read());

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => {
      setLocation(read());
      window.scrollTo(0, 0);
    };
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return <RouterContext.Provider value={location}>{children}</RouterContext.Provider>;
}

export const useLocation = (): Location => useContext(RouterContext);

/** Sets query-string parameters (empty values removed), keeping the path. */
export function setParams(values: Record<string, string | null | undefined>, options: { replace?: boolean } = {}): void {
  const { path, params } = read();
  for (const [k, v] of Object.entries(values)) {
    if (v) params.set(k, v);
    else params.delete(k);
  }
  const query = params.toString();
  navigate(`${path === '/' ? '/' : path}${query ? `?${query}` : ''}`, options);
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={`${BASE}${to}`} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
