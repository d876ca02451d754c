// Dates for "Nächster Schritt planen": the quick picks (morgen, in 3 Tagen, nächste Woche) and
// the date-time field, in the browser's local time. Pure functions of a given "now", so that
// they can be tested in any time zone, across daylight saving changes.

/** The quick picks; each lands on a working hour, not on the minute the clerk clicked. */
export type QuickPick = "tomorrow" | "inThreeDays" | "nextWeek";
export const QUICK_PICKS: readonly QuickPick[] = ["tomorrow", "inThreeDays", "nextWeek"];

/** The hour (local time) a quick pick lands on: the start of a working day, when a follow-up
 * call is due and shows as "heute" in the morning's list. */
export const QUICK_PICK_HOUR = 9;

const MONDAY = 1;

/** The local date-time a quick pick means, seen from `now`: tomorrow 9:00, in three days 9:00,
 * or next week's Monday 9:00 (from a Monday: the Monday in seven days). Built from calendar
 * fields, not by adding 24-hour days, so a daylight saving change in between keeps 9:00. */
export function quickPickDate(pick: QuickPick, now: Date): Date {
  return atHour(addCalendarDays(now, daysUntil(pick, now)), QUICK_PICK_HOUR);
}

function daysUntil(pick: QuickPick, now: Date): number {
  switch (pick) {
    case "tomorrow":
      return 1;
    case "inThreeDays":
      return 3;
    case "nextWeek": {
      const sinceMonday = (now.getDay() - MONDAY + 7) % 7;
      return 7 - sinceMonday;
    }
  }
}

function addCalendarDays(day: Date, days: number): Date {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() + days);
}

function atHour(day: Date, hour: number): Date {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour, 0, 0, 0);
}

const pad = (value: number) => String(value).padStart(2, "0");

/** The value of an <input type="datetime-local"> for a moment: "2026-03-30T09:00", local. */
export function toLocalInput(at: Date): string {
  const date = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  return `${date}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The moment a datetime-local value means in local time, or null for an empty or malformed
 * value (including days that do not exist, like 31 April). A wall-clock time that does not
 * exist (inside a spring-forward gap) becomes the first moment after the gap, as the browser
 * would read it; an ambiguous one (autumn) the earlier of the two. */
export function fromLocalInput(value: string): Date | null {
  const match = LOCAL_INPUT.exec(value.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const at = new Date(year, month - 1, day, hour, minute, second);
  if (at.getFullYear() !== year || at.getMonth() !== month - 1 || at.getDate() !== day) {
    return null; // 31 April rolled over into May
  }
  return at;
}

/** The value for the API's `DateTime` (UTC, ISO 8601) of a datetime-local value. */
export function dueAtForApi(value: string): string | null {
  return fromLocalInput(value)?.toISOString() ?? null;
}

const STEP_TIME: Intl.DateTimeFormatOptions = {
  weekday: "short",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
};

/** When a step is due, with the weekday that a follow-up is planned by: "Mo., 15.06.2026, 09:00". */
export function formatStepTime(locale: string, at: Date | string): string {
  return new Intl.DateTimeFormat(locale, STEP_TIME).format(typeof at === "string" ? new Date(at) : at);
}
