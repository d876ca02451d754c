// A Verkaufschance's history timeline. The detail query and the hand-over read it through this
// fragment, so a handed-over opportunity comes back with the same history the page shows. A move
// names the stage it left, an edit its changes in words.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import type { Translate } from "../i18n";
import { type OpportunityEventLike, describeOpportunityEvent } from "../leadDetail";
import { describeOpportunityChanges } from "../pipeline";
import { Timeline } from "./Timeline";

export const OpportunityHistoryFragment = graphql(`
  fragment OpportunityHistory_opportunity on Opportunity {
    history {
      kind
      at
      note
      stage
      previousStage
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

type HistoryEvent = OpportunityEventLike & { previousStage?: OpportunityEventLike["stage"] };

function describe(t: Translate, event: HistoryEvent): string {
  if (event.kind === "STAGE_CHANGED" && event.stage && event.previousStage) {
    return t("opp.event.STAGE_MOVED", {
      previous: t(`stage.${event.previousStage}`),
      stage: t(`stage.${event.stage}`),
    });
  }
  return describeOpportunityEvent(t, event);
}

export function OpportunityHistory({
  opportunity,
}: {
  opportunity: FragmentType<typeof OpportunityHistoryFragment>;
}) {
  const { t, language } = useI18n();
  const { history } = getFragmentData(OpportunityHistoryFragment, opportunity);
  const events = history.map((event) =>
    event.kind === "UPDATED"
      ? { ...event, note: describeOpportunityChanges(t, language, event.note) }
      : event,
  );
  return (
    <Timeline
      titleId="opportunity-history-title"
      title={t("opp.history")}
      testId="opportunity-history"
      events={events}
      describe={describe}
    />
  );
}
