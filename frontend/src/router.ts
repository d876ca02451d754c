// Client-side navigation over the History API: no page reloads, the URL stays the source of truth.
import { useCallback, useSyncExternalStore } from "react";

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === snapshot()) return;
  if (options.replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
  for (const listener of listeners) listener();
}

/** The current path and query string; re-renders on every navigation. */
export function useLocation(): { path: string; search: string } {
  const url = useSyncExternalStore(subscribe, snapshot);
  const [path, query = ""] = url.split("?", 2);
  return { path, search: query ? `?${query}` : "" };
}

/** A list screen's filter changes: each one navigates to the list's URL with the change
 * applied and back on the first page (`cursors: []`). The URL says everything about the state,
 * so the callbacks are new only when it changes: a search box's pending search is not
 * restarted by every render. `search` replaces the history entry (typing is not a step). */
export function useListNavigation<S extends { cursors: string[]; q?: string }>(
  state: S,
  urlOf: (state: S) => string,
  parse: (query: string) => S,
): { change: (next: Partial<S>, replace?: boolean) => void; search: (q: string) => void } {
  const url = urlOf(state);
  const change = useCallback(
    (next: Partial<S>, replace = false) =>
      navigate(urlOf({ ...parse(url.split("?")[1] ?? ""), ...next, cursors: [] }), { replace }),
    [url, urlOf, parse],
  );
  const search = useCallback((q: string) => change({ q } as Partial<S>, true), [change]);
  return { change, search };
}
