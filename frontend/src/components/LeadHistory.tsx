// A lead's history timeline. The lead detail query and the reassignment both read it through
// this fragment, so a reassigned lead comes back with the same history the page shows.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { describeEvent } from "../leadDetail";
import { Timeline } from "./Timeline";

export const LeadHistoryFragment = graphql(`
  fragment LeadHistory_lead on Lead {
    history {
      kind
      at
      note
      outcome
      closeReason
      actor {
        id
        name
      }
      assignee {
        id
        name
      }
      previousAssignee {
        id
        name
      }
    }
  }
`);

export function LeadHistory({ lead }: { lead: FragmentType<typeof LeadHistoryFragment> }) {
  const { t } = useI18n();
  const { history } = getFragmentData(LeadHistoryFragment, lead);
  return (
    <Timeline
      titleId="history-title"
      title={t("lead.history")}
      testId="history"
      events={history}
      describe={describeEvent}
    />
  );
}
