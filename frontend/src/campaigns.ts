// The campaign overview's own logic: the conversion rate as text and the parts of each bar.
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
