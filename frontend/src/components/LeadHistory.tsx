// A lead's history timeline. The lead detail query and the reassignment both read it through
// this fragment, so a reassigned lead comes back with the same history the page shows.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { LOCALES, describeEvent, describeRescheduleNote } from "../leadDetail";
import { formatStepTime } from "../nextStep";
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
      activity {
        id
        kind
      }
    }
  }
`);

export function LeadHistory({ lead }: { lead: FragmentType<typeof LeadHistoryFragment> }) {
  const { t, language } = useI18n();
  const { history } = getFragmentData(LeadHistoryFragment, lead);
  // A rescheduling's note is the two due times (UTC): shown in the viewer's local time.
  const format = (at: Date) => formatStepTime(LOCALES[language], at);
  const events = history.map((event) =>
    event.kind === "ACTIVITY_RESCHEDULED"
      ? { ...event, note: describeRescheduleNote(format, event.note) }
      : event,
  );
  return (
    <Timeline
      titleId="history-title"
      title={t("lead.history")}
      testId="history"
      events={events}
      describe={describeEvent}
    />
  );
}
