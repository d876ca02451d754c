// A Verkaufschance's history timeline. The detail query and the hand-over read it through this
// fragment, so a handed-over opportunity comes back with the same history the page shows.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { describeOpportunityEvent } from "../leadDetail";
import { Timeline } from "./Timeline";

export const OpportunityHistoryFragment = graphql(`
  fragment OpportunityHistory_opportunity on Opportunity {
    history {
      kind
      at
      note
      stage
      actor {
        id
        name
      }
      owner {
        id
        name
      }
      previousOwner {
        id
        name
      }
    }
  }
`);

export function OpportunityHistory({
  opportunity,
}: {
  opportunity: FragmentType<typeof OpportunityHistoryFragment>;
}) {
  const { t } = useI18n();
  const { history } = getFragmentData(OpportunityHistoryFragment, opportunity);
  return (
    <Timeline
      titleId="opportunity-history-title"
      title={t("opp.history")}
      testId="opportunity-history"
      events={history}
      describe={describeOpportunityEvent}
    />
  );
}
