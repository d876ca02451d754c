// The manager's forms for a new campaign and a single new lead: what they send (trimmed, empty
// as null) and where the server's user errors go (a single lead's errors come as leads.0.<field>).
import type { CreateCampaignInput } from "./gql/graphql";
import type { UserErrorLike } from "./leadDetail";
import { parseRetentionDays } from "./privacy";

export interface CampaignDraft {
  name: string;
  description: string;
  startsOn: string;
  endsOn: string;
  /** Days the person's data of unsuccessful leads is kept (DSGVO), as typed; empty: the
   * server's default. */
  retentionDays: string;
}

export const EMPTY_CAMPAIGN: CampaignDraft = {
  name: "",
  description: "",
  startsOn: "",
  endsOn: "",
  retentionDays: "",
};

export const CAMPAIGN_FIELDS = ["name", "description", "startsOn", "endsOn", "retentionDays"];

/** createCampaign's input: the name as typed (the server says when it is missing), the rest
 * null when empty; or the error that keeps it from being sent (retention days that are no whole
 * number of days). `withRetention` false (a manager: only admins may set it) leaves
 * retentionDays out of the input altogether, since the server refuses a manager who gives it,
 * even as null. */
export function campaignInput(
  draft: CampaignDraft,
  withRetention: boolean,
): { input: CreateCampaignInput } | { error: UserErrorLike } {
  const input: CreateCampaignInput = {
    name: draft.name.trim(),
    description: draft.description.trim() || null,
    startsOn: draft.startsOn || null,
    endsOn: draft.endsOn || null,
  };
  if (!withRetention) return { input };
  const retention = parseRetentionDays(draft.retentionDays);
  if (!retention.ok) return { error: { code: "INVALID", message: "", field: ["retentionDays"] } };
  return { input: { ...input, retentionDays: retention.value } };
}

/** The contact fields of a lead, in the order the form shows them (LeadInput's names). */
export const LEAD_FIELDS = [
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

export type LeadField = (typeof LEAD_FIELDS)[number];
export type LeadDraft = Record<LeadField, string>;

export const EMPTY_LEAD: LeadDraft = Object.fromEntries(
  LEAD_FIELDS.map((field) => [field, ""]),
) as LeadDraft;

/** One LeadInput: trimmed, empty fields left out as null (the last name is always sent). */
export function leadInput(draft: LeadDraft) {
  const input: Record<string, string | null> = {};
  for (const field of LEAD_FIELDS) input[field] = draft[field].trim() || null;
  return { ...input, lastName: draft.lastName.trim() };
}

/** The errors of createLeads with one lead, with the field as the form knows it: leads.0.email
 * becomes email; errors about the batch or the campaign keep their path (the form shows them
 * as a whole). */
export function singleLeadErrors(errors: readonly UserErrorLike[]): UserErrorLike[] {
  return errors.map((error) => {
    const path = error.field ?? [];
    if (path.length > 2 && path[0] === "leads" && path[1] === "0") {
      return { ...error, field: path.slice(2) };
    }
    return error;
  });
}
