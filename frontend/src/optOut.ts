// Consent (DSGVO): who may record or lift a contact's objection to being contacted, and which
// planned steps it concerns. The server decides (setContactOptOut, scheduleActivity); these
// rules only choose which controls and warnings the page shows.
import type { ActivityKind } from "./gql/graphql";
import { type Viewer, isManager } from "./viewer";

/** The kinds of activity an objection forbids: reaching out by phone or e-mail. */
export const KINDS_AN_OBJECTION_FORBIDS: readonly ActivityKind[] = ["CALL", "EMAIL"];

/** Record an objection: the clerk of an open lead, managers and admins. */
export function mayRecordOptOut(
  viewer: Pick<Viewer, "id" | "role">,
  lead: { status: string; assigneeId: string | null },
): boolean {
  return isManager(viewer) || (lead.status === "ACTIVE" && lead.assigneeId === viewer.id);
}

/** Lift an objection (consent given again), or override it when planning: managers and admins. */
export function mayLiftOptOut(viewer: Pick<Viewer, "role">): boolean {
  return isManager(viewer);
}

/** Whether planning this kind of step for this contact needs a warning before it is sent. */
export function objectionConcerns(optedOut: boolean, kind: ActivityKind): boolean {
  return optedOut && KINDS_AN_OBJECTION_FORBIDS.includes(kind);
}

/** The overrideOptOut sent with a planned step: true only when a manager ticked it and the
 * objection concerns this step (a clerk never sends it: the server would refuse it). */
export function overridesObjection(plan: {
  mayOverride: boolean;
  ticked: boolean;
  optedOut: boolean;
  kind: ActivityKind;
}): boolean {
  return plan.mayOverride && plan.ticked && objectionConcerns(plan.optedOut, plan.kind);
}
