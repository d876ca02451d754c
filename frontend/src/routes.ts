// The URL is the state of a screen: which tab and which page, so it can be bookmarked.
import { DASHBOARD_PATH } from "./dashboard";
import type { CloseReason, LeadStatus, OpportunityStage, Outcome } from "./gql/graphql";
import {
  CLOSE_REASONS,
  DEFAULT_LEAD_ORDER,
  DUE_STATES,
  type DueState,
  LEAD_ORDERS,
  type LeadOrder,
  OUTCOMES,
} from "./listOptions";

/** The screens of the web app; which role may open which is decided in viewer.ts. */
export type Screen =
  | "leads"
  | "lead"
  | "tasks"
  | "opportunities"
  | "opportunity"
  | "campaigns"
  | "dashboard"
  | "clerks"
  | "absences"
  | "webhooks"
  | "webhook";

export const WEBHOOKS_PATH = "/webhooks";

const LIST_PATHS: Record<string, Screen> = {
  "/leads": "leads",
  "/tasks": "tasks",
  "/opportunities": "opportunities",
  "/campaigns": "campaigns",
  [DASHBOARD_PATH]: "dashboard",
  "/clerks": "clerks",
  "/absences": "absences",
  [WEBHOOKS_PATH]: "webhooks",
};

/** The screen a path shows, or null for a path that is no screen. */
export function screenAt(path: string): Screen | null {
  if (Object.hasOwn(LIST_PATHS, path)) return LIST_PATHS[path];
  if (parseLeadPath(path)) return "lead";
  if (parseOpportunityPath(path)) return "opportunity";
  if (parseWebhookPath(path)) return "webhook";
  return null;
}

export type Tab = "new" | "active" | "done";
export const TABS: readonly Tab[] = ["new", "active", "done"];
export const STATUS_OF_TAB: Record<Tab, LeadStatus> = { new: "NEW", active: "ACTIVE", done: "DONE" };

/** A position in a list paged by cursors: the `after` cursor of every page before this one. */
export interface Paging {
  cursors: string[];
}

/** The orders each tab offers (as sortable columns): who works a lead and when it is due are
 * no question for new leads, nor when it is due for done ones. */
export const ORDERS_OF_TAB: Record<Tab, readonly LeadOrder[]> = {
  new: ["NEWEST", "OLDEST", "LAST_NAME", "COMPANY", "CAMPAIGN"],
  active: LEAD_ORDERS,
  done: ["NEWEST", "OLDEST", "LAST_NAME", "COMPANY", "CAMPAIGN", "ASSIGNEE"],
};

export interface OverviewState extends Paging {
  tab: Tab;
  /** The campaign filter ("" is every campaign) and the search words ("" is none). */
  campaignId?: string;
  q?: string;
  /** The clerk filter (managers); absent is every clerk. */
  assigneeId?: string;
  /** The Erledigt tab's filters; absent is any. */
  outcome?: Outcome;
  reason?: CloseReason;
  /** The Aktiv tab's filter by when the next step is due; absent is any. */
  due?: DueState;
  /** The sort; absent is NEWEST. */
  order?: LeadOrder;
}

const CURSOR_SEPARATOR = ","; // never part of a base64 cursor

export function parseCursors(params: URLSearchParams): string[] {
  const raw = params.get("after") ?? "";
  return raw.split(CURSOR_SEPARATOR).filter(Boolean);
}

export function writeCursors(params: URLSearchParams, cursors: readonly string[]): void {
  if (cursors.length) params.set("after", cursors.join(CURSOR_SEPARATOR));
}

function known<Value extends string>(value: string | null, allowed: readonly Value[]) {
  return (allowed as readonly string[]).includes(value ?? "") ? (value as Value) : undefined;
}

export function parseOverview(search: string): OverviewState {
  const params = new URLSearchParams(search);
  const tab = known(params.get("tab"), TABS) ?? "new";
  const order = known(params.get("sort"), ORDERS_OF_TAB[tab]);
  return {
    tab,
    campaignId: params.get("campaign") || undefined,
    q: params.get("q")?.trim() || undefined,
    assigneeId: params.get("assignee") || undefined,
    outcome: tab === "done" ? known(params.get("outcome"), OUTCOMES) : undefined,
    reason: tab === "done" ? known(params.get("reason"), CLOSE_REASONS) : undefined,
    due: tab === "active" ? known(params.get("due"), DUE_STATES) : undefined,
    order: order === DEFAULT_LEAD_ORDER ? undefined : order,
    cursors: parseCursors(params),
  };
}

