// Live updates: GraphQL subscriptions over one WebSocket per session (graphql-ws, the
// graphql-transport-ws protocol on /graphql; the browser sends the session cookie with the
// upgrade), and the hook a screen uses to refetch what it shows when an event arrives, when the
// server says that the events it missed are too many to send ("REFETCH"), or after the socket
// came back from a drop (events in between may be lost to it).
// Without a WebSocket the app works as before, just not live: no error is shown for that.
import { createClient as createWsClient } from "graphql-ws";
import { useEffect, useRef, useState } from "react";
import { graphql } from "./gql";
import {
  type AnyVariables,
  type Client,
  type CombinedError,
  type Exchange,
  type TypedDocumentNode,
  subscriptionExchange,
  useClient,
} from "urql";

/** ws://host/graphql for http, wss:// for https: the same origin as the page. */
export function websocketUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/graphql`;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;

/** How long to wait before reconnect attempt `retries` (0 first): doubling from a second up to
 * half a minute, with up to a quarter more at random (`jitter` in [0, 1)) so that a restarted
 * server is not met by every browser in the same instant. */
export function retryDelay(retries: number, jitter: number): number {
  const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, retries));
  return Math.round(base * (1 + jitter / 4));
}

/** Runs `action` at once, and while calls keep coming at most once per `intervalMs`, the last
 * call never dropped: a distribution of 500 leads sends 500 events, not 500 refetches. */
export function coalesce(action: () => void, intervalMs: number): { call(): void; cancel(): void } {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  function run() {
    timer = undefined;
    last = Date.now();
    action();
  }
  return {
    call() {
      if (timer !== undefined) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Whether a subscription result is the server's "refetch" signal: a result whose first error
 * has `extensions.code` REFETCH (the subscription then goes on live). */
export function isRefetchSignal(error: CombinedError | undefined): boolean {
  return error?.graphQLErrors.some((one) => one.extensions?.code === "REFETCH") ?? false;
}

export interface LiveLink {
  /** The urql exchange that sends subscriptions over the socket. */
  exchange: Exchange;
  /** Calls `listener` each time the socket is connected again after a drop; returns the
   * unsubscribe function. */
  onReconnect(listener: () => void): () => void;
}

export function createLiveLink(url: string): LiveLink {
  const reconnectListeners = new Set<() => void>();
  if (typeof WebSocket === "undefined") {
    // Nothing to connect with: subscriptions simply never deliver.
    return {
      exchange: subscriptionExchange({
        forwardSubscription: () => ({ subscribe: () => ({ unsubscribe: () => undefined }) }),
      }),
      onReconnect: () => () => undefined,
    };
  }
  const socket = createWsClient({
    url,
    // Connects with the first subscription and closes after the last; the pause keeps one socket
    // while a navigation swaps one screen's subscriptions for the next one's.
    lazy: true,
    lazyCloseTimeout: 3_000,
    keepAlive: 20_000,
    retryAttempts: Infinity,
    retryWait: (retries) =>
      new Promise((resolve) => window.setTimeout(resolve, retryDelay(retries, Math.random()))),
    // A refused upgrade or a network error is not the end either: try again later (the library
    // still gives up on its fatal close codes, e.g. a rejected session).
    shouldRetry: () => true,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) for (const listener of [...reconnectListeners]) listener();
      },
    },
  });
  return {
    exchange: subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? "" };
        return {
          subscribe(sink) {
            const unsubscribe = socket.subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
  };
}

const LINKS = new WeakMap<Client, LiveLink>();

/** Remembers the live link of a client, for useLiveSubscription. */
export function attachLiveLink(client: Client, link: LiveLink): Client {
  LINKS.set(client, link);
  return client;
}

export function liveLinkOf(client: Client): LiveLink | undefined {
  return LINKS.get(client);
}

export interface LiveHandlers<Data> {
  /** An event arrived. */
  onData?: (data: Data) => void;
  /** What the screen shows may be stale (REFETCH signal or a reconnect): refetch it. */
  onStale: () => void;
}

/** Subscribes while mounted (and not paused); the handlers may change on every render. */
export function useLiveSubscription<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  handlers: LiveHandlers<Data>,
  pause = false,
): void {
  const client = useClient();
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  // The variables by value: a new object with the same filter must not resubscribe.
  const key = JSON.stringify(variables ?? null);
  useEffect(() => {
    if (pause) return undefined;
    const subscription = client
      .subscription(query, JSON.parse(key) as Variables)
      .subscribe((result) => {
        if (isRefetchSignal(result.error)) latest.current.onStale();
        else if (result.data !== undefined && result.data !== null) {
          latest.current.onData?.(result.data);
        }
      });
    const stopListening = liveLinkOf(client)?.onReconnect(() => latest.current.onStale());
    return () => {
      subscription.unsubscribe();
      stopListening?.();
    };
  }, [client, query, key, pause]);
}

/** The viewer's own task list changed: which lead, and how. REASSIGNED_AWAY: only the lead's id
 * is readable (the viewer no longer sees it). */
export const TaskEventsDocument = graphql(`
  subscription TaskEvents {
    taskEvents {
      kind
      lead {
        id
      }
    }
  }
`);

const REFETCH_INTERVAL_MS = 500;

/** Calls `refetch` (network-only, by the caller) after each event of the subscription and on
 * every stale signal, bursts coalesced to one call per half second. */
export function useLiveRefetch<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  refetch: () => void,
  pause = false,
): void {
  const latest = useRef(refetch);
  useEffect(() => {
    latest.current = refetch;
  });
  const [coalesced] = useState(() => coalesce(() => latest.current(), REFETCH_INTERVAL_MS));
  useEffect(() => () => coalesced.cancel(), [coalesced]);
  useLiveSubscription(
    query,
    variables,
    { onData: () => coalesced.call(), onStale: () => coalesced.call() },
    pause,
  );
}
