/**
 * @module console/router — a small history-API router: real URLs under /_slipway/, the back
 * button works, links are ordinary anchors (so middle-click and copy-link work too).
 */
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

export const BASE = '/_slipway';

export interface Location {
  /** Path inside the console, always starting with `/` (e.g. `/training-jobs/my-job`). */
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const p = window.location.pathname;
  const path = p.startsWith(BASE) ? p.slice(BASE.length) || '/' : p;
  return { path, query: new URLSearchParams(window.location.search) };
}

// Guarded so pure helpers importing this module can be unit-tested outside a browser.
const LocationContext = createContext<Location>(typeof window === 'undefined' ? { path: '/', query: new URLSearchParams() } : current());

const listeners = new Set<() => void>();

/** Pushes (or replaces) a console path such as `/endpoints/x?tab=logs`. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = BASE + (to.startsWith('/') ? to : '/' + to);
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const l of listeners) l();
  if (!opts.replace) window.scrollTo(0, 0);
}

/** Replaces one query parameter in place (filters, tabs), keeping history short. */
export function setQuery(patch: Record<string, string | null>): void {
  const loc = current();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === '') loc.query.delete(k);
    else loc.query.set(k, v);
  }
  const qs = loc.query.toString();
  navigate(loc.path + (qs ? `?${qs}` : ''), { replace: true });
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return <LocationContext.Provider value={loc}>{children}</LocationContext.Provider>;
}

export const useLocation = () => useContext(LocationContext);

/** Matches `/training-jobs/:name` against a path; returns decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (p.startsWith(':')) out[p.slice(1)] = decodeURIComponent(xs[i]!);
    else if (p !== xs[i]) return null;
  }
  return out;
}

export function Link({ to, children, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} {...rest} onClick={onClick}>
      {children}
    </a>
  );
}

/** Encodes a resource name for a path segment. */
export const seg = (s: string) => encodeURIComponent(s);
