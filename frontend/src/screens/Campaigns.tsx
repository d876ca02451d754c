// "Kampagnen" for managers: every campaign (paged) with New/Active/Done and the outcomes as a
// horizontal stacked bar, the conversion rate, and the same numbers as a table; below, per
// campaign, the import of lead files, the export and the latest imports, its distribution and
// its retention (changed by admins only). Above, "Neue Kampagne";
// on each campaign, "Lead hinzufügen" for a single lead.
import type { ChartData } from "chart.js";
import { useCallback, useState } from "react";
import { useQuery } from "urql";
import { barSegments, campaignColumns, SEGMENTS, type Segment } from "../campaigns";
import { HorizontalBarChart, STACKED } from "../components/BarChart";
import { CampaignDistributionForm } from "../components/CampaignDistributionForm";
import { CampaignExport } from "../components/CampaignExport";
import { CampaignImport } from "../components/CampaignImport";
import { CampaignRetentionForm } from "../components/CampaignRetentionForm";
import { ImportHistory } from "../components/ImportHistory";
import { Link } from "../components/Link";
import { NewCampaign } from "../components/NewCampaignForm";
import { NewLeadForm } from "../components/NewLeadForm";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { ReportTable } from "../components/ReportTable";
import { graphql } from "../gql";
import type { CampaignsQuery } from "../gql/graphql";
import { useI18n } from "../I18n";
import { usePageTitle } from "../pageTitle";
import { useLocation } from "../router";
import { mayDecideRetention } from "../privacy";
import { leadPath, pagingUrl, parsePaging } from "../routes";
import type { Viewer } from "../viewer";

const PAGE_SIZE = 10;
const PATH = "/campaigns";

const SEGMENT_COLORS: Record<Segment, string> = {
  new: "#8fb3e6",
  active: "#1d5fbf",
  successful: "#2e8b57",
  unsuccessful: "#c0392b",
  doneOther: "#9aa5b1",
};

