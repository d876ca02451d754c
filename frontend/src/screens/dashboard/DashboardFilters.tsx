// The dashboard's filters: campaign and period, both in the URL.
import { type FormEvent, useId } from "react";
import { CampaignSelect } from "../../components/CampaignSelect";
import {
  type DashboardState,
  chooseInterval,
  defaultPeriod,
  formatDay,
  periodDays,
} from "../../dashboard";
import { useI18n } from "../../I18n";
import { useDraft } from "./useDraft";

export function DashboardFilters({
  state,
  today,
  onChange,
}: {
  state: DashboardState;
  today: Date;
  onChange: (next: Partial<DashboardState>, options?: { replace?: boolean }) => void;
}) {
  const { t, language } = useI18n();
  const id = useId();
  const period = defaultPeriod(today);
  const isDefault = state.from === period.from && state.to === period.to;
  const days = periodDays(state);
  return (
    <form
      className="filters dashboard-filters"
      role="search"
      aria-label={t("dashboard.filters")}
      onSubmit={(event: FormEvent) => event.preventDefault()}
    >
      <label htmlFor={`${id}-campaign`}>{t("dashboard.campaign")}</label>
      <CampaignSelect
        id={`${id}-campaign`}
        value={state.campaignId}
        onChange={(campaignId) => onChange({ campaignId })}
      />
      <DayInput
        id={`${id}-from`}
        label={t("dashboard.from")}
        value={state.from}
        onCommit={(from) => onChange({ from })}
      />
      <DayInput
        id={`${id}-to`}
        label={t("dashboard.to")}
        value={state.to}
        onCommit={(to) => onChange({ to })}
      />
      <button type="button" disabled={isDefault} onClick={() => onChange(period)}>
        {t("dashboard.last30Days")}
      </button>
      <span className="hint" data-testid="dashboard-period">
        {days > 0
          ? t("dashboard.periodSummary", {
              from: formatDay(language, state.from),
              to: formatDay(language, state.to),
              count: days,
              unit: t(chooseInterval(state) === "WEEK" ? "dashboard.perWeek" : "dashboard.perDay"),
            })
          : ""}
      </span>
    </form>
  );
}

/** A date field that only passes on complete dates: half-typed ones stay in the field. */
function DayInput({
  id,
  label,
  value,
  onCommit,
}: {
  id: string;
  label: string;
  value: string;
  onCommit: (day: string) => void;
}) {
  const [text, change] = useDraft(value, (day) => /^\d{4}-\d{2}-\d{2}$/.test(day), onCommit);
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="date"
        value={text}
        onChange={(event) => change(event.target.value)}
      />
    </>
  );
}
