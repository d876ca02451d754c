// The Verkaufschancen as a pipeline board: one column per stage in pipeline order, with its count
// and value sum (`pipeline`) and its cards (`opportunities` of that stage, 50 at a time). A card
// moves by dragging it to another column or by its "Verschieben nach …" menu; either way the
// same move (with its questions for WON and LOST) runs, and counts, sums and columns refresh.
import { type DragEvent, useEffect, useState } from "react";
import { type AnyVariables, type TypedDocumentNode, type UseQueryArgs, useQuery } from "urql";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import type { OpportunityStage } from "../gql/graphql";
import { useI18n } from "../I18n";
import { formatMoney } from "../leadDetail";
import { BOARD_PAGE_SIZE, CARD_DRAG_TYPE, moveTargets, readCardDragData } from "../pipeline";
import { STAGES } from "../routes";
import { MoveOutcomeNotice, useOpportunityMove } from "./MoveOpportunityMenu";
import { OpportunityCard } from "./OpportunityCard";

const PipelineDocument = graphql(`
  query Pipeline($filter: PipelineFilter) {
    pipeline(filter: $filter) {
      stage
      count
      totalValue
    }
  }
`);

const BoardColumnDocument = graphql(`
  query BoardColumn($filter: OpportunityFilter, $first: Int!, $after: String) {
    opportunities(filter: $filter, first: $first, after: $after) {
      edges {
        node {
          id
          ...OpportunityCard_opportunity
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

// urql's document cache refetches a query when a mutation returns a type the query's result
// holds; an empty column and the figures hold no Opportunity, yet a move changes them.
const REFRESHED_BY_MOVES = { additionalTypenames: ["Opportunity"] };

/** A board query: refreshed by every move, and loaded again when `generation` counts up. */
function useFreshQuery<Data, Variables extends AnyVariables>(
  generation: number,
  args: { query: TypedDocumentNode<Data, Variables>; variables: Variables },
) {
  const [result, reexecute] = useQuery<Data, Variables>({
    ...args,
    requestPolicy: "cache-and-network",
    context: REFRESHED_BY_MOVES,
  } as UseQueryArgs<Variables, Data>);
  useEffect(() => {
    if (generation > 0) reexecute({ requestPolicy: "network-only" });
  }, [generation, reexecute]);
  return [result] as const;
}

export interface BoardFilter {
  ownerId: string | null;
  campaignId: string | null;
}

export function PipelineBoard({
  filter,
  viewerId,
  manages,
}: {
  filter: BoardFilter;
  viewerId: string;
  manages: boolean;
}) {
  const { t } = useI18n();
  // Counts up when a move was refused: the columns and figures load again from the server.
  const [generation, setGeneration] = useState(0);
  const [{ data, error }] = useFreshQuery(generation, {
    query: PipelineDocument,
    variables: { filter },
  });
  const move = useOpportunityMove(() => setGeneration((current) => current + 1));
  const targetsFor = (stage: OpportunityStage, ownerId: string) =>
    moveTargets(stage, { manages, owns: ownerId === viewerId });
  const onMove = (card: { id: string; title: string }, target: OpportunityStage) =>
    move.request({ id: card.id, title: card.title, target });

  return (
    <>
      <MoveOutcomeNotice outcome={move.outcome} />
      {error && (
        <p role="alert" className="problem">
          {errorText(t, error)}
        </p>
      )}
      <p className="hint">{t("board.hint")}</p>
      <div className="board" role="group" aria-label={t("board.label")} aria-busy={move.busy}>
        {STAGES.map((stage) => {
          const figures = data?.pipeline.find((row) => row.stage === stage);
          return (
            <BoardColumn
              key={stage}
              stage={stage}
              count={figures?.count}
              totalValue={figures?.totalValue}
              filter={filter}
              generation={generation}
              showOwner={manages}
              targetsFor={targetsFor}
              onMove={onMove}
            />
          );
        })}
      </div>
      {move.dialog}
    </>
  );
}

function BoardColumn({
  stage,
  count,
  totalValue,
  filter,
  generation,
  showOwner,
  targetsFor,
  onMove,
}: {
  stage: OpportunityStage;
  count: number | undefined;
  totalValue: string | undefined;
  filter: BoardFilter;
  generation: number;
  showOwner: boolean;
  targetsFor: (stage: OpportunityStage, ownerId: string) => OpportunityStage[];
  onMove: (card: { id: string; title: string }, target: OpportunityStage) => void;
}) {
  const { t, language } = useI18n();
  // The cursors of the pages after the first that "Mehr anzeigen" opened.
  const [cursors, setCursors] = useState<string[]>([]);
  const [dropping, setDropping] = useState(false);
  const titleId = `column-${stage}`;

  function isCard(event: DragEvent<HTMLElement>): boolean {
    return event.dataTransfer.types.includes(CARD_DRAG_TYPE);
  }
  function dragOver(event: DragEvent<HTMLElement>) {
    if (!isCard(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    setDropping(true);
  }
  function drop(event: DragEvent<HTMLElement>) {
    setDropping(false);
    if (!isCard(event)) return;
    event.preventDefault();
    const card = readCardDragData(event.dataTransfer.getData(CARD_DRAG_TYPE));
    if (card && card.stage !== stage) onMove(card, stage);
  }

  return (
    <section
      className={dropping ? "board-column dropping" : "board-column"}
      aria-labelledby={titleId}
      data-testid={`column-${stage}`}
      onDragOver={dragOver}
      onDragLeave={(event) => {
        // Leaving for one of its own cards is still over the column.
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
      }}
      onDrop={drop}
    >
      <h2 id={titleId}>{t(`stage.${stage}`)}</h2>
      <p className="board-figures" data-testid={`figures-${stage}`}>
        {count === undefined || totalValue === undefined
          ? t("app.loading")
          : t("board.figures", { count, value: formatMoney(language, totalValue) })}
      </p>
      {[null, ...cursors].map((after, position) => (
        <ColumnPage
          key={after ?? "first"}
          stage={stage}
          filter={filter}
          generation={generation}
          after={after}
          isLast={position === cursors.length}
          showOwner={showOwner}
          targetsFor={targetsFor}
          onMove={onMove}
          onMore={(endCursor) => setCursors([...cursors, endCursor])}
        />
      ))}
    </section>
  );
}

function ColumnPage({
  stage,
  filter,
  generation,
  after,
  isLast,
  showOwner,
  targetsFor,
  onMove,
  onMore,
}: {
  stage: OpportunityStage;
  filter: BoardFilter;
  generation: number;
  after: string | null;
  isLast: boolean;
  showOwner: boolean;
  targetsFor: (stage: OpportunityStage, ownerId: string) => OpportunityStage[];
  onMove: (card: { id: string; title: string }, target: OpportunityStage) => void;
  onMore: (endCursor: string) => void;
}) {
  const { t } = useI18n();
  const [{ data, error }] = useFreshQuery(generation, {
    query: BoardColumnDocument,
    variables: { filter: { ...filter, stage }, first: BOARD_PAGE_SIZE, after },
  });
  if (error) return <p role="alert">{errorText(t, error)}</p>;
  if (!data) return null;
  const { edges, pageInfo } = data.opportunities;
  const endCursor = pageInfo.endCursor;
  return (
    <>
      {edges.length > 0 ? (
        <ul className="board-cards">
          {edges.map(({ node }) => (
            <OpportunityCard
              key={node.id}
              opportunity={node}
              showOwner={showOwner}
              targetsFor={targetsFor}
              onMove={onMove}
            />
          ))}
        </ul>
      ) : (
        after === null && <p className="empty">{t("board.emptyColumn")}</p>
      )}
      {isLast && pageInfo.hasNextPage && endCursor && (
        <button type="button" className="board-more" onClick={() => onMore(endCursor)}>
          {t("board.more")}
        </button>
      )}
    </>
  );
}
