// Distributing leads to clerks (the lead overview's dialog), clerk settings (capacity, absences)
// and the campaign's distribution: what the screens decide without the server.
import type { LeadFilter } from "./gql/graphql";
import type { Language } from "./i18n";
import { LOCALES } from "./leadDetail";
import { type OverviewState, overviewUrl } from "./routes";

/** The API's enum DistributionStrategy (written here so that this module does not wait for it). */
export type DistributionStrategy = "ROUND_ROBIN" | "LEAST_LOADED";

export const STRATEGIES: readonly DistributionStrategy[] = ["LEAST_LOADED", "ROUND_ROBIN"];

/** What the manager selected on the overview: single leads (their ids, kept across pages), or
 * every NEW lead that matches the filter ("Alle N Treffer"), `total` of them when chosen. */
export type Selection = { kind: "ids"; ids: readonly string[] } | { kind: "all"; total: number };

export const NOTHING_SELECTED: Selection = { kind: "ids", ids: [] };

/** Which overview a selection belongs to: the tab and its filters, not the page nor the sort
 * (paging or sorting keeps the selection, another filter starts a new one). */
export function selectionScope(state: OverviewState): string {
  return overviewUrl({ ...state, cursors: [], order: undefined });
}

export function selectedCount(selection: Selection): number {
  return selection.kind === "all" ? selection.total : selection.ids.length;
}

export function isSelected(selection: Selection, id: string): boolean {
  return selection.kind === "all" || selection.ids.includes(id);
}

/** One row's checkbox: leaving "all matching" keeps every other row of the page selected. */
export function toggleLead(
  selection: Selection,
  id: string,
  pageIds: readonly string[],
): Selection {
  if (selection.kind === "all") {
    return { kind: "ids", ids: pageIds.filter((one) => one !== id) };
  }
  const ids = selection.ids.includes(id)
    ? selection.ids.filter((one) => one !== id)
    : [...selection.ids, id];
  return { kind: "ids", ids };
}

/** Whether every row of the page is selected (the header checkbox is checked). */
export function pageSelected(selection: Selection, pageIds: readonly string[]): boolean {
  return pageIds.length > 0 && pageIds.every((id) => isSelected(selection, id));
}

/** The header checkbox: selects the page's rows (in addition to other pages' selection), or
 * unselects them; unchecking it in "all matching" mode clears the selection. */
export function togglePage(selection: Selection, pageIds: readonly string[]): Selection {
  if (selection.kind === "all") return NOTHING_SELECTED;
  if (pageSelected(selection, pageIds)) {
    return {
      kind: "ids",
      ids: selection.ids.filter((id) => !pageIds.includes(id)),
    };
  }
  return {
    kind: "ids",
    ids: [...selection.ids, ...pageIds.filter((id) => !selection.ids.includes(id))],
  };
}

/** "Alle N Treffer auswählen" is offered when the page is fully selected and the filter
 * matches more leads than are selected. */
export function offersAllMatching(
  selection: Selection,
  pageIds: readonly string[],
  total: number,
): boolean {
  return (
    selection.kind === "ids" && pageSelected(selection, pageIds) && total > selection.ids.length
  );
}

/** The input of distributeLeads for a selection: ids, or the overview's filter (the server
 * takes the NEW leads matching it). */
export function distributeInput(
  selection: Selection,
  filter: LeadFilter,
  clerkIds: readonly string[],
  strategy: DistributionStrategy,
  preview: boolean,
): {
  leadIds?: string[];
  filter?: LeadFilter;
  clerkIds: string[];
  strategy: DistributionStrategy;
  preview: boolean;
} {
  const target =
    selection.kind === "all"
      ? { filter: { ...filter, status: "NEW" as const } }
      : { leadIds: [...selection.ids] };
  return { ...target, clerkIds: [...clerkIds], strategy, preview };
}

export interface AbsenceRange {
  from: string;
  to: string;
}

/** The last day of the absence that covers `today` (dates as "YYYY-MM-DD"), following
 * absences that continue it without a gap; null when the clerk is present today. */
export function absentUntil(absences: readonly AbsenceRange[], today: string): string | null {
  const sorted = [...absences].sort((a, b) => a.from.localeCompare(b.from));
  let until: string | null = null;
  for (const absence of sorted) {
    const covers = absence.from <= today && today <= absence.to;
    const continues = until !== null && absence.from <= nextDay(until);
    if (covers || continues) {
      if (until === null || absence.to > until) until = absence.to;
    }
  }
  return until;
}

function nextDay(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** Today as "YYYY-MM-DD" in the browser's time zone (the day a manager means by "today"). */
export function localToday(now: Date = new Date()): string {
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

/** "12.12." (German), "12/12" (English): a day of an absence, short. */
export function formatShortDay(language: Language, date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return date;
  const text = new Intl.DateTimeFormat(LOCALES[language], {
    day: "2-digit",
    month: "2-digit",
    timeZone: "UTC",
  }).format(day);
  return language === "de" && !text.endsWith(".") ? `${text}.` : text;
}

/** How many leads each clerk gets in a preview or a result, most first, then by name. */
export function perClerk(
  assignments: readonly { assignee: { id: string; name: string } }[],
): { id: string; name: string; count: number }[] {
  const counts = new Map<string, { id: string; name: string; count: number }>();
  for (const { assignee } of assignments) {
    const entry = counts.get(assignee.id) ?? {
      id: assignee.id,
      name: assignee.name,
      count: 0,
    };
    entry.count += 1;
    counts.set(assignee.id, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** The skipped leads' reasons with how often each occurs, most frequent first. */
export function reasonsOf(
  skipped: readonly { reason: string }[],
): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** distributeLeads takes at most this many NEW leads of a filter per call (the first by id);
 * the rest stay NEW for the next call. */
export const FILTER_LIMIT = 10_000;

/** A user error of distributeLeads about one of a list (["clerkIds", "2"]) in the words for the
 * list (["clerkIds"]): the dialog shows one message, not one per position. */
export function listError<E extends { field?: readonly string[] | null }>(error: E): E {
  return { ...error, field: error.field?.slice(0, 1) ?? null };
}

/** At most this many rows of a preview are listed (a filter may match 10,000 leads); the
 * per-clerk summary counts them all. */
export const PREVIEW_ROWS = 50;

export const MAX_CAPACITY = 100_000;

/** The capacity field: empty is no limit (null); otherwise a whole number 0..MAX_CAPACITY. */
export function parseCapacity(text: string): { ok: true; value: number | null } | { ok: false } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };
  if (!/^\d+$/.test(trimmed)) return { ok: false };
  const value = Number(trimmed);
  return value <= MAX_CAPACITY ? { ok: true, value } : { ok: false };
}

/** Absences being edited: both days given, the first not after the last. The position of the
 * first one that is not, or null when all are fine. */
export function invalidAbsence(absences: readonly AbsenceRange[]): number | null {
  const index = absences.findIndex(
    (absence) => !isDay(absence.from) || !isDay(absence.to) || absence.from > absence.to,
  );
  return index === -1 ? null : index;
}

function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(new Date(`${text}T00:00:00Z`).getTime());
}
