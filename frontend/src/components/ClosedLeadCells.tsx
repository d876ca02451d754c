// The cells a done list adds to each lead: Ergebnis, Grund, Abgeschlossen am.
import { useI18n } from "../I18n";
import { formatDateTime } from "../leadDetail";
import type { ClosedLead } from "../leadRow";

export type ClosedLeadColumn = "outcome" | "reason" | "closedAt";

export const CLOSED_LEAD_COLUMNS: readonly ClosedLeadColumn[] = ["outcome", "reason", "closedAt"];

/** One of the three cells; the test id names the column. */
export function ClosedLeadCell({ lead, column }: { lead: ClosedLead; column: ClosedLeadColumn }) {
  const { t, language } = useI18n();
  switch (column) {
    case "outcome":
      return <td data-testid="outcome">{lead.outcome ? t(`outcome.${lead.outcome}`) : ""}</td>;
    case "reason":
      return (
        <td data-testid="reason">{lead.closeReason ? t(`reason.${lead.closeReason}`) : ""}</td>
      );
    case "closedAt":
      return (
        <td data-testid="closed-at">
          {lead.closedAt && (
            <time dateTime={lead.closedAt}>{formatDateTime(language, lead.closedAt)}</time>
          )}
        </td>
      );
  }
}