const CampaignsDocument = graphql(`
  query Campaigns($first: Int!, $after: String) {
    campaigns(first: $first, after: $after) {
      totalCount
      edges {
        node {
          id
          name
          stats {
            total
            new
            active
            done
            successful
            unsuccessful
            conversionRate
          }
          imports(first: 5) {
            ...ImportHistory_leadImport
          }
          ...CampaignDistribution_campaign
          ...CampaignRetention_campaign
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

type Campaign = CampaignsQuery["campaigns"]["edges"][number]["node"];

export function Campaigns({ viewer }: { viewer: Viewer }) {
  const { t, language } = useI18n();
  usePageTitle(t("campaigns.title"));
  const { search } = useLocation();
  const state = parsePaging(search);
  const [{ data, fetching, error }, refresh] = useQuery({
    query: CampaignsDocument,
    variables: { first: PAGE_SIZE, after: state.cursors.at(-1) ?? null },
    requestPolicy: "cache-and-network",
  });
  const campaigns = data?.campaigns.edges.map((edge) => edge.node) ?? [];
  const total = data?.campaigns.totalCount ?? 0;
  // After an import: new leads in the figures, the import in its campaign's list.
  const reload = useCallback(() => refresh({ requestPolicy: "network-only" }), [refresh]);
  const columns = campaignColumns<Campaign>(
    t,
    language,
    (campaign) => campaign.name,
    (campaign) => campaign.stats,
  ).figures;

  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">{t("campaigns.title")}</h1>
      {/* An empty list holds no Campaign that the document cache would refresh: reload. */}
      <NewCampaign viewer={viewer} onCreated={reload} />
      {data && <p data-testid="campaigns-total">{t("campaigns.total", { count: total })}</p>}
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={campaigns.length === 0}
        empty={t("campaigns.empty")}
      />
      {campaigns.length > 0 && (
        <>
          <CampaignChart campaigns={campaigns} />
          <ReportTable
            columns={columns}
            rows={campaigns}
            rowKey={(campaign) => campaign.id}
            rowTestId="campaign-row"
          />
          <p className="empty">{t("campaigns.rateHint")}</p>
        </>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.campaigns.pageInfo}
        urlOf={(paging) => pagingUrl(PATH, paging)}
      />
      {campaigns.length > 0 && (
        <section aria-labelledby="campaign-files-title" className="campaign-files">
          <h2 id="campaign-files-title">{t("campaigns.files")}</h2>
          {campaigns.map((campaign) => (
            <CampaignFiles
              key={campaign.id}
              campaign={campaign}
              mayChangeRetention={mayDecideRetention(viewer)}
              onImported={reload}
            />
          ))}
        </section>
      )}
    </section>
  );
}

/** Import, export and the latest imports of one campaign; its distribution and retention. */
function CampaignFiles({
  campaign,
  mayChangeRetention,
  onImported,
}: {
  campaign: Campaign;
  mayChangeRetention: boolean;
  onImported: () => void;
}) {
  const titleId = `files-${campaign.id}`;
  return (
    <section className="card files" aria-labelledby={titleId}>
      <h3 id={titleId}>{campaign.name}</h3>
      <CampaignImport
        campaignId={campaign.id}
        campaignName={campaign.name}
        onImported={onImported}
      />
      <CampaignExport campaignId={campaign.id} />
      <ImportHistory imports={campaign.imports} />
      <CampaignDistributionForm campaign={campaign} />
      <CampaignRetentionForm campaign={campaign} mayChange={mayChangeRetention} />
      <AddLead campaign={campaign} onAdded={onImported} />
    </section>
  );
}

/** "Lead hinzufügen": the form opens on demand, and says which lead it added. */
function AddLead({ campaign, onAdded }: { campaign: Campaign; onAdded: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [added, setAdded] = useState<{ id: string; name: string } | null>(null);
  const formId = `add-lead-${campaign.id}`;
  return (
    <div className="add-lead">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={formId}
        onClick={() => setOpen(!open)}
      >
        {t("leadForm.open")}
      </button>
      <div className="notices" aria-live="polite">
        {added && (
          <p className="success" role="status">
            {t("leadForm.added", { name: added.name })}{" "}
            <Link href={leadPath(added.id)}>{t("leadForm.openLead")}</Link>
          </p>
        )}
      </div>
      {open && (
        <div id={formId}>
          <NewLeadForm
            campaignId={campaign.id}
            campaignName={campaign.name}
            onAdded={(id, name) => {
              setAdded({ id, name });
              onAdded();
            }}
          />
        </div>
      )}
    </div>
  );
}

function CampaignChart({ campaigns }: { campaigns: Campaign[] }) {
  const { t } = useI18n();
  const bars = campaigns.map((campaign) => barSegments(campaign.stats));
  // A part no campaign on this page has stays out of the legend.
  const segments = SEGMENTS.filter(
    (segment) => segment !== "doneOther" || bars.some((bar) => bar.doneOther > 0),
  );
  const chartData: ChartData<"bar", number[], string> = {
    labels: campaigns.map((campaign) => campaign.name),
    datasets: segments.map((segment) => ({
      label: t(`campaigns.segment.${segment}`),
      data: bars.map((bar) => bar[segment]),
      backgroundColor: SEGMENT_COLORS[segment],
      barThickness: 22,
    })),
  };
  const summary = campaigns
    .map((campaign) =>
      t("campaigns.chartSummary", {
        name: campaign.name,
        new: campaign.stats.new,
        active: campaign.stats.active,
        successful: campaign.stats.successful,
        unsuccessful: campaign.stats.unsuccessful,
      }),
    )
    .join("; ");
  return (
    <HorizontalBarChart
      className="campaign-chart"
      caption={t("campaigns.chart")}
      summary={summary}
      data={chartData}
      options={STACKED}
      height={80 + campaigns.length * 36}
    />
  );
}
