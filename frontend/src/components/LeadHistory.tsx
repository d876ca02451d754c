// A lead's history timeline. The lead detail query and the reassignment both read it through
// this fragment, so a reassigned lead comes back with the same history the page shows.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { describeActor, describeEvent, formatDateTime } from "../leadDetail";

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
  const { t, language } = useI18n();
  const { history } = getFragmentData(LeadHistoryFragment, lead);
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">{t("lead.history")}</h2>
      <ol className="timeline" data-testid="history">
        {history.map((event, position) => (
          <li key={`${event.at}-${position}`}>
            <time dateTime={event.at}>{formatDateTime(language, event.at)}</time>{" "}
            <strong>{describeEvent(t, event)}</strong>{" "}
            <span className="meta">{describeActor(t, event)}</span>
            {event.note && <p className="note">{event.note}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
