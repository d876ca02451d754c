// One Verkaufschance on the pipeline board: title (link), contact, value, expected close date,
// owner for managers, and "Verschieben nach …" (the keyboard's way to move it); the card can
// also be dragged to another column when the viewer may move it.
import { type DragEvent, useState } from "react";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import type { OpportunityStage } from "../gql/graphql";
import { leadName, readContactName } from "../format";
import { useI18n } from "../I18n";
import { formatMoney } from "../leadDetail";
import { CARD_DRAG_TYPE, cardDragData, formatCloseDate } from "../pipeline";
import { opportunityPath } from "../routes";
import { Link } from "./Link";
import { MoveOpportunityMenu } from "./MoveOpportunityMenu";
import { OptOutBadge } from "./OptOutBadge";

export const OpportunityCardFragment = graphql(`
  fragment OpportunityCard_opportunity on Opportunity {
    id
    title
    stage
    expectedValue
    expectedCloseDate
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

export type OpportunityCardRef = FragmentType<typeof OpportunityCardFragment>;

export function OpportunityCard({
  opportunity,
  showOwner,
  targetsFor,
  onMove,
}: {
  opportunity: OpportunityCardRef;
  showOwner: boolean;
  /** The stages this viewer may move a card to (none: neither menu nor dragging). */
  targetsFor: (stage: OpportunityStage, ownerId: string) => OpportunityStage[];
  onMove: (card: { id: string; title: string }, target: OpportunityStage) => void;
}) {
  const { t, language } = useI18n();
  const card = getFragmentData(OpportunityCardFragment, opportunity);
  const targets = targetsFor(card.stage, card.owner.id);
  const contact = leadName(readContactName(card.contact));
  const [dragging, setDragging] = useState(false);

  function startDrag(event: DragEvent<HTMLElement>) {
    event.dataTransfer.setData(CARD_DRAG_TYPE, cardDragData(card));
    event.dataTransfer.effectAllowed = "move";
    setDragging(true);
  }

  return (
    <li
      className={dragging ? "board-card dragging" : "board-card"}
      data-testid="board-card"
      draggable={targets.length > 0}
      onDragStart={targets.length > 0 ? startDrag : undefined}
      onDragEnd={() => setDragging(false)}
    >
      <Link href={opportunityPath(card.id)}>{card.title}</Link>
      {contact && (
        <span className="meta">
          {contact}
          <OptOutBadge contact={readContactName(card.contact)} />
        </span>
      )}
      <span className="board-value">
        {card.expectedValue ? formatMoney(language, card.expectedValue) : t("board.noValue")}
      </span>
      {card.expectedCloseDate && (
        <span className="meta">
          {t("board.closeBy", { date: formatCloseDate(language, card.expectedCloseDate) })}
        </span>
      )}
      {showOwner && <span className="meta">{card.owner.name}</span>}
      {targets.length > 0 && (
        <MoveOpportunityMenu
          id={`move-${card.id}`}
          title={card.title}
          label={t("board.moveLabel", { title: card.title })}
          targets={targets}
          onChoose={(target) => onMove(card, target)}
        />
      )}
    </li>
  );
}
