// The bell's own logic: its label and badge, where a notification leads, how old it is in the
// viewer's words, and a list that takes in a notification that arrived live.
import type { Language, Translate } from "./i18n";
import { LOCALES } from "./leadDetail";
import { WEBHOOKS_PATH, leadPath, opportunityPath } from "./routes";
import { TASKS_PATH } from "./taskList";

/** How many notifications the bell's list shows. */
export const BELL_LIST_SIZE = 20;

/** "Benachrichtigungen, 3 ungelesen": the button's name, so that the count is heard too. */
export function bellLabel(t: Translate, unread: number): string {
  return unread > 0 ? t("bell.label", { count: unread }) : t("bell.labelNone");
}

/** The badge on the bell: nothing without unread ones, "99+" above 99. */
export function badgeText(unread: number): string {
  if (unread <= 0) return "";
  return unread > 99 ? "99+" : String(unread);
}

export interface NotificationSubject {
  kind: string;
  lead?: { id: string } | null;
  opportunity?: { id: string } | null;
}

/** The page a notification is about: a handed-over opportunity's page, else its lead's, else
 * its opportunity's; leads assigned in a batch ("5 neue Leads aus Messe Süd") lead to Meine
 * Aufgaben, a webhook switched off to the webhooks; null otherwise (the viewer may not read
 * it, or it is gone). */
export function notificationHref(notification: NotificationSubject): string | null {
  const { lead, opportunity } = notification;
  if (notification.kind === "OPPORTUNITY_HANDED_OVER" && opportunity) {
    return opportunityPath(opportunity.id);
  }
  if (lead) return leadPath(lead.id);
  if (opportunity) return opportunityPath(opportunity.id);
  if (notification.kind === "WEBHOOK_DISABLED") return WEBHOOKS_PATH;
  return notification.kind === "LEAD_ASSIGNED" ? TASKS_PATH : null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "gerade eben", "vor 5 Minuten", "vor 3 Stunden", and from a day on the date and time. */
export function notificationAge(
  t: Translate,
  language: Language,
  createdAt: string,
  now: Date,
): string {
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) return "";
  const elapsed = now.getTime() - at.getTime();
  if (elapsed < MINUTE) return t("bell.justNow");
  const relative = new Intl.RelativeTimeFormat(LOCALES[language], { numeric: "always" });
  if (elapsed < HOUR) return relative.format(-Math.floor(elapsed / MINUTE), "minute");
  if (elapsed < 24 * HOUR) return relative.format(-Math.floor(elapsed / HOUR), "hour");
  return new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(at);
}

/** The list with a notification that arrived live on top (once, however often it arrives),
 * at most `limit` long. */
export function withArrived<T extends { id: string }>(
  list: readonly T[],
  arrived: T,
  limit: number = BELL_LIST_SIZE,
): T[] {
  return [arrived, ...list.filter((one) => one.id !== arrived.id)].slice(0, limit);
}
