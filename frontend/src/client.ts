// The GraphQL client: same-origin session cookie plus the CSRF header the server demands, and
// the browser's time zone, by which the server tells "today" from "overdue"; subscriptions go
// over the session's WebSocket (live.ts), which closes by itself once a new session's client has
// taken over the screens and the old one has no subscription left.
import { Client, CombinedError, cacheExchange, fetchExchange } from "urql";
import { type UploadError, uploadError } from "./imports";
import { attachLiveLink, createLiveLink, websocketUrl } from "./live";

export function createClient(): Client {
  const live = createLiveLink(websocketUrl(window.location));
  const client = new Client({
    url: "/graphql",
    exchanges: [cacheExchange, fetchExchange, live.exchange],
    fetchOptions: {
      credentials: "same-origin",
      headers: { "X-Leadflow-CSRF": "1", ...timeZoneHeader() },
    },
    preferGetMethod: false,
  });
  return attachLiveLink(client, live);
}

/** The viewer's IANA time zone (e.g. "Europe/Berlin") as the `Time-Zone` header; none when the
 * browser does not tell, and the server falls back to UTC. */
export function timeZoneHeader(): Record<string, string> {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone ? { "Time-Zone": zone } : {};
}

/** The `extensions.code` of the first top-level error, e.g. UNAUTHENTICATED. */
export function errorCode(error: CombinedError | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

async function post(path: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Leadflow-CSRF": "1" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export type LoginResult =
  | { ok: true }
  | { ok: false; reason: "invalid" | "failed" }
  | { ok: false; reason: "throttled"; retryAfter: number };

export async function logIn(email: string, password: string): Promise<LoginResult> {
  let response: Response;
  try {
    response = await post("/auth/login", { email, password });
  } catch {
    return { ok: false, reason: "failed" };
  }
  if (response.ok) return { ok: true };
  if (response.status === 401) return { ok: false, reason: "invalid" };
  if (response.status === 429) {
    return {
      ok: false,
      reason: "throttled",
      retryAfter: Number(response.headers.get("Retry-After") ?? 60),
    };
  }
  return { ok: false, reason: "failed" };
}

export async function logOut(): Promise<void> {
  await post("/auth/logout");
}

export type FileAnswer<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; error: UploadError };

/** POST a lead file as the raw body (the file endpoints take no form encoding), with the
 * session cookie and the CSRF header; the JSON answer, or the refusal it carries. */
export async function sendLeadFile<T>(url: string, file: Blob): Promise<FileAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "text/csv", "X-Leadflow-CSRF": "1" },
      body: file,
    });
  } catch {
    return { ok: false, error: { status: 0, code: "NETWORK", message: "", field: [] } };
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.ok && body !== null) return { ok: true, status: response.status, body: body as T };
  return { ok: false, error: uploadError(response.status, body) };
}
