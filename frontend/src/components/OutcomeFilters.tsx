// The done list's filters: outcome (erfolgreich/erfolglos) and close reason, labelled selects
// ("" is any), used by the overview's Erledigt tab and the clerk's Erledigte Leads.
import type { CloseReason, Outcome } from "../gql/graphql";
import { useI18n } from "../I18n";
import { CLOSE_REASONS, OUTCOMES } from "../listOptions";

export function OutcomeFilters({
  idPrefix,
  outcome,
  reason,
  onChange,
}: {
  idPrefix: string;
  outcome: Outcome | "";
  reason: CloseReason | "";
  onChange: (change: { outcome: Outcome | ""; reason: CloseReason | "" }) => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <span className="filter">
        <label htmlFor={`${idPrefix}-outcome`}>{t("leads.filter.outcome")}</label>
        <select
          id={`${idPrefix}-outcome`}
          value={outcome}
          onChange={(event) => onChange({ outcome: event.target.value as Outcome | "", reason })}
        >
          <option value="">{t("leads.filter.anyOutcome")}</option>
          {OUTCOMES.map((one) => (
            <option key={one} value={one}>
              {t(`outcome.${one}`)}
            </option>
          ))}
        </select>
      </span>
      <span className="filter">
        <label htmlFor={`${idPrefix}-reason`}>{t("leads.filter.reason")}</label>
        <select
          id={`${idPrefix}-reason`}
          value={reason}
          onChange={(event) =>
            onChange({ outcome, reason: event.target.value as CloseReason | "" })
          }
        >
          <option value="">{t("leads.filter.anyReason")}</option>
          {CLOSE_REASONS.map((one) => (
            <option key={one} value={one}>
              {t(`reason.${one}`)}
            </option>
          ))}
        </select>
      </span>
    </>
  );
}
