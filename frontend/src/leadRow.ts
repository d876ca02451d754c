// What a list of leads shows of each lead (the overview's table, the dashboard's aging lists):
// one fragment, spread by each list's query and read with readLeadRow.
import { type FragmentType, getFragmentData, graphql } from "./gql";
import type { ClosedLead_LeadFragment, LeadRow_LeadFragment } from "./gql/graphql";

export const LeadRowFragment = graphql(`
  fragment LeadRow_lead on Lead {
    id
    createdAt
    contact {
      ...ContactName_contact
    }
    campaign {
      id
      name
    }
    assignee {
      id
      name
    }
  }
`);

export type LeadRow = LeadRow_LeadFragment;

export function readLeadRow(lead: FragmentType<typeof LeadRowFragment>): LeadRow {
  return getFragmentData(LeadRowFragment, lead);
}

/** How a done lead ended, for the done lists (the overview's Erledigt tab, the clerk's
 * Erledigte Leads): outcome, reason and closing date. */
export const ClosedLeadFragment = graphql(`
  fragment ClosedLead_lead on Lead {
    outcome
    closeReason
    closedAt
  }
`);

export type ClosedLead = ClosedLead_LeadFragment;

export function readClosedLead(lead: FragmentType<typeof ClosedLeadFragment>): ClosedLead {
  return getFragmentData(ClosedLeadFragment, lead);
}
