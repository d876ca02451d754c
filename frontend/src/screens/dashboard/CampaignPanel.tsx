// The dashboard's figures per campaign: counts, conversion, medians and why leads failed.
import { useQuery } from "urql";
import { campaignColumns } from "../../campaigns";
import { ConversionChart, ReasonsChart } from "../../components/DashboardCharts";
import { QueryState } from "../../components/QueryState";
import { type Column, type ColumnGroup, ReportTable } from "../../components/ReportTable";
import { type Range, formatDuration } from "../../dashboard";
import { graphql } from "../../gql";
import type { CampaignReportsQuery } from "../../gql/graphql";
import { useI18n } from "../../I18n";

const CampaignReportsDocument = graphql(`
  query CampaignReports($campaignId: ID, $from: DateTime, $to: DateTime) {
    campaignReports(campaignId: $campaignId, from: $from, to: $to) {
      campaign {
        id
        name
      }
      total
      new
      active
      done
      successful
      unsuccessful
      conversionRate
      unsuccessfulByReason {
        reason
        count
      }
      medianSecondsToAssignment
      medianSecondsToFirstFeedback
      medianSecondsToClose
      mediansEstimated
    }
  }
`);

type CampaignReport = CampaignReportsQuery["campaignReports"][number];

export function CampaignPanel({ campaignId, range }: { campaignId: string; range: Range }) {
  const { t, language } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: CampaignReportsDocument,
    variables: { campaignId: campaignId || null, from: range.from, to: range.to },
    requestPolicy: "cache-and-network",
  });
  const reports = data?.campaignReports ?? [];
  const reasons = reports[0]?.unsuccessfulByReason.map((entry) => entry.reason) ?? [];
  const campaign = campaignColumns<CampaignReport>(
    t,
    language,
    (report) => report.campaign.name,
    (report) => report,
  );
  const figures: (Column<CampaignReport> | ColumnGroup<CampaignReport>)[] = [
    ...campaign.figures,
    {
      key: "medians",
      header: t("dashboard.medians"),
      columns: [
        {
          key: "toAssignment",
          header: t("dashboard.toAssignment"),
          cell: (report) => formatDuration(t, report.medianSecondsToAssignment),
        },
        {
          key: "toFirstFeedback",
          header: t("dashboard.toFirstFeedback"),
          cell: (report) => formatDuration(t, report.medianSecondsToFirstFeedback),
        },
        {
          key: "toClose",
          header: t("dashboard.toClose"),
          cell: (report) => formatDuration(t, report.medianSecondsToClose),
        },
      ],
    },
  ];
  // Every report lists every reason, in the same order.
  const byReason: Column<CampaignReport>[] = [
    campaign.name,
    ...reasons.map((reason, position) => ({
      key: reason,
      header: t(`reason.${reason}`),
      cell: (report: CampaignReport) => report.unsuccessfulByReason[position]?.count,
    })),
  ];
  return (
    <section aria-labelledby="dashboard-campaigns" className="card">
      <h2 id="dashboard-campaigns">{t("dashboard.campaigns")}</h2>
      <p className="hint">{t("dashboard.campaignsHint")}</p>
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={reports.length === 0}
        empty={t("campaigns.empty")}
      />
      {reports.length > 0 && (
        <>
          <div className="table-scroll">
            <ReportTable
              testId="campaign-reports"
              columns={figures}
              rows={reports}
              rowKey={(report) => report.campaign.id}
            />
          </div>
          <div className="chart-grid">
            <ConversionChart reports={reports} />
            <ReasonsChart reports={reports} />
          </div>
          <ReportTable
            testId="reason-table"
            caption={t("dashboard.reasonsTable")}
            columns={byReason}
            rows={reports}
            rowKey={(report) => report.campaign.id}
          />
          <p className="hint">
            {t("campaigns.rateHint")} {t("dashboard.medianHint")}
          </p>
          {reports.some((report) => report.mediansEstimated) && (
            <p className="hint" data-testid="campaign-medians-estimated">
              {t("dashboard.mediansEstimated")}
            </p>
          )}
        </>
      )}
    </section>
  );
}
