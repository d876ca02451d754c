// "Verkaufschancen": the pipeline board (one column per stage) or the paged list, chosen by the
// "Board | Liste" switch and kept in the URL with the owner and campaign filters that apply to
// both; managers pick any owner, clerks see their own.
import type { ChangeEvent } from "react";
import { useQuery } from "urql";
import { ClerksDocument } from "../components/AssignDialog";
import { CampaignSelect } from "../components/CampaignSelect";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { SortHeader } from "../components/SortHeader";
import { PipelineBoard } from "../components/PipelineBoard";
import { QueryState } from "../components/QueryState";
import { leadName, readContactName } from "../format";
import { graphql } from "../gql";
import type { OpportunityOrder, OpportunityStage } from "../gql/graphql";
import { useI18n } from "../I18n";
import { formatDateTime, formatMoney } from "../leadDetail";
import { readOpportunityFacts } from "../opportunityFacts";
import { usePageTitle } from "../pageTitle";
import {
  type OpportunitiesScreenState,
  type OpportunitiesView,
  OPPORTUNITY_SORT_COLUMNS,
  formatCloseDate,
  opportunitiesScreenUrl,
  parseOpportunitiesScreen,
} from "../pipeline";
import { navigate, useLocation } from "../router";
import { STAGES, opportunityPath } from "../routes";
import { type Viewer, isManager } from "../viewer";
import { OptOutBadge } from "../components/OptOutBadge";

const PAGE_SIZE = 25;
const VIEWS: readonly OpportunitiesView[] = ["board", "list"];
// The list's columns, in order, with their headers' texts.
const COLUMNS = [
  ["title", "opps.col.title"],
  ["contact", "opps.col.contact"],
  ["owner", "opps.col.owner"],
  ["stage", "opps.col.stage"],
  ["value", "opps.col.value"],
  ["closeDate", "opp.closeDate"],
  ["created", "opps.col.created"],
] as const satisfies readonly (readonly [keyof typeof OPPORTUNITY_SORT_COLUMNS, string])[];

const OpportunitiesDocument = graphql(`
  query Opportunities(
    $filter: OpportunityFilter
    $orderBy: OpportunityOrder
    $first: Int!
    $after: String
  ) {
    opportunities(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...OpportunityFacts_opportunity
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export function Opportunities({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
  usePageTitle(t("opps.title"));
  const { search } = useLocation();
  const manages = isManager(viewer);
  const state = parseOpportunitiesScreen(search);
  // Clerks see theirs: the owner filter is always themselves.
  const ownerId = manages ? state.ownerId : viewer.id;
  const [clerks] = useQuery({ query: ClerksDocument, pause: !manages });

  function show(next: Partial<OpportunitiesScreenState>) {
    navigate(opportunitiesScreenUrl({ ...state, ...next, cursors: [] }));
  }

  return (
    <section aria-labelledby="opportunities-title">
      <h1 id="opportunities-title">{t("opps.title")}</h1>
      <nav className="view-switch" aria-label={t("opps.view")}>
        {VIEWS.map((view) => (
          <Link
            key={view}
            href={opportunitiesScreenUrl({ ...state, view, cursors: [] })}
            current={state.view === view}
          >
            {t(`opps.view.${view}`)}
          </Link>
        ))}
      </nav>
      <div className="toolbar filters" role="group" aria-label={t("opps.filters")}>
        {manages && (
          <label>
            {t("opps.owner")}{" "}
            <select
              value={state.ownerId}
              onChange={(event: ChangeEvent<HTMLSelectElement>) =>
                show({ ownerId: event.target.value })
              }
            >
              <option value="">{t("opps.anyOwner")}</option>
              {(clerks.data?.users ?? []).map((clerk) => (
                <option key={clerk.id} value={clerk.id}>
                  {clerk.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t("leads.filter.campaign")}{" "}
          <CampaignSelect
            id="opportunities-campaign"
            value={state.campaignId}
            onChange={(campaignId) => show({ campaignId })}
          />
        </label>
        {state.view === "list" && (
          <label>
            {t("opps.stage")}{" "}
            <select
              value={state.stage}
              onChange={(event: ChangeEvent<HTMLSelectElement>) =>
                show({ stage: event.target.value as OpportunityStage | "" })
              }
            >
              <option value="">{t("opps.anyStage")}</option>
              {STAGES.map((stage) => (
                <option key={stage} value={stage}>
                  {t(`stage.${stage}`)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {state.view === "board" ? (
        <PipelineBoard
          // Other filters: other columns, each from its first page again.
          key={`${ownerId}|${state.campaignId}`}
          filter={{ ownerId: ownerId || null, campaignId: state.campaignId || null }}
          viewerId={viewer.id}
          manages={manages}
        />
      ) : (
        <OpportunityList state={state} ownerId={ownerId} />
      )}
    </section>
  );
}

function OpportunityList({ state, ownerId }: { state: OpportunitiesScreenState; ownerId: string }) {
  const { t, language } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: OpportunitiesDocument,
    variables: {
      filter: {
        ownerId: ownerId || null,
        stage: state.stage || null,
        campaignId: state.campaignId || null,
      },
      orderBy: state.order,
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
    },
    requestPolicy: "cache-and-network",
  });
  const opportunities =
    data?.opportunities.edges.map((edge) => readOpportunityFacts(edge.node)) ?? [];
  const total = data?.opportunities.totalCount ?? 0;
  // Another order: its first page (a cursor belongs to its order).
  const orderUrl = (order: OpportunityOrder) =>
    opportunitiesScreenUrl({ ...state, order, cursors: [] });

  return (
    <>
      {data && <p data-testid="opportunities-total">{t("opps.total", { count: total })}</p>}
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={opportunities.length === 0}
        empty={t("opps.empty")}
      />
      {opportunities.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                {COLUMNS.map(([column, header]) => (
                  <SortHeader
                    key={column}
                    column={OPPORTUNITY_SORT_COLUMNS[column]}
                    current={state.order}
                    urlOf={orderUrl}
                  >
                    {t(header)}
                  </SortHeader>
                ))}
              </tr>
            </thead>
            <tbody>
              {opportunities.map((opportunity) => (
                <tr key={opportunity.id}>
                  <td>
                    <Link href={opportunityPath(opportunity.id)}>{opportunity.title}</Link>
                  </td>
                  <td>
                    {leadName(readContactName(opportunity.contact))}
                    <OptOutBadge contact={readContactName(opportunity.contact)} />
                  </td>
                  <td>{opportunity.owner.name}</td>
                  <td>{t(`stage.${opportunity.stage}`)}</td>
                  <td>
                    {opportunity.expectedValue
                      ? formatMoney(language, opportunity.expectedValue)
                      : t("lead.none")}
                  </td>
                  <td>
                    {opportunity.expectedCloseDate
                      ? formatCloseDate(language, opportunity.expectedCloseDate)
                      : t("lead.none")}
                  </td>
                  <td>{formatDateTime(language, opportunity.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.opportunities.pageInfo}
        urlOf={opportunitiesScreenUrl}
      />
    </>
  );
}
