// The campaign overview's own logic: the conversion rate as text, the columns of the campaign
// tables and the parts of each bar.
import type { Column } from "./components/ReportTable";
import type { Language, Translate } from "./i18n";
import { LOCALES } from "./leadDetail";

export interface CampaignFigures {
  new: number;
  active: number;
  done: number;
  successful: number;
  unsuccessful: number;
  conversionRate?: number | null;
}

/** A campaign's counted figures, in the order of its tables; their titles are `campaigns.col.*`. */
export const CAMPAIGN_COUNTS = [
  "total",
  "new",
  "active",
  "done",
  "successful",
  "unsuccessful",
] as const;

/** "60 %" / "60%", or "—" while no lead is done (the rate is null then). */
export function formatConversionRate(
  language: Language,
  t: Translate,
  rate: number | null | undefined,
): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return t("campaigns.noRate");
  return new Intl.NumberFormat(LOCALES[language], {
    style: "percent",
    maximumFractionDigits: 1,
  }).format(rate);
}

/** The name, the counts and the conversion rate of a campaign: the first columns of the campaign
 * overview's table and of the dashboard's campaign reports. */
export function campaignColumns<Row>(
  t: Translate,
  language: Language,
  nameOf: (row: Row) => string,
  figuresOf: (row: Row) => CampaignFigures & { total: number },
): { name: Column<Row>; figures: Column<Row>[] } {
  const name: Column<Row> = {
    key: "name",
    header: t("campaigns.col.name"),
    rowHeader: true,
    cell: nameOf,
  };
  const counts = CAMPAIGN_COUNTS.map((count) => ({
    key: count,
    header: t(`campaigns.col.${count}`),
    cell: (row: Row) => figuresOf(row)[count],
  }));
  const rate: Column<Row> = {
    key: "rate",
    header: t("campaigns.col.rate"),
    cell: (row) => formatConversionRate(language, t, figuresOf(row).conversionRate),
    cellTestId: "conversion-rate",
  };
  return { name, figures: [name, ...counts, rate] };
}

export type Segment = "new" | "active" | "successful" | "unsuccessful" | "doneOther";
export const SEGMENTS: readonly Segment[] = [
  "new",
  "active",
  "successful",
  "unsuccessful",
  "doneOther",
];

/** The stacked bar of one campaign: Neu, Aktiv, and Erledigt split into its outcomes. Done leads
 * without a recorded outcome (should there be any) keep a part of their own, so the bar adds up. */
export function barSegments(stats: CampaignFigures): Record<Segment, number> {
  return {
    new: stats.new,
    active: stats.active,
    successful: stats.successful,
    unsuccessful: stats.unsuccessful,
    doneOther: Math.max(0, stats.done - stats.successful - stats.unsuccessful),
  };
}