/** The URL of a state: the filters and the sort that the tab uses, nothing at its default. */
export function overviewUrl(state: OverviewState): string {
  const params = new URLSearchParams({ tab: state.tab });
  if (state.campaignId) params.set("campaign", state.campaignId);
  if (state.q?.trim()) params.set("q", state.q.trim());
  if (state.assigneeId) params.set("assignee", state.assigneeId);
  if (state.tab === "done" && state.outcome) params.set("outcome", state.outcome);
  if (state.tab === "done" && state.reason) params.set("reason", state.reason);
  if (state.tab === "active" && state.due) params.set("due", state.due);
  const order = state.order && ORDERS_OF_TAB[state.tab].includes(state.order) ? state.order : null;
  if (order && order !== DEFAULT_LEAD_ORDER) params.set("sort", order);
  writeCursors(params, state.cursors);
  return `/leads?${params}`;
}

export function parsePaging(search: string): Paging {
  return { cursors: parseCursors(new URLSearchParams(search)) };
}

export function pagingUrl(path: string, paging: Paging): string {
  if (!paging.cursors.length) return path;
  return `${path}?${new URLSearchParams({ after: paging.cursors.join(CURSOR_SEPARATOR) })}`;
}

/** The page number shown to people, from 1. */
export function pageNumber(paging: Paging): number {
  return paging.cursors.length + 1;
}

export function nextPage<T extends Paging>(state: T, endCursor: string): T {
  return { ...state, cursors: [...state.cursors, endCursor] };
}

export function previousPage<T extends Paging>(state: T): T {
  return { ...state, cursors: state.cursors.slice(0, -1) };
}

/** Where a user lands after logging in. */
export function homePath(role: string | null): string {
  return role === "CLERK" ? "/tasks" : "/leads?tab=new";
}

/** The detail page of one lead; the opaque ID is kept as it is, only escaped. */
export function leadPath(id: string): string {
  return `/leads/${encodeURIComponent(id)}`;
}

/** The lead ID of a detail page's path, or null for any other path. */
export function parseLeadPath(path: string): string | null {
  return detailId(path, "leads");
}

/** The ID in a detail page's path `/<list>/<escaped ID>`, or null for any other path. */
function detailId(path: string, list: "leads" | "opportunities" | "webhooks"): string | null {
  const match = new RegExp(`^/${list}/([^/]+)/?$`).exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null; // a malformed escape is no ID
  }
}

export const STAGES: readonly OpportunityStage[] = [
  "OPEN",
  "QUALIFIED",
  "PROPOSAL",
  "NEGOTIATION",
  "WON",
  "LOST",
];

/** The Verkaufschancen list: owner and stage filters ("" is any) and the page. */
export interface OpportunitiesState extends Paging {
  ownerId: string;
  stage: OpportunityStage | "";
}

export function parseOpportunities(search: string): OpportunitiesState {
  const params = new URLSearchParams(search);
  const stage = params.get("stage") ?? "";
  return {
    ownerId: params.get("owner") ?? "",
    stage: (STAGES as readonly string[]).includes(stage) ? (stage as OpportunityStage) : "",
    cursors: parseCursors(params),
  };
}

export function opportunitiesUrl(state: OpportunitiesState): string {
  const params = new URLSearchParams();
  if (state.ownerId) params.set("owner", state.ownerId);
  if (state.stage) params.set("stage", state.stage);
  if (state.cursors.length) params.set("after", state.cursors.join(CURSOR_SEPARATOR));
  const query = params.toString();
  return query ? `/opportunities?${query}` : "/opportunities";
}

/** The detail page of one opportunity. */
export function opportunityPath(id: string): string {
  return `/opportunities/${encodeURIComponent(id)}`;
}

/** The opportunity ID of a detail page's path, or null for any other path. */
export function parseOpportunityPath(path: string): string | null {
  return detailId(path, "opportunities");
}

/** The detail page of one webhook: its settings and its delivery log. */
export function webhookPath(id: string): string {
  return `${WEBHOOKS_PATH}/${encodeURIComponent(id)}`;
}

/** The webhook ID of a detail page's path, or null for any other path. */
export function parseWebhookPath(path: string): string | null {
  return detailId(path, "webhooks");
}
