// "Verkaufschancen": a paged list with owner and stage filters; managers pick any owner,
// clerks see their own.
import type { ChangeEvent } from "react";
import { useQuery } from "urql";
import { ClerksDocument } from "../components/AssignDialog";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { leadName, readContactName } from "../format";
import { graphql } from "../gql";
import type { OpportunityStage } from "../gql/graphql";
import { useI18n } from "../I18n";
import { formatDateTime, formatMoney } from "../leadDetail";
import { readOpportunityFacts } from "../opportunityFacts";
import { navigate, useLocation } from "../router";
import { STAGES, opportunitiesUrl, opportunityPath, parseOpportunities } from "../routes";
import { type Viewer, isManager } from "../viewer";

const PAGE_SIZE = 25;

const OpportunitiesDocument = graphql(`
  query Opportunities($filter: OpportunityFilter, $first: Int!, $after: String) {
    opportunities(filter: $filter, first: $first, after: $after) {
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
  const { t, language } = useI18n();
  const { search } = useLocation();
  const manages = isManager(viewer);
  const state = parseOpportunities(search);
  // Clerks see theirs: the owner filter is always themselves.
  const ownerId = manages ? state.ownerId : viewer.id;
  const [clerks] = useQuery({ query: ClerksDocument, pause: !manages });
  const [{ data, fetching, error }] = useQuery({
    query: OpportunitiesDocument,
    variables: {
      filter: { ownerId: ownerId || null, stage: state.stage || null },
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
    },
    requestPolicy: "cache-and-network",
  });
  const opportunities =
    data?.opportunities.edges.map((edge) => readOpportunityFacts(edge.node)) ?? [];
  const total = data?.opportunities.totalCount ?? 0;

  function changeOwner(event: ChangeEvent<HTMLSelectElement>) {
    navigate(opportunitiesUrl({ ...state, ownerId: event.target.value, cursors: [] }));
  }
  function changeStage(event: ChangeEvent<HTMLSelectElement>) {
    const stage = event.target.value as OpportunityStage | "";
    navigate(opportunitiesUrl({ ...state, stage, cursors: [] }));
  }

  return (
    <section aria-labelledby="opportunities-title">
      <h1 id="opportunities-title">{t("opps.title")}</h1>
      <div className="toolbar" role="group" aria-label={t("opps.filters")}>
        {manages && (
          <label>
            {t("opps.owner")}{" "}
            <select value={state.ownerId} onChange={changeOwner}>
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
          {t("opps.stage")}{" "}
          <select value={state.stage} onChange={changeStage}>
            <option value="">{t("opps.anyStage")}</option>
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {t(`stage.${stage}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {data && <p data-testid="opportunities-total">{t("opps.total", { count: total })}</p>}
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={opportunities.length === 0}
        empty={t("opps.empty")}
      />
      {opportunities.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("opps.col.title")}</th>
              <th scope="col">{t("opps.col.contact")}</th>
              <th scope="col">{t("opps.col.owner")}</th>
              <th scope="col">{t("opps.col.stage")}</th>
              <th scope="col">{t("opps.col.value")}</th>
              <th scope="col">{t("opps.col.created")}</th>
            </tr>
          </thead>
          <tbody>
            {opportunities.map((opportunity) => (
              <tr key={opportunity.id}>
                <td>
                  <Link href={opportunityPath(opportunity.id)}>{opportunity.title}</Link>
                </td>
                <td>{leadName(readContactName(opportunity.contact))}</td>
                <td>{opportunity.owner.name}</td>
                <td>{t(`stage.${opportunity.stage}`)}</td>
                <td>
                  {opportunity.expectedValue
                    ? formatMoney(language, opportunity.expectedValue)
                    : t("lead.none")}
                </td>
                <td>{formatDateTime(language, opportunity.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.opportunities.pageInfo}
        urlOf={opportunitiesUrl}
      />
    </section>
  );
}
