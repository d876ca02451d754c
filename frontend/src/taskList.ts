// "Meine Aufgaben" as a worklist: its state in the URL (open or done leads, due section,
// campaign, search, sort, page), the filters it sends, and how a due date is shown.
import type { CloseReason, Outcome } from "./gql/graphql";
import type { Translate } from "./i18n";
import {
  CLOSE_REASONS,
  DEFAULT_TASK_ORDER,
  DUE_STATES,
  type DueState,
  type LeadOrder,
  OUTCOMES,
  TASK_ORDERS,
  type TaskOrder,
} from "./listOptions";
import { type Paging, leadPath, parseCursors, writeCursors } from "./routes";
import { type SortColumn, oneOf } from "./sorting";

export const TASKS_PATH = "/tasks";

/** The clerk's open leads (the worklist) or the leads they closed ("Erledigte Leads"). */
export type TaskView = "open" | "done";
const VIEWS: readonly TaskView[] = ["open", "done"];

/** The orders of the done list: its sortable columns (LeadOrder, the overview's orders). */
export const DONE_ORDERS = ["NEWEST", "OLDEST", "LAST_NAME", "COMPANY", "CAMPAIGN"] as const;
export type DoneOrder = (typeof DONE_ORDERS)[number] & LeadOrder;
export const DEFAULT_DONE_ORDER: DoneOrder = "NEWEST";

export interface TaskListState extends Paging {
  view: TaskView;
  /** The worklist's section ("" is every open lead). */
  due: DueState | "";
  /** The campaign filter ("" is every campaign) and the search words ("" is none). */
  campaignId: string;
  q: string;
  order: TaskOrder;
  doneOrder: DoneOrder;
  /** The done list's filters ("" is any). */
  outcome: Outcome | "";
  reason: CloseReason | "";
}

export const EMPTY_TASK_LIST: TaskListState = {
  view: "open",
  due: "",
  campaignId: "",
  q: "",
  order: DEFAULT_TASK_ORDER,
  doneOrder: DEFAULT_DONE_ORDER,
  outcome: "",
  reason: "",
  cursors: [],
};

/** The state of a URL's query string; anything unknown falls back to the default. */
export function parseTaskList(search: string): TaskListState {
  const params = new URLSearchParams(search);
  const view = oneOf(params.get("view"), VIEWS, "open");
  const sort = params.get("sort");
  return {
    view,
    due: view === "open" ? oneOf(params.get("due"), DUE_STATES, "") : "",
    campaignId: params.get("campaign") ?? "",
    q: params.get("q")?.trim() ?? "",
    order: view === "open" ? oneOf(sort, TASK_ORDERS, DEFAULT_TASK_ORDER) : DEFAULT_TASK_ORDER,
    doneOrder: view === "done" ? oneOf(sort, DONE_ORDERS, DEFAULT_DONE_ORDER) : DEFAULT_DONE_ORDER,
    outcome: view === "done" ? oneOf(params.get("outcome"), OUTCOMES, "") : "",
    reason: view === "done" ? oneOf(params.get("reason"), CLOSE_REASONS, "") : "",
    cursors: parseCursors(params),
  };
}

/** The URL of a state: only what differs from the defaults, only what the view uses. */
export function taskListUrl(state: TaskListState): string {
  const params = new URLSearchParams();
  if (state.view === "done") params.set("view", "done");
  if (state.view === "open" && state.due) params.set("due", state.due);
  if (state.campaignId) params.set("campaign", state.campaignId);
  if (state.q.trim()) params.set("q", state.q.trim());
  if (state.view === "open" && state.order !== DEFAULT_TASK_ORDER) params.set("sort", state.order);
  if (state.view === "done") {
    if (state.doneOrder !== DEFAULT_DONE_ORDER) params.set("sort", state.doneOrder);
    if (state.outcome) params.set("outcome", state.outcome);
    if (state.reason) params.set("reason", state.reason);
  }
  writeCursors(params, state.cursors);
  const query = params.toString();
  return query ? `${TASKS_PATH}?${query}` : TASKS_PATH;
}

/** Whether a filter narrows the list (then an empty list offers "Filter zurücksetzen"). */
export function hasTaskFilters(state: TaskListState): boolean {
  const common = Boolean(state.campaignId || state.q);
  return state.view === "open"
    ? common || Boolean(state.due)
    : common || Boolean(state.outcome || state.reason);
}

