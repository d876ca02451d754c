// What makes the partners' GraphiQL safe to open from a link: the fetcher never sends the
// session cookie (a link with a prepared mutation would otherwise run as the logged-in user
// with one click), so it works with a pasted bearer token only; and headers never come from
// the URL (a link must not slip in someone else's token). Only the operation and its variables
// may be shared by link, as `?q=` and `?variables=`.
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";

export const GRAPHQL_URL = "/graphql";

export const WELCOME_QUERY = `# Welcome to the Leadflow GraphQL API.
#
# Authenticate in the Headers tab below with your API token:
#   {"Authorization": "Bearer lf_..."}
# This page never sends your browser's login cookie.
#
# Run an operation with Ctrl-Enter (or the play button); complete with Ctrl-Space.
# The Docs and Explorer buttons on the left show every type and field.

{
  viewer {
    email
  }
}
`;

export function playgroundFetcher(fetchImpl: typeof fetch = window.fetch.bind(window)): Fetcher {
  return createGraphiQLFetcher({
    url: GRAPHQL_URL,
    fetch: (input, init) => fetchImpl(input, { ...init, credentials: "omit" }),
    // The server answers in one piece; no multipart/incremental delivery.
    enableIncrementalDelivery: false,
  });
}

export interface SharedOperation {
  query?: string;
  variables?: string;
}

/** The operation a link may prefill. Everything else in the URL, headers above all, is ignored. */
export function sharedOperation(search: string): SharedOperation {
  const params = new URLSearchParams(search);
  const shared: SharedOperation = {};
  const query = params.get("q");
  const variables = params.get("variables");
  if (query) shared.query = query;
  if (variables) shared.variables = variables;
  return shared;
}

/** The URL's search part after an edit, so the address bar can be shared as a link. */
export function searchWith(search: string, key: "q" | "variables", value: string): string {
  const params = new URLSearchParams(search);
  if (value) params.set(key, value);
  else params.delete(key);
  const next = params.toString();
  return next ? `?${next}` : "";
}
