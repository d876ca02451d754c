// The dashboard's own logic: its state in the URL (campaign, period, aging days), the period as
// the API's [from, to), day or week buckets, and durations in words.
import type { ReportInterval } from "./gql/graphql";
import type { Language, Translate } from "./i18n";
import { LOCALES } from "./leadDetail";

export const DASHBOARD_PATH = "/dashboard";
/** The default period: the last 30 days, today included. */
export const DEFAULT_PERIOD_DAYS = 30;
/** Longer periods are drawn per week: a point per day would crowd the chart. */
export const MAX_DAILY_DAYS = 60;
export const DEFAULT_NEW_DAYS = 3;
export const DEFAULT_QUIET_DAYS = 7;
export const MIN_AGING_DAYS = 1;
export const MAX_AGING_DAYS = 3650;

const DAY_MS = 86_400_000;

export interface DashboardState {
  /** "" is every campaign. */
  campaignId: string;
  /** First and last day of the period, both included, as YYYY-MM-DD. */
  from: string;
  to: string;
  /** N of the aging lists: NEW leads older than N days, ACTIVE ones quiet for N days. */
  newDays: number;
  quietDays: number;
}

/** A local calendar day as YYYY-MM-DD. */
export function isoDay(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, "0");
  return `${date.getFullYear()}-${month}-${day}`;
}

/** YYYY-MM-DD as a day count (UTC, so no daylight saving shifts); null if it is no date. */
function dayNumber(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const time = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(time)) return null;
  // Date.parse rolls 2026-02-31 over to March: only a date that survives the round trip counts.
  return new Date(time).toISOString().slice(0, 10) === day ? time / DAY_MS : null;
}

function dayString(number: number): string {
  return new Date(number * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  const number = dayNumber(day);
  if (number === null) throw new Error(`not a day: ${day}`);
  return dayString(number + days);
}

/** The last 30 days up to and including `today`. */
export function defaultPeriod(today: Date): { from: string; to: string } {
  const to = isoDay(today);
  return { from: addDays(to, -(DEFAULT_PERIOD_DAYS - 1)), to };
}

function agingDays(raw: string | null, fallback: number): number {
  const days = Number(raw);
  if (!raw || !Number.isInteger(days)) return fallback;
  return Math.min(MAX_AGING_DAYS, Math.max(MIN_AGING_DAYS, days));
}

export function parseDashboard(search: string, today: Date): DashboardState {
  const params = new URLSearchParams(search);
  const period = defaultPeriod(today);
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  return {
    campaignId: params.get("campaign") ?? "",
    from: dayNumber(from) === null ? period.from : from,
    to: dayNumber(to) === null ? period.to : to,
    newDays: agingDays(params.get("newDays"), DEFAULT_NEW_DAYS),
    quietDays: agingDays(params.get("quietDays"), DEFAULT_QUIET_DAYS),
  };
}

/** The URL of a state; defaults stay out of it, so a bare /dashboard always means "the last
 * 30 days" while a chosen period is kept as chosen. */
export function dashboardUrl(state: DashboardState, today: Date): string {
  const params = new URLSearchParams();
  const period = defaultPeriod(today);
  if (state.campaignId) params.set("campaign", state.campaignId);
  if (state.from !== period.from || state.to !== period.to) {
    params.set("from", state.from);
    params.set("to", state.to);
  }
  if (state.newDays !== DEFAULT_NEW_DAYS) params.set("newDays", String(state.newDays));
  if (state.quietDays !== DEFAULT_QUIET_DAYS) params.set("quietDays", String(state.quietDays));
  const query = params.toString();
  return query ? `${DASHBOARD_PATH}?${query}` : DASHBOARD_PATH;
}

/** A period as the API takes it: two DateTimes, from included, to excluded. */
export interface Range {
  from: string;
  to: string;
}

/** The period as the API takes it: [from 00:00 UTC, the day after `to` 00:00 UTC), or null
 * when it is empty (from after to). Days are UTC days, like the buckets of the time series. */
export function periodRange(state: Pick<DashboardState, "from" | "to">): Range | null {
  const from = dayNumber(state.from);
  const to = dayNumber(state.to);
  if (from === null || to === null || from > to) return null;
  return { from: `${state.from}T00:00:00Z`, to: `${dayString(to + 1)}T00:00:00Z` };
}

/** Days in the period, both ends included (0 when it is empty). */
export function periodDays(state: Pick<DashboardState, "from" | "to">): number {
  const from = dayNumber(state.from);
  const to = dayNumber(state.to);
  if (from === null || to === null || from > to) return 0;
  return to - from + 1;
}

/** A point per day up to about two months, else per week. */
export function chooseInterval(state: Pick<DashboardState, "from" | "to">): ReportInterval {
  return periodDays(state) > MAX_DAILY_DAYS ? "WEEK" : "DAY";
}

/** A day (YYYY-MM-DD, a UTC day like the API's buckets) in the words of the language. */
export function formatDay(language: Language, day: string): string {
  const format = new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeZone: "UTC",
  });
  return format.format(new Date(`${day}T00:00:00Z`));
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "2 Std. 5 Min.", "3 Tage", "1 Tag 4 Std.": the two largest units, rounded down; from ten
 * days on whole days only. "—" when there is no duration. */
export function formatDuration(t: Translate, seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
    return t("duration.none");
  }
  if (seconds < MINUTE) return t("duration.underMinute");
  if (seconds < HOUR) return t("duration.minutes", { count: Math.floor(seconds / MINUTE) });
  if (seconds < DAY) {
    const hours = Math.floor(seconds / HOUR);
    const minutes = Math.floor((seconds % HOUR) / MINUTE);
    return join(t("duration.hours", { count: hours }), minutes, "duration.minutes", t);
  }
  if (seconds >= 10 * DAY) return t("duration.days", { count: Math.round(seconds / DAY) });
  const days = Math.floor(seconds / DAY);
  const hours = Math.floor((seconds % DAY) / HOUR);
  return join(t("duration.days", { count: days }), hours, "duration.hours", t);
}

function join(
  first: string,
  count: number,
  key: "duration.minutes" | "duration.hours",
  t: Translate,
): string {
  return count > 0 ? `${first} ${t(key, { count })}` : first;
}

/** The counts of a bucket of the lead time series, in order; their titles are `dashboard.series.*`. */
export const SERIES_COUNTS = ["created", "successful", "unsuccessful"] as const;
export type SeriesCounts = Record<(typeof SERIES_COUNTS)[number], number>;

/** A time series' counts summed over its buckets (the table's foot and the chart's words). */
export function seriesTotals(points: readonly SeriesCounts[]): SeriesCounts {
  const totals: SeriesCounts = { created: 0, successful: 0, unsuccessful: 0 };
  for (const point of points) {
    for (const count of SERIES_COUNTS) totals[count] += point[count];
  }
  return totals;
}
