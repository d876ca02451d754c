// The leads overview's filters and sort: what each tab sends to `leads` and `leadCounts`, which
// columns sort it, and "Filter zurücksetzen".
import type { CloseReason, LeadStatus, Outcome } from "./gql/graphql";
import type { Language } from "./i18n";
import { DEFAULT_LEAD_ORDER, type DueState, type LeadOrder } from "./listOptions";
import { ORDERS_OF_TAB, type OverviewState, STATUS_OF_TAB, type Tab } from "./routes";
import type { SortColumn } from "./sorting";

/** The filter every tab shares; the tab counts (`leadCounts`) are counted under it. */
export function countsFilter(state: OverviewState): {
  campaignId: string | null;
  search: string | null;
  assigneeId: string | null;
} {
  return {
    campaignId: state.campaignId || null,
    search: state.q || null,
    assigneeId: state.assigneeId || null,
  };
}

/** The filter of the tab's list: the shared one, the tab's status, on the Erledigt tab its
 * outcome and reason, on the Aktiv tab when the next step is due. (They are left out of the
 * counts: a Neu or Aktiv lead has no outcome, a done one nothing due.) */
export function listFilter(state: OverviewState): ReturnType<typeof countsFilter> & {
  status: LeadStatus;
  outcome: Outcome | null;
  closeReason: CloseReason | null;
  due: DueState | null;
} {
  const done = state.tab === "done";
  return {
    ...countsFilter(state),
    status: STATUS_OF_TAB[state.tab],
    outcome: (done && state.outcome) || null,
    closeReason: (done && state.reason) || null,
    due: (state.tab === "active" && state.due) || null,
  };
}

/** The sort the tab's list is in (an order another tab does not offer falls back). */
export function currentOrder(state: OverviewState): LeadOrder {
  return state.order && ORDERS_OF_TAB[state.tab].includes(state.order)
    ? state.order
    : DEFAULT_LEAD_ORDER;
}

/** Whether a filter narrows the tab's list (then an empty list offers "Filter zurücksetzen"). */
export function hasOverviewFilters(state: OverviewState): boolean {
  const doneFilters = state.tab === "done" && Boolean(state.outcome || state.reason);
  const activeFilters = state.tab === "active" && Boolean(state.due);
  return Boolean(state.campaignId || state.q || state.assigneeId) || doneFilters || activeFilters;
}

/** The same tab and sort, no filter, first page. */
export function withoutOverviewFilters(state: OverviewState): OverviewState {
  return { tab: state.tab, order: state.order, cursors: [] };
}

/** Another tab: the shared filters stay, the sort if the tab offers it, the page is the first. */
export function switchTab(state: OverviewState, tab: Tab): OverviewState {
  const order = state.order && ORDERS_OF_TAB[tab].includes(state.order) ? state.order : undefined;
  return {
    tab,
    campaignId: state.campaignId,
    q: state.q,
    assigneeId: state.assigneeId,
    outcome: tab === "done" ? state.outcome : undefined,
    reason: tab === "done" ? state.reason : undefined,
    due: tab === "active" ? state.due : undefined,
    order,
    cursors: [],
  };
}

export type OverviewColumn =
  | "contact"
  | "company"
  | "campaign"
  | "assignee"
  | "due"
  | "waiting"
  | "age"
  | "outcome"
  | "reason"
  | "closedAt";

/** The columns of each tab, in order: the Erledigt tab tells how and when each lead ended,
 * the Aktiv tab when its next step is due and how long it has waited. */
export const COLUMNS_OF_TAB: Record<Tab, readonly OverviewColumn[]> = {
  new: ["contact", "company", "campaign", "assignee", "age"],
  active: ["contact", "company", "campaign", "assignee", "due", "waiting", "age"],
  done: ["contact", "company", "campaign", "assignee", "outcome", "reason", "closedAt"],
};

/** Which orders sort which column. "Alter" (age) youngest first is ascending; "Wartet seit"
 * longest first is descending. Outcome, reason and closing date have no order in the API. */
export const LEAD_SORT_COLUMNS: Partial<Record<OverviewColumn, SortColumn<LeadOrder>>> = {
  contact: { ascending: "LAST_NAME" },
  company: { ascending: "COMPANY" },
  campaign: { ascending: "CAMPAIGN" },
  assignee: { ascending: "ASSIGNEE" },
  due: { ascending: "NEXT_DUE" },
  waiting: { descending: "WAITING_LONGEST" },
  age: { ascending: "NEWEST", descending: "OLDEST" },
};

/** The sort a column offers on a tab, or null when the column does not sort there. */
export function sortColumnOf(tab: Tab, column: OverviewColumn): SortColumn<LeadOrder> | null {
  const sort = LEAD_SORT_COLUMNS[column];
  if (!sort) return null;
  const offered = ORDERS_OF_TAB[tab];
  const ascending = sort.ascending && offered.includes(sort.ascending) ? sort.ascending : undefined;
  const descending =
    sort.descending && offered.includes(sort.descending) ? sort.descending : undefined;
  return ascending || descending ? { ascending, descending } : null;
}

/** "Exportieren": the CSV of exactly the tab's list (the same filter and order as `leads`),
 * with the column names and separator of the user's language. A plain link: the GET carries the
 * session cookie, and the browser saves what it gets. */
export function exportUrl(
  state: OverviewState,
  language: Language,
  timeZone: string | undefined,
): string {
  const params = new URLSearchParams();
  const filter = listFilter(state);
  for (const [name, value] of Object.entries(filter)) {
    if (value) params.set(name, value);
  }
  // "Today" is the viewer's, which a link cannot send as the Time-Zone header.
  if (filter.due && timeZone) params.set("timeZone", timeZone);
  // Sorted as the list (the file's own default is oldest first).
  params.set("orderBy", currentOrder(state));
  params.set("lang", language);
  return `/files/exports/leads.csv?${params}`;
}
