// A Verkaufschance's history timeline. The detail query and the hand-over read it through this
// fragment, so a handed-over opportunity comes back with the same history the page shows.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { describeActor, describeOpportunityEvent, formatDateTime } from "../leadDetail";

export const OpportunityHistoryFragment = graphql(`
  fragment OpportunityHistory_opportunity on Opportunity {
    history {
      kind
      at
      note
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
  const { t, language } = useI18n();
  const { history } = getFragmentData(OpportunityHistoryFragment, opportunity);
  return (
    <section className="card" aria-labelledby="opportunity-history-title">
      <h2 id="opportunity-history-title">{t("opp.history")}</h2>
      <ol className="timeline" data-testid="opportunity-history">
        {history.map((event, position) => (
          <li key={`${event.at}-${position}`}>
            <time dateTime={event.at}>{formatDateTime(language, event.at)}</time>{" "}
            <strong>{describeOpportunityEvent(t, event)}</strong>{" "}
            <span className="meta">{describeActor(t, event)}</span>
            {event.note && <p className="note">{event.note}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