/** The same view and sort without any filter, on the first page. */
export function withoutTaskFilters(state: TaskListState): TaskListState {
  return {
    ...EMPTY_TASK_LIST,
    view: state.view,
    order: state.order,
    doneOrder: state.doneOrder,
  };
}

/** Another view: campaign and search stay (the same customers, open or done). */
export function switchView(state: TaskListState, view: TaskView): TaskListState {
  return { ...EMPTY_TASK_LIST, view, campaignId: state.campaignId, q: state.q };
}

/** `myTasks(filter:)` of the worklist. */
export function taskFilter(state: TaskListState): {
  due: DueState | null;
  campaignId: string | null;
  search: string | null;
} {
  return { due: state.due || null, campaignId: state.campaignId || null, search: state.q || null };
}

/** `leads(filter:)` of the done list: the viewer's own DONE leads. */
export function doneFilter(
  state: TaskListState,
  viewerId: string,
): {
  status: "DONE";
  assigneeId: string;
  campaignId: string | null;
  search: string | null;
  outcome: Outcome | null;
  closeReason: CloseReason | null;
} {
  return {
    status: "DONE",
    assigneeId: viewerId,
    campaignId: state.campaignId || null,
    search: state.q || null,
    outcome: state.outcome || null,
    closeReason: state.reason || null,
  };
}

/** The worklist's sortable columns: "Fällig" soonest first (overdue, today, planned, then
 * the leads without a plan, longest waiting first), "Wartet seit" longest or shortest first. */
export const TASK_SORT_COLUMNS = {
  due: { ascending: "NEXT_DUE" },
  waiting: { descending: "WAITING_LONGEST", ascending: "NEWEST" },
} satisfies Record<string, SortColumn<TaskOrder>>;

/** The done list's sortable columns (by default newest lead first, which no column shows). */
export const DONE_SORT_COLUMNS = {
  contact: { ascending: "LAST_NAME" },
  company: { ascending: "COMPANY" },
  campaign: { ascending: "CAMPAIGN" },
} satisfies Record<string, SortColumn<DoneOrder>>;

/** How a due state looks: a CSS tone (red overdue, green today, as Pipedrive) and a word, so
 * that the colour is never the only signal. */
export interface DueLook {
  tone: "overdue" | "today" | "upcoming" | "none";
  word: `nextStep.dueState.${DueState}`;
}

const TONES: Record<DueState, DueLook["tone"]> = {
  OVERDUE: "overdue",
  TODAY: "today",
  UPCOMING: "upcoming",
  NONE: "none",
};

export function dueLook(state: DueState): DueLook {
  return { tone: TONES[state], word: `nextStep.dueState.${state}` };
}

/** When the next step is due, in the viewer's words: the time alone for today, else date and
 * time ("5. Dez. 2026, 14:00"); the date is the browser's, like the server's "today". */
export function formatDue(
  locale: string,
  state: DueState,
  dueAt: string | null | undefined,
): string {
  if (!dueAt) return "";
  const at = new Date(dueAt);
  if (Number.isNaN(at.getTime())) return "";
  const options: Intl.DateTimeFormatOptions =
    state === "TODAY" ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
  return new Intl.DateTimeFormat(locale, options).format(at);
}

/** "Überfällig · 5. Dez. 2026, 14:00", "Heute · 14:00", "Nichts geplant": the due cell as one
 * line of text (the cards and the table's cell read the same). */
export function dueText(
  t: Translate,
  locale: string,
  state: DueState,
  dueAt: string | null | undefined,
): string {
  const word = t(dueLook(state).word);
  const when = formatDue(locale, state, dueAt);
  return when ? `${word} · ${when}` : word;
}

/** A `tel:` link for a phone number as people write it ("+49 30 1234-56" -> "tel:+4930123456"). */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, "")}`;
}

/** A lead's page opened from the worklist: the list's filters and sort ride along in the query
 * (not its page), so that "Nächster Lead" on the lead page walks the same list. */
export function taskLeadPath(leadId: string, state: TaskListState): string {
  const list = taskListUrl({ ...state, view: "open", cursors: [] });
  const query = list.split("?")[1];
  return query ? `${leadPath(leadId)}?${query}` : leadPath(leadId);
}
