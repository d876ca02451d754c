// Data protection (DSGVO) in the web app: who is offered the erasure (Art. 17), a campaign's
// retention days and the suppression list (the data export's link follows the server's Contact.viewerMayExport), the
// export's address, and what the forms send and where the server's refusals go. The server
// decides (eraseContact, liftSuppression, the export route); these rules only choose which
// controls the pages show.
import type { UserErrorLike } from "./leadDetail";
import type { Viewer } from "./viewer";

/** Erase a person's data: admins only (the server's rule, auth/policy.require_may_erase_contact). */
export function mayEraseContact(viewer: Pick<Viewer, "role">): boolean {
  return viewer.role === "ADMIN";
}

/** Lift a suppression (consent given again): admins only. */
export function mayLiftSuppression(viewer: Pick<Viewer, "role">): boolean {
  return viewer.role === "ADMIN";
}

/** Set a campaign's retention days (how soon retention erases its people): admins only, like
 * the erasure itself (the server refuses retentionDays from a manager with FORBIDDEN). */
export function mayDecideRetention(viewer: Pick<Viewer, "role">): boolean {
  return viewer.role === "ADMIN";
}

/** Where the export of one contact downloads (web/files.py), by the contact's global ID. */
export function contactExportUrl(contactId: string): string {
  return `/files/contacts/${encodeURIComponent(contactId)}/export.json`;
}

/** Whether the contact's data was erased: its name is then only the server's marker. */
export function isErased(contact: { erasedAt?: string | null }): boolean {
  return Boolean(contact.erasedAt);
}

/** The markers a contact shows beside its name: "Personendaten gelöscht" for an erased one
 * (which is opted out too, so its "Widerspruch" would say nothing more), else "Widerspruch"
 * for one who objected, else none. */
export type ContactMarker = "erased" | "optedOut" | null;

export function contactMarker(contact: {
  optedOut?: boolean;
  erasedAt?: string | null;
}): ContactMarker {
  if (isErased(contact)) return "erased";
  return contact.optedOut ? "optedOut" : null;
}

// The reason fields' errors carry their own words: "reason" alone names the close reason's text
// ("Warum war der Lead erfolglos?") in errorText's table.
const ERASURE_REASON = "erasureReason";
const LIFT_FIELDS: Record<string, string> = {
  email: "liftEmail",
  phone: "liftPhone",
  reason: "liftReason",
};

/** The fields of the erasure dialog, under the names its errors are shown by. */
export const ERASURE_FIELDS = [ERASURE_REASON];

/** The fields of the suppression list's form, under the names its errors are shown by. */
export const LIFT_FORM_FIELDS = Object.values(LIFT_FIELDS);

function renamed(error: UserErrorLike, names: Record<string, string>): UserErrorLike {
  const path = (error.field ?? []).join(".");
  return Object.hasOwn(names, path) ? { ...error, field: [names[path]] } : error;
}

/** eraseContact's input, or the error that keeps it from being sent (no reason given). */
export function erasureInput(
  contactId: string,
  reason: string,
): { input: { contactId: string; reason: string } } | { error: UserErrorLike } {
  const trimmed = reason.trim();
  if (!trimmed) return { error: { code: "REQUIRED", message: "", field: [ERASURE_REASON] } };
  return { input: { contactId, reason: trimmed } };
}

/** eraseContact's user errors under the dialog's field names. */
export function erasureErrors(errors: readonly UserErrorLike[]): UserErrorLike[] {
  return errors.map((error) => renamed(error, { reason: ERASURE_REASON }));
}

export interface LiftDraft {
  email: string;
  phone: string;
  reason: string;
}

export const EMPTY_LIFT: LiftDraft = { email: "", phone: "", reason: "" };

/** liftSuppression's input (an empty email or phone as null), or the errors that keep it from
 * being sent: neither email nor phone, or no reason. */
export function liftInput(
  draft: LiftDraft,
):
  | { input: { email: string | null; phone: string | null; reason: string } }
  | { errors: UserErrorLike[] } {
  const email = draft.email.trim() || null;
  const phone = draft.phone.trim() || null;
  const reason = draft.reason.trim();
  const errors: UserErrorLike[] = [];
  if (!email && !phone) errors.push({ code: "REQUIRED", message: "", field: [LIFT_FIELDS.email] });
  if (!reason) errors.push({ code: "REQUIRED", message: "", field: [LIFT_FIELDS.reason] });
  return errors.length > 0 ? { errors } : { input: { email, phone, reason } };
}

/** liftSuppression's user errors under the form's field names. */
export function liftErrors(errors: readonly UserErrorLike[]): UserErrorLike[] {
  return errors.map((error) => renamed(error, LIFT_FIELDS));
}

/** The most days a campaign keeps its people's data (the server's bound, a hundred years). */
export const MAX_RETENTION_DAYS = 36_500;

/** The retention the campaign form sends: whole days from 1 to MAX_RETENTION_DAYS, empty for
 * the server's default; anything else is refused before sending. */
export function parseRetentionDays(text: string): { ok: true; value: number | null } | { ok: false } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };
  if (!/^\d+$/.test(trimmed)) return { ok: false };
  const value = Number(trimmed);
  return value >= 1 && value <= MAX_RETENTION_DAYS ? { ok: true, value } : { ok: false };
}
