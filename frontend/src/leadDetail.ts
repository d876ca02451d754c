// The lead detail's own logic: user errors next to their fields (their words: errorText.ts),
// amounts typed by people, dates and money in the user's language, the history in words, the
// contact form's changes, and which lead "Nächster Lead" opens.
import type { ActivityKind, OpportunityStage, TaskEventKind } from "./gql/graphql";
import type { Language, MessageKey, Translate } from "./i18n";
import { isMessageKey } from "./i18n";

export interface UserErrorLike {
  code: string;
  message: string;
  field?: readonly string[] | null;
}

/** Errors that concern no field the form shows are shown for the whole form, under this key. */
export const FORM = "form";

/** Each error under the field it concerns ("reason", "opportunity.title"), else under FORM.
 * `fields` are the fields the form shows; the first error per field wins. */
export function errorsByField(
  errors: readonly UserErrorLike[],
  fields: readonly string[],
): Record<string, UserErrorLike> {
  const byField: Record<string, UserErrorLike> = {};
  for (const error of errors) {
    const path = (error.field ?? []).join(".");
    const key = fields.includes(path) ? path : FORM;
    byField[key] ??= error;
  }
  return byField;
}

export type ParsedAmount = { ok: true; value: string | null } | { ok: false };

/** "1.500,50" (de) or "1,500.50" (en), with or without €, to the API's "1500.50";
 * empty is no amount; anything else (letters, negative, three decimals) is not an amount. */
export function parseAmount(text: string, language: Language): ParsedAmount {
  const compact = text.replace(/[\s\u00a0€]/g, "");
  if (!compact) return { ok: true, value: null };
  const [thousands, decimal] = language === "de" ? [".", ","] : [",", "."];
  const grouped = new RegExp(`^\\d{1,3}(\\${thousands}\\d{3})+(\\${decimal}\\d{1,2})?$`);
  const plain = new RegExp(`^\\d+(\\${decimal}\\d{1,2})?$`);
  if (!grouped.test(compact) && !plain.test(compact)) return { ok: false };
  const value = compact.split(thousands).join("").replace(decimal, ".");
  return { ok: true, value };
}

export const LOCALES: Record<Language, string> = { de: "de-DE", en: "en-GB" };

export function formatMoney(language: Language, amount: string): string {
  return new Intl.NumberFormat(LOCALES[language], { style: "currency", currency: "EUR" }).format(
    Number(amount),
  );
}

export function formatDateTime(language: Language, at: string): string {
  return new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(at));
}

interface Named {
  name: string;
}

export interface LeadEventLike {
  kind: string;
  actor?: Named | null;
  assignee?: Named | null;
  previousAssignee?: Named | null;
  outcome?: string | null;
  closeReason?: string | null;
  activity?: { kind: ActivityKind } | null;
}

const ACTIVITY_EVENTS = {
  ACTIVITY_SCHEDULED: "event.ACTIVITY_SCHEDULED_KIND",
  ACTIVITY_RESCHEDULED: "event.ACTIVITY_RESCHEDULED_KIND",
  ACTIVITY_COMPLETED: "event.ACTIVITY_COMPLETED_KIND",
} as const;

function isActivityEvent(kind: string): kind is keyof typeof ACTIVITY_EVENTS {
  return Object.hasOwn(ACTIVITY_EVENTS, kind);
}

/** One line of the history timeline: what happened, e.g. "Abgeschlossen: erfolglos (Kein Interesse)". */
export function describeEvent(t: Translate, event: LeadEventLike): string {
  const name = event.assignee?.name ?? "";
  switch (event.kind) {
    case "ASSIGNED":
      return t("event.ASSIGNED", { name });
    case "REASSIGNED":
      return t("event.REASSIGNED", { name, previous: event.previousAssignee?.name ?? "" });
    case "CLOSED": {
      const outcome = event.outcome ? t(`outcome.${event.outcome}` as MessageKey) : "";
      if (!event.closeReason) return t("event.CLOSED", { outcome });
      const reason = t(`reason.${event.closeReason}` as MessageKey);
      return t("event.CLOSED_REASON", { outcome, reason });
    }
    default: {
      if (isActivityEvent(event.kind) && event.activity) {
        const kind = t(`activityKind.${event.activity.kind}`);
        return t(ACTIVITY_EVENTS[event.kind], { kind });
      }
      const key = `event.${event.kind}`;
      return isMessageKey(key) ? t(key) : event.kind;
    }
  }
}

/** Who did it: "von Clara Clerk", or the system. */
export function describeActor(t: Translate, event: LeadEventLike): string {
  return event.actor ? t("event.by", { name: event.actor.name }) : t("event.system");
}

export interface OpportunityEventLike {
  kind: string;
  owner?: Named | null;
  previousOwner?: Named | null;
  stage?: OpportunityStage | null;
}

