// The dashboard's charts (Chart.js, loaded with the dashboard only). Each canvas carries its
// numbers in words; the same numbers stand in tables next to it.
import {
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import type { ChartData, ChartOptions } from "chart.js";
import { Line } from "react-chartjs-2";
import { formatConversionRate } from "../campaigns";
import { HorizontalBarChart, STACKED } from "./BarChart";
import { SERIES_COUNTS, type SeriesCounts, seriesTotals } from "../dashboard";
import type { CloseReason, ReportInterval } from "../gql/graphql";
import { useI18n } from "../I18n";
import { LOCALES } from "../leadDetail";

ChartJS.register(
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

const REASON_COLORS: Record<CloseReason, string> = {
  NOT_INTERESTED: "#c0392b",
  UNREACHABLE: "#e67e22",
  WRONG_CONTACT_DATA: "#8e44ad",
  DUPLICATE: "#7f8c8d",
  OTHER: "#34495e",
};
const SERIES_COLORS = { created: "#1d5fbf", successful: "#2e8b57", unsuccessful: "#c0392b" };

export interface CampaignFigures {
  campaign: { id: string; name: string };
  conversionRate?: number | null;
  unsuccessfulByReason: readonly { reason: CloseReason; count: number }[];
}

const BAR_HEIGHT = 34;

export function ConversionChart({ reports }: { reports: readonly CampaignFigures[] }) {
  const { t, language } = useI18n();
  const data: ChartData<"bar", number[], string> = {
    labels: reports.map((report) => report.campaign.name),
    datasets: [
      {
        label: t("dashboard.conversionRate"),
        data: reports.map((report) => Math.round((report.conversionRate ?? 0) * 1000) / 10),
        backgroundColor: "#2e8b57",
        barThickness: 18,
      },
    ],
  };
  const options: ChartOptions<"bar"> = {
    scales: { x: { min: 0, max: 100, ticks: { callback: (value) => `${value} %` } } },
    plugins: { legend: { display: false } },
  };
  const summary = reports
    .map((report) =>
      t("dashboard.conversionSummary", {
        name: report.campaign.name,
        rate: formatConversionRate(language, t, report.conversionRate),
      }),
    )
    .join("; ");
  return (
    <HorizontalBarChart
      caption={t("dashboard.conversionChart")}
      summary={summary}
      data={data}
      options={options}
      height={60 + reports.length * BAR_HEIGHT}
    />
  );
}

export function ReasonsChart({ reports }: { reports: readonly CampaignFigures[] }) {
  const { t } = useI18n();
  const reasons = reports[0]?.unsuccessfulByReason.map((entry) => entry.reason) ?? [];
  const data: ChartData<"bar", number[], string> = {
    labels: reports.map((report) => report.campaign.name),
    datasets: reasons.map((reason) => ({
      label: t(`reason.${reason}`),
      data: reports.map(
        (report) =>
          report.unsuccessfulByReason.find((entry) => entry.reason === reason)?.count ?? 0,
      ),
      backgroundColor: REASON_COLORS[reason],
      barThickness: 18,
    })),
  };
  const summary = reports
    .map((report) => {
      const parts = report.unsuccessfulByReason
        .filter((entry) => entry.count > 0)
        .map((entry) => `${entry.count} ${t(`reason.${entry.reason}`)}`);
      const counted = parts.length ? parts.join(", ") : t("dashboard.noneUnsuccessful");
      return `${report.campaign.name}: ${counted}`;
    })
    .join("; ");
  return (
    <HorizontalBarChart
      caption={t("dashboard.reasonsChart")}
      summary={summary}
      data={data}
      options={STACKED}
      height={90 + reports.length * BAR_HEIGHT}
    />
  );
}

export interface SeriesPoint extends SeriesCounts {
  start: string;
}

/** A bucket's first day, short: "17.11." / "17 Nov". */
export function shortDay(language: "de" | "en", day: string): string {
  return new Intl.DateTimeFormat(LOCALES[language], {
    day: "2-digit",
    month: language === "de" ? "2-digit" : "short",
    timeZone: "UTC",
  }).format(new Date(`${day}T00:00:00Z`));
}

export function SeriesChart({
  points,
  interval,
}: {
  points: readonly SeriesPoint[];
  interval: ReportInterval;
}) {
  const { t, language } = useI18n();
  const labels = points.map((point) => shortDay(language, point.start));
  const series = SERIES_COUNTS.map((key) => ({
    label: t(`dashboard.series.${key}`),
    data: points.map((point) => point[key]),
    borderColor: SERIES_COLORS[key],
    backgroundColor: SERIES_COLORS[key],
    pointRadius: points.length > 40 ? 0 : 2,
  }));
  const data: ChartData<"line", number[], string> = { labels, datasets: series };
  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { position: "bottom" } },
  };
  const totals = seriesTotals(points);
  const weeks = interval === "WEEK";
  const summary = t(weeks ? "dashboard.seriesSummaryWeeks" : "dashboard.seriesSummaryDays", {
    count: points.length,
    created: totals.created,
    successful: totals.successful,
    unsuccessful: totals.unsuccessful,
  });
  return (
    <figure className="chart">
      <figcaption>
        {t(weeks ? "dashboard.seriesChartWeeks" : "dashboard.seriesChartDays")}
      </figcaption>
      <div style={{ position: "relative", height: "260px" }}>
        <Line data={data} options={options} role="img" aria-label={summary} />
      </div>
    </figure>
  );
}
