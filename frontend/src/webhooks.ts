// The webhooks page's own logic: events and states in words, the form's input, the delivery
// log's status filter in the URL, and a payload made readable.
import type { WebhookDeliveryStatus } from "./gql/graphql";
import { type Language, type Translate, isMessageKey } from "./i18n";
import { LOCALES, type UserErrorLike, formatDateTime } from "./leadDetail";
import { webhookPath } from "./routes";

/** The delivery log of a webhook, filtered by `status` (absent: every delivery). */
export function deliveriesUrl(webhookId: string, status?: WebhookDeliveryStatus): string {
  const path = webhookPath(webhookId);
  return status ? `${path}?${new URLSearchParams({ status })}` : path;
}

export const DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = [
  "PENDING",
  "SUCCEEDED",
  "FAILED",
];

/** The delivery log's status filter from the query string; absent (or unknown) is every one. */
export function parseDeliveryStatus(search: string): WebhookDeliveryStatus | undefined {
  const status = new URLSearchParams(search).get("status") ?? "";
  return (DELIVERY_STATUSES as readonly string[]).includes(status)
    ? (status as WebhookDeliveryStatus)
    : undefined;
}

/** "Lead zugewiesen (lead.assigned)": the German words and the name receivers see; an event
 * type this web app does not know yet keeps its technical name alone. */
export function eventLabel(t: Translate, eventType: string): string {
  const key = `webhooks.event.${eventType}`;
  return isMessageKey(key) ? t("webhooks.eventLabel", { label: t(key), type: eventType }) : eventType;
}

/** The campaigns a webhook hears: their names, or "alle Kampagnen" for none named (null). */
export function campaignsText(
  t: Translate,
  campaigns: readonly { name: string }[] | null | undefined,
): string {
  if (!campaigns || campaigns.length === 0) return t("webhooks.allCampaigns");
  return campaigns.map((campaign) => campaign.name).join(", ");
}

export interface WebhookStateParts {
  active: boolean;
  disabledAt?: string | null;
  disabledReason?: string | null;
  failingSince?: string | null;
}

export type WebhookStateKind = "active" | "failing" | "disabled";

/** Which of the three states a webhook is in: switched off (by a person or because the
 * receiver is gone), on but failing, or on. */
export function webhookStateKind(webhook: WebhookStateParts): WebhookStateKind {
  if (!webhook.active) return "disabled";
  return webhook.failingSince ? "failing" : "active";
}

/** "aktiv", "schlägt seit 6. Dez. 2026, 18:00 fehl", "abgeschaltet am …: <reason>". */
export function webhookStateText(
  t: Translate,
  language: Language,
  webhook: WebhookStateParts,
): string {
  const kind = webhookStateKind(webhook);
  if (kind === "active") return t("webhooks.state.active");
  if (kind === "failing") {
    return t("webhooks.state.failing", {
      since: formatDateTime(language, webhook.failingSince ?? ""),
    });
  }
  if (!webhook.disabledAt) return t("webhooks.state.disabled");
  const at = formatDateTime(language, webhook.disabledAt);
  const reason = webhook.disabledReason?.trim();
  return reason
    ? t("webhooks.state.disabledBecause", { at, reason: disabledReasonText(t, language, reason) })
    : t("webhooks.state.disabledAt", { at });
}

/** Why the server switched a webhook off, in the user's words: it writes one of three English
 * reasons (services/webhooks/delivery.py and manage.py); any other stays as written. */
export function disabledReasonText(t: Translate, language: Language, reason: string): string {
  if (reason === "answered 410 Gone") return t("webhooks.disabledReason.gone");
  const failing = /^failing since (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC$/.exec(reason);
  if (failing) {
    const since = formatDateTime(language, `${failing[1]}T${failing[2]}:00Z`);
    return t("webhooks.disabledReason.failing", { since });
  }
  const byPerson = /^switched off by (.+)$/.exec(reason);
  if (byPerson) return t("webhooks.disabledReason.byPerson", { name: byPerson[1] });
  return reason;
}

export interface DeliveryStatusParts {
  status: WebhookDeliveryStatus;
  nextAttemptAt?: string | null;
}

/** "zugestellt", "ausstehend, nächster Versuch 6. Dez. 2026, 18:05", "fehlgeschlagen". */
export function deliveryStatusText(
  t: Translate,
  language: Language,
  delivery: DeliveryStatusParts,
): string {
  if (delivery.status === "PENDING" && delivery.nextAttemptAt) {
    return t("webhooks.delivery.pendingNext", {
      at: formatLogTime(language, delivery.nextAttemptAt),
    });
  }
  return t(`webhooks.delivery.${delivery.status}`);
}

/** A time in the delivery log, to the second: attempts and retries come seconds apart. */
export function formatLogTime(language: Language, at: string): string {
  return new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeStyle: "medium",
  }).format(new Date(at));
}

/** "85 ms", "1,2 s" (in the user's language). */
export function formatDuration(language: Language, milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = new Intl.NumberFormat(LOCALES[language], {
    maximumFractionDigits: 1,
  }).format(milliseconds / 1000);
  return `${seconds} s`;
}

/** The body as sent, indented when it is JSON (it always should be), else as it came. */
export function readablePayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

/** What the create and edit forms hold. No campaign chosen means every campaign. */
export interface WebhookDraft {
  url: string;
  description: string;
  events: readonly string[];
  campaignIds: readonly string[];
}

export const EMPTY_WEBHOOK: WebhookDraft = { url: "", description: "", events: [], campaignIds: [] };

/** The fields the forms show, for errorsByField. */
export const WEBHOOK_FIELDS = ["url", "description", "events", "campaignIds"] as const;

/** The draft as the API takes it: trimmed, and null campaigns for "alle Kampagnen" (on an edit
 * that is a change to every campaign, not "unchanged"). */
export function webhookInput(draft: WebhookDraft): {
  url: string;
  description: string;
  events: string[];
  campaignIds: string[] | null;
} {
  return {
    url: draft.url.trim(),
    description: draft.description.trim(),
    events: [...draft.events],
    campaignIds: draft.campaignIds.length ? [...draft.campaignIds] : null,
  };
}

/** The list with `value` added or taken out, kept in the order of `order` (the order the
 * checkboxes are shown in), so the input does not depend on the order of the clicks. */
export function toggled(
  list: readonly string[],
  value: string,
  checked: boolean,
  order: readonly string[],
): string[] {
  const chosen = new Set(list);
  if (checked) chosen.add(value);
  else chosen.delete(value);
  const known = order.filter((one) => chosen.has(one));
  return [...known, ...[...chosen].filter((one) => !order.includes(one))];
}

/** An error about one event or campaign of the list (["events", "2"]) belongs to the list's
 * fieldset, which is what the form shows; a path that starts at the input (["input", "url"])
 * belongs to the field it names. */
export function toFormField(error: UserErrorLike): UserErrorLike {
  const path = error.field ?? [];
  const field = path[0] === "input" && path.length > 1 ? path.slice(1) : path;
  if (field.length > 1 && (field[0] === "events" || field[0] === "campaignIds")) {
    return { ...error, field: [field[0]] };
  }
  return field === path ? error : { ...error, field };
}
