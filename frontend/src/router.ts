// Client-side navigation over the History API: no page reloads, the URL stays the source of truth.
import { useSyncExternalStore } from "react";

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
