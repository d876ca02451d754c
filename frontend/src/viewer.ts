// Who is logged in and what their role may open: one table that the router (App.tsx) and the
// header's navigation both read, so a role never sees a menu entry it cannot open or the reverse.
import { graphql } from "./gql";
import type { Role, ViewerQuery } from "./gql/graphql";
import { type Screen, screenAt } from "./routes";

export const ViewerDocument = graphql(`
  query Viewer {
    viewer {
      id
      name
      role
    }
  }
`);

export type Viewer = ViewerQuery["viewer"];

// The lists and their detail pages go together: whoever may open a lead may open the lead list
// of their role (the overview for managers, the task list for clerks).
const MANAGER_SCREENS: readonly Screen[] = [
  "leads",
  "lead",
  "opportunities",
  "opportunity",
  "campaigns",
  "dashboard",
  "clerks",
  "webhooks",
  "webhook",
];
const CLERK_SCREENS: readonly Screen[] = [
  "tasks",
  "lead",
  "opportunities",
  "opportunity",
  "dashboard",
  "absences",
];

/** The screens each role may open; partners use the API only (their webhooks too). */
export const SCREENS_OF_ROLE: Record<Role, readonly Screen[]> = {
  ADMIN: MANAGER_SCREENS,
  MANAGER: MANAGER_SCREENS,
  CLERK: CLERK_SCREENS,
  PARTNER: [],
};

/** Whether the viewer may open `screen`. A role the server keeps hidden opens nothing. */
export function mayOpen(viewer: Pick<Viewer, "role">, screen: Screen): boolean {
  return viewer.role !== null && SCREENS_OF_ROLE[viewer.role].includes(screen);
}

/** Managers and admins: they see every lead and act for any clerk. */
export function isManager(viewer: Pick<Viewer, "role">): boolean {
  return viewer.role === "MANAGER" || viewer.role === "ADMIN";
}

/** A role that has no screen in the web app (partners), as opposed to an unknown one. */
export function opensNothing(viewer: Pick<Viewer, "role">): boolean {
  return viewer.role !== null && SCREENS_OF_ROLE[viewer.role].length === 0;
}

/** The screen the viewer may open at `path`, or null (unknown path or not for this role). */
export function screenFor(viewer: Pick<Viewer, "role">, path: string): Screen | null {
  const screen = screenAt(path);
  return screen && mayOpen(viewer, screen) ? screen : null;
}
