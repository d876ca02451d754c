// The closed sets the lists filter and sort by, as the API names them (schema.graphql's enums
// LeadOrder, TaskOrder, DueState, Outcome, CloseReason), in the order the screens offer them.
// Arrays rather than the generated types alone: a URL is checked against them.
import type { CloseReason, Outcome } from "./gql/graphql";

export const LEAD_ORDERS = [
  "NEWEST",
  "OLDEST",
  "LAST_NAME",
  "COMPANY",
  "CAMPAIGN",
  "ASSIGNEE",
  "WAITING_LONGEST",
  "NEXT_DUE",
] as const;
export type LeadOrder = (typeof LEAD_ORDERS)[number];
export const DEFAULT_LEAD_ORDER: LeadOrder = "NEWEST";

export const TASK_ORDERS = ["NEXT_DUE", "WAITING_LONGEST", "NEWEST"] as const;
export type TaskOrder = (typeof TASK_ORDERS)[number];
export const DEFAULT_TASK_ORDER: TaskOrder = "NEXT_DUE";

/** Where a lead's next step stands: the worklist's sections, in the order they are worked. */
export const DUE_STATES = ["OVERDUE", "TODAY", "UPCOMING", "NONE"] as const;
export type DueState = (typeof DUE_STATES)[number];

export const OUTCOMES: readonly Outcome[] = ["SUCCESSFUL", "UNSUCCESSFUL"];
export const CLOSE_REASONS: readonly CloseReason[] = [
  "NOT_INTERESTED",
  "UNREACHABLE",
  "WRONG_CONTACT_DATA",
  "DUPLICATE",
  "OTHER",
];