/** One line of an opportunity's history, e.g. "Von Clara Clerk an David Clerk übergeben". */
export function describeOpportunityEvent(t: Translate, event: OpportunityEventLike): string {
  const name = event.owner?.name ?? "";
  if (event.kind === "HANDED_OVER") {
    return t("opp.event.HANDED_OVER", { name, previous: event.previousOwner?.name ?? "" });
  }
  if (event.kind === "CREATED") return t("opp.event.CREATED", { name });
  if (event.kind === "STAGE_CHANGED") {
    return t("opp.event.STAGE_CHANGED", { stage: event.stage ? t(`stage.${event.stage}`) : "" });
  }
  if (event.kind === "UPDATED") return t("opp.event.UPDATED");
  return event.kind;
}

/** The contact fields the lead page edits, in the form's order, as updateContact names them. */
export const CONTACT_FIELDS = [
  "firstName",
  "lastName",
  "company",
  "email",
  "phone",
  "street",
  "postalCode",
  "city",
  "country",
] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export type ContactValues = Record<ContactField, string>;

/** The form's values of a contact as read (a missing value is an empty field). */
export function contactValues(contact: Partial<Record<ContactField, string | null>>): ContactValues {
  const values = {} as ContactValues;
  for (const field of CONTACT_FIELDS) values[field] = contact[field] ?? "";
  return values;
}

/** The fields the user changed, trimmed, for updateContact: only these are sent, so a
 * correction by someone else of another field at the same time is not overwritten. Spaces
 * around a value are no change. */
export function contactChanges(
  original: ContactValues,
  edited: ContactValues,
): Partial<ContactValues> {
  const changes: Partial<ContactValues> = {};
  for (const field of CONTACT_FIELDS) {
    const value = edited[field].trim();
    if (value !== original[field].trim()) changes[field] = value;
  }
  return changes;
}

export interface ContactChangeLike {
  field: string;
  oldValue?: string | null;
  newValue?: string | null;
}

function isContactField(field: string): field is ContactField {
  return (CONTACT_FIELDS as readonly string[]).includes(field);
}

/** One line of a contact's change history: "Telefon: +49 30 1 → +49 30 2". */
export function describeContactChange(t: Translate, change: ContactChangeLike): string {
  // setContactOptOut's rows: the objection in words, not "optedOut: false → true".
  if (change.field === "optedOut") {
    return t(change.newValue === "true" ? "optOut.historyRecorded" : "optOut.historyLifted");
  }
  const field = isContactField(change.field)
    ? t(`contact.${change.field}`)
    : change.field === "optedOutNote"
      ? t("optOut.historyNote")
      : change.field;
  const shown = (value?: string | null) => value || t("contact.emptyValue");
  return t("contact.change", { field, old: shown(change.oldValue), new: shown(change.newValue) });
}

/** The lead "Nächster Lead" opens, in the order of the clerk's list as it is now: the one after
 * the current lead (from the top again after the last one). The current lead may have left
 * the list (closed) or moved in it (a follow-up planned for next week): then the one that
 * followed it when it was last listed, while that one is still listed, else the top one.
 * Null when no other lead is listed. */
export function nextLeadId(
  listed: readonly string[],
  currentId: string,
  lastFollower: string | null,
): string | null {
  const others = listed.filter((id) => id !== currentId);
  if (others.length === 0) return null;
  const position = listed.indexOf(currentId);
  if (position >= 0) return listed[(position + 1) % listed.length];
  if (lastFollower && others.includes(lastFollower)) return lastFollower;
  return others[0];
}

const MOVED = /^(\S+) -> (\S+)$/;

/** The note of a rescheduling ("2026-12-07T08:00:00+00:00 -> 2026-12-08T13:30:00+00:00", as
 * the server records it) in the viewer's local time: "Mo., 07.12.2026, 09:00 → Di., …";
 * any other note as it is. */
export function describeRescheduleNote(
  format: (at: Date) => string,
  note: string,
): string {
  const match = MOVED.exec(note.trim());
  if (!match) return note;
  const [from, to] = [new Date(match[1]), new Date(match[2])];
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return note;
  return `${format(from)} → ${format(to)}`;
}

/** The lead page's state after someone else's change: the lead was taken away from the viewer,
 * or closed. */
export type LiveLeadChange = "reassignedAway" | "closed";

/** What the viewer's task events said about the open lead: taken away (until it comes back),
 * closed (by whom the refetched lead tells). */
export interface LiveNews {
  takenAway: boolean;
  closed: boolean;
}

export function liveNews(now: LiveNews, kind: TaskEventKind): LiveNews {
  switch (kind) {
    case "REASSIGNED_AWAY":
      return { ...now, takenAway: true };
    case "ASSIGNED":
      return { takenAway: false, closed: false };
    case "CLOSED":
      return { ...now, closed: true };
    default:
      return now;
  }
}

/** What the lead page says and locks: taken away; or closed while open here by someone else
 * (the viewer's own close is no news); else nothing (null). */
export function liveLeadChange(
  news: LiveNews,
  status: string,
  closedById: string | null,
  viewerId: string,
): LiveLeadChange | null {
  if (news.takenAway) return "reassignedAway";
  if (news.closed && status === "DONE" && closedById !== viewerId) return "closed";
  return null;
}
