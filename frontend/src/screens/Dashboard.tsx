// "Dashboard": figures per campaign and per clerk, leads over time and the leads waiting too
// long, for one campaign or all, over a period. Every filter lives in the URL. Clerks see the
// same page over their own leads (the server restricts the figures).
import { useMemo } from "react";
import {
  type DashboardState,
  chooseInterval,
  dashboardUrl,
  parseDashboard,
  periodRange,
} from "../dashboard";
import { useI18n } from "../I18n";
import { usePageTitle } from "../pageTitle";
import { navigate, useLocation } from "../router";
import { type Viewer, isManager } from "../viewer";
import { AgingPanel } from "./dashboard/AgingPanel";
import { CampaignPanel } from "./dashboard/CampaignPanel";
import { ClerkPanel } from "./dashboard/ClerkPanel";
import { DashboardFilters } from "./dashboard/DashboardFilters";
import { SeriesPanel } from "./dashboard/SeriesPanel";

export function Dashboard({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
  usePageTitle(t("dashboard.title"));
  const { search } = useLocation();
  // "Today" is fixed while the page is open, so the default period does not move under it.
  const today = useMemo(() => new Date(), []);
  const state = parseDashboard(search, today);
  const range = periodRange(state);
  const manages = isManager(viewer);

  function change(next: Partial<DashboardState>, options: { replace?: boolean } = {}) {
    navigate(dashboardUrl({ ...state, ...next }, today), options);
  }

  return (
    <section aria-labelledby="dashboard-title" className="dashboard">
      <h1 id="dashboard-title">{t("dashboard.title")}</h1>
      {!manages && <p className="hint">{t("dashboard.ownFigures")}</p>}
      <DashboardFilters state={state} today={today} onChange={change} />
      {range ? (
        <>
          <CampaignPanel campaignId={state.campaignId} range={range} />
          <SeriesPanel
            campaignId={state.campaignId}
            range={range}
            interval={chooseInterval(state)}
          />
          <ClerkPanel range={range} campaignChosen={Boolean(state.campaignId)} />
        </>
      ) : (
        <p role="alert" className="error">
          {t("dashboard.emptyPeriod")}
        </p>
      )}
      <div className="aging-grid">
        {manages && (
          <AgingPanel
            kind="NEW"
            days={state.newDays}
            campaignId={state.campaignId}
            onDays={(newDays) => change({ newDays }, { replace: true })}
          />
        )}
        <AgingPanel
          kind="ACTIVE_WITHOUT_FEEDBACK"
          days={state.quietDays}
          campaignId={state.campaignId}
          manages={manages}
          onDays={(quietDays) => change({ quietDays }, { replace: true })}
        />
      </div>
    </section>
  );
}
