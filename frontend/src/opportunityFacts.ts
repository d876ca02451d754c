// The facts of a Verkaufschance that both its list and its page show (title, stage, value,
// expected close, when, contact, owner): one fragment, spread by both queries and read with readOpportunityFacts.
import { type FragmentType, getFragmentData, graphql } from "./gql";
import type { OpportunityFacts_OpportunityFragment } from "./gql/graphql";

export const OpportunityFactsFragment = graphql(`
  fragment OpportunityFacts_opportunity on Opportunity {
    id
    title
    stage
    expectedValue
    expectedCloseDate
    createdAt
    contact {
      id
      ...ContactName_contact
    }
    owner {
      id
      name
    }
  }
`);

export type OpportunityFacts = OpportunityFacts_OpportunityFragment;

export function readOpportunityFacts(
  opportunity: FragmentType<typeof OpportunityFactsFragment>,
): OpportunityFacts {
  return getFragmentData(OpportunityFactsFragment, opportunity);
}
