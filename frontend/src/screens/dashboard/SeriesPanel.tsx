// The dashboard's leads over time: created, successful and unsuccessful per day or week.
import { useQuery } from "urql";
import { SeriesChart, type SeriesPoint } from "../../components/DashboardCharts";
import { QueryState } from "../../components/QueryState";
import { type Column, ReportTable } from "../../components/ReportTable";
import { type Range, SERIES_COUNTS, formatDay, seriesTotals } from "../../dashboard";
import { graphql } from "../../gql";
import type { ReportInterval } from "../../gql/graphql";
import { useI18n } from "../../I18n";

const LeadTimeSeriesDocument = graphql(`
  query LeadTimeSeries(
    $interval: ReportInterval!
    $from: DateTime!
    $to: DateTime!
    $campaignId: ID
  ) {
    leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {
      start
      created
      successful
      unsuccessful
    }
  }
`);

export function SeriesPanel({
  campaignId,
  range,
  interval,
}: {
  campaignId: string;
  range: Range;
  interval: ReportInterval;
}) {
  const { t, language } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: LeadTimeSeriesDocument,
    variables: { interval, from: range.from, to: range.to, campaignId: campaignId || null },
    requestPolicy: "cache-and-network",
  });
  const points: readonly SeriesPoint[] = data?.leadTimeSeries ?? [];
  const totals = seriesTotals(points);
  const columns: Column<SeriesPoint>[] = [
    {
      key: "start",
      header: t(interval === "WEEK" ? "dashboard.weekOf" : "dashboard.day"),
      rowHeader: true,
      cell: (point) => formatDay(language, point.start),
      foot: t("dashboard.sum"),
    },
    ...SERIES_COUNTS.map((count) => ({
      key: count,
      header: t(`dashboard.series.${count}`),
      cell: (point: SeriesPoint) => point[count],
      foot: totals[count],
    })),
  ];
  return (
    <section aria-labelledby="dashboard-series" className="card">
      <h2 id="dashboard-series">{t("dashboard.series")}</h2>
      <QueryState fetching={fetching} hasData={Boolean(data)} error={error} />
      {points.length > 0 && (
        <>
          <SeriesChart points={points} interval={interval} />
          <details>
            <summary>{t("dashboard.seriesTable")}</summary>
            <ReportTable
              testId="series-table"
              columns={columns}
              rows={points}
              rowKey={(point) => point.start}
            />
          </details>
        </>
      )}
    </section>
  );
}
