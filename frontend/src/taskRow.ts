// What the worklist shows of each lead (its table on a desk, its cards on a phone): one
// fragment, spread by the MyTasks query and read with readTaskRow.
import { type FragmentType, getFragmentData, graphql } from "./gql";
import type { TaskRow_LeadFragment } from "./gql/graphql";

export const TaskRowFragment = graphql(`
  fragment TaskRow_lead on Lead {
    id
    createdAt
    assignedAt
    waitingSince
    dueState
    contact {
      ...ContactName_contact
      phone
    }
    campaign {
      id
      name
    }
    nextActivity {
      id
      kind
      dueAt
      note
    }
  }
`);

export type TaskRow = TaskRow_LeadFragment;

export function readTaskRow(lead: FragmentType<typeof TaskRowFragment>): TaskRow {
  return getFragmentData(TaskRowFragment, lead);
}

/** Since when the lead waits for its clerk (the wait the WAITING_LONGEST order goes by). */
export function waitingSinceOf(
  task: Pick<TaskRow, "waitingSince" | "assignedAt" | "createdAt">,
): string {
  return task.waitingSince ?? task.assignedAt ?? task.createdAt;
}
