// "Dashboard": figures per campaign and per clerk, leads over time and the leads waiting too
// long, for one campaign or all, over a period. Every filter lives in the URL. Clerks see the
// same page over their own leads (the server restricts the figures).
import { type FormEvent, useEffect, useId, useMemo, useState } from "react";
import { useQuery } from "urql";
import type { Viewer } from "../App";
import { formatConversionRate } from "../campaigns";
import {
  ConversionChart,
  ReasonsChart,
  SeriesChart,
  type SeriesPoint,
} from "../components/DashboardCharts";
import { Link } from "../components/Link";
import {
  type DashboardState,
  MAX_AGING_DAYS,
  MIN_AGING_DAYS,
  chooseInterval,
  dashboardUrl,
  defaultPeriod,
  formatDuration,
  parseDashboard,
  periodDays,
  periodRange,
} from "../dashboard";
import { contactName } from "../format";
import { graphql } from "../gql";
import type {
  AgingKind,
  CampaignReportsQuery,
  ClerkReportsQuery,
  ReportInterval,
} from "../gql/graphql";
import { useI18n } from "../I18n";
import { LOCALES, formatDateTime } from "../leadDetail";
import { navigate, useLocation } from "../router";
import { leadPath, overviewUrl } from "../routes";

const AGING_PAGE = 10;

const DashboardCampaignsDocument = graphql(`
  query DashboardCampaigns {
    campaigns(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

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
    }
  }
`);

const ClerkReportsDocument = graphql(`
  query ClerkReports($from: DateTime, $to: DateTime) {
    clerkReports(from: $from, to: $to) {
      clerk {
        id
        name
        active
      }
      openLeads
      closedInPeriod
      successfulInPeriod
      successRate
      medianSecondsToFirstFeedback
      oldestWaitingLead {
        id
        assignedAt
        contact {
          firstName
          lastName
          company
        }
      }
    }
  }
`);

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

const AgingLeadsDocument = graphql(`
  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {
    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {
      totalCount
      edges {
        node {
          id
          createdAt
          assignedAt
          contact {
            firstName
            lastName
            company
          }
          campaign {
            id
            name
          }
          assignee {
            id
            name
          }
        }
      }
    }
  }
`);

type CampaignReport = CampaignReportsQuery["campaignReports"][number];
type ClerkReport = ClerkReportsQuery["clerkReports"][number];
type Range = { from: string; to: string };

export function Dashboard({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
  const { search } = useLocation();
  // "Today" is fixed while the page is open, so the default period does not move under it.
  const today = useMemo(() => new Date(), []);
  const state = parseDashboard(search, today);
  const range = periodRange(state);
  const manages = viewer.role === "MANAGER" || viewer.role === "ADMIN";

  function change(next: Partial<DashboardState>, options: { replace?: boolean } = {}) {
    navigate(dashboardUrl({ ...state, ...next }, today), options);
  }

  return (
    <section aria-labelledby="dashboard-title" className="dashboard">
      <h1 id="dashboard-title">{t("dashboard.title")}</h1>
      {!manages && <p className="hint">{t("dashboard.ownFigures")}</p>}
      <Filters state={state} today={today} onChange={change} />
      {range ? (
        <>
          <CampaignFigures campaignId={state.campaignId} range={range} />
          <SeriesFigures
            campaignId={state.campaignId}
            range={range}
            interval={chooseInterval(state)}
          />
          <ClerkFigures range={range} campaignChosen={Boolean(state.campaignId)} />
        </>
      ) : (
        <p role="alert" className="error">
          {t("dashboard.emptyPeriod")}
        </p>
      )}
      <div className="aging-grid">
        {manages && (
          <AgingList
            kind="NEW"
            days={state.newDays}
            campaignId={state.campaignId}
            onDays={(newDays) => change({ newDays }, { replace: true })}
          />
        )}
        <AgingList
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

function Filters({
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
  const [campaigns] = useQuery({ query: DashboardCampaignsDocument });
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
      <select
        id={`${id}-campaign`}
        value={state.campaignId}
        onChange={(event) => onChange({ campaignId: event.target.value })}
      >
        <option value="">{t("leads.filter.allCampaigns")}</option>
        {(campaigns.data?.campaigns.edges ?? []).map(({ node }) => (
          <option key={node.id} value={node.id}>
            {node.name}
          </option>
        ))}
      </select>
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
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="date"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          if (/^\d{4}-\d{2}-\d{2}$/.test(event.target.value)) onCommit(event.target.value);
        }}
      />
    </>
  );
}

function formatDay(language: "de" | "en", day: string): string {
  const format = new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeZone: "UTC",
  });
  return format.format(new Date(`${day}T00:00:00Z`));
}

/** A section's loading and error state. */
function Loading({
  fetching,
  hasData,
  error,
}: {
  fetching: boolean;
  hasData: boolean;
  error?: { message: string };
}) {
  const { t } = useI18n();
  if (error) return <p role="alert">{t("app.error", { message: error.message })}</p>;
  if (fetching && !hasData) return <p role="status">{t("app.loading")}</p>;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Per campaign

// The figure columns of the campaign table, in order; their titles are `campaigns.col.*`.
const CAMPAIGN_COLUMNS = [
  "name",
  "total",
  "new",
  "active",
  "done",
  "successful",
  "unsuccessful",
  "rate",
] as const;

function CampaignFigures({ campaignId, range }: { campaignId: string; range: Range }) {
  const { t } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: CampaignReportsDocument,
    variables: { campaignId: campaignId || null, from: range.from, to: range.to },
    requestPolicy: "cache-and-network",
  });
  const reports = data?.campaignReports ?? [];
  const reasons = reports[0]?.unsuccessfulByReason.map((entry) => entry.reason) ?? [];
  return (
    <section aria-labelledby="dashboard-campaigns" className="card">
      <h2 id="dashboard-campaigns">{t("dashboard.campaigns")}</h2>
      <p className="hint">{t("dashboard.campaignsHint")}</p>
      <Loading fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && reports.length === 0 && <p className="empty">{t("campaigns.empty")}</p>}
      {reports.length > 0 && (
        <>
          <div className="table-scroll">
            <table data-testid="campaign-reports">
              <thead>
                <tr>
                  {CAMPAIGN_COLUMNS.map((column) => (
                    <th key={column} scope="col" rowSpan={2}>
                      {t(`campaigns.col.${column}`)}
                    </th>
                  ))}
                  <th scope="colgroup" colSpan={3}>
                    {t("dashboard.medians")}
                  </th>
                </tr>
                <tr>
                  <th scope="col">{t("dashboard.toAssignment")}</th>
                  <th scope="col">{t("dashboard.toFirstFeedback")}</th>
                  <th scope="col">{t("dashboard.toClose")}</th>
                </tr>
              </thead>
              <tbody>
                {reports.map((report) => (
                  <CampaignRow key={report.campaign.id} report={report} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="chart-grid">
            <ConversionChart reports={reports} />
            <ReasonsChart reports={reports} />
          </div>
          <table data-testid="reason-table">
            <caption>{t("dashboard.reasonsTable")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("campaigns.col.name")}</th>
                {reasons.map((reason) => (
                  <th key={reason} scope="col">
                    {t(`reason.${reason}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {reports.map((report) => (
                <tr key={report.campaign.id}>
                  <th scope="row">{report.campaign.name}</th>
                  {report.unsuccessfulByReason.map((entry) => (
                    <td key={entry.reason}>{entry.count}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">
            {t("campaigns.rateHint")} {t("dashboard.medianHint")}
          </p>
        </>
      )}
    </section>
  );
}

function CampaignRow({ report }: { report: CampaignReport }) {
  const { t, language } = useI18n();
  return (
    <tr>
      <th scope="row">{report.campaign.name}</th>
      <td>{report.total}</td>
      <td>{report.new}</td>
      <td>{report.active}</td>
      <td>{report.done}</td>
      <td>{report.successful}</td>
      <td>{report.unsuccessful}</td>
      <td>{formatConversionRate(language, t, report.conversionRate)}</td>
      <td>{formatDuration(t, report.medianSecondsToAssignment)}</td>
      <td>{formatDuration(t, report.medianSecondsToFirstFeedback)}</td>
      <td>{formatDuration(t, report.medianSecondsToClose)}</td>
    </tr>
  );
}

// ---------------------------------------------------------------------------------------------
// Over time

function SeriesFigures({
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
  const totals = points.reduce(
    (sum, point) => ({
      created: sum.created + point.created,
      successful: sum.successful + point.successful,
      unsuccessful: sum.unsuccessful + point.unsuccessful,
    }),
    { created: 0, successful: 0, unsuccessful: 0 },
  );
  return (
    <section aria-labelledby="dashboard-series" className="card">
      <h2 id="dashboard-series">{t("dashboard.series")}</h2>
      <Loading fetching={fetching} hasData={Boolean(data)} error={error} />
      {points.length > 0 && (
        <>
          <SeriesChart points={points} interval={interval} />
          <details>
            <summary>{t("dashboard.seriesTable")}</summary>
            <table data-testid="series-table">
              <thead>
                <tr>
                  <th scope="col">
                    {t(interval === "WEEK" ? "dashboard.weekOf" : "dashboard.day")}
                  </th>
                  <th scope="col">{t("dashboard.series.created")}</th>
                  <th scope="col">{t("dashboard.series.successful")}</th>
                  <th scope="col">{t("dashboard.series.unsuccessful")}</th>
                </tr>
              </thead>
              <tbody>
                {points.map((point) => (
                  <tr key={point.start}>
                    <th scope="row">{formatDay(language, point.start)}</th>
                    <td>{point.created}</td>
                    <td>{point.successful}</td>
                    <td>{point.unsuccessful}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">{t("dashboard.sum")}</th>
                  <td>{totals.created}</td>
                  <td>{totals.successful}</td>
                  <td>{totals.unsuccessful}</td>
                </tr>
              </tfoot>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Per clerk

function ClerkFigures({ range, campaignChosen }: { range: Range; campaignChosen: boolean }) {
  const { t } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: ClerkReportsDocument,
    variables: { from: range.from, to: range.to },
    requestPolicy: "cache-and-network",
  });
  const reports = data?.clerkReports ?? [];
  return (
    <section aria-labelledby="dashboard-clerks" className="card">
      <h2 id="dashboard-clerks">{t("dashboard.clerks")}</h2>
      <p className="hint">
        {t("dashboard.clerksHint")} {campaignChosen ? t("dashboard.clerksAllCampaigns") : ""}
      </p>
      <Loading fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && reports.length === 0 && <p className="empty">{t("dashboard.noClerks")}</p>}
      {reports.length > 0 && (
        <table data-testid="clerk-reports">
          <thead>
            <tr>
              <th scope="col">{t("dashboard.clerk")}</th>
              <th scope="col">{t("dashboard.openLeads")}</th>
              <th scope="col">{t("dashboard.closedInPeriod")}</th>
              <th scope="col">{t("dashboard.successfulInPeriod")}</th>
              <th scope="col">{t("dashboard.successRate")}</th>
              <th scope="col">{t("dashboard.clerkToFirstFeedback")}</th>
              <th scope="col">{t("dashboard.oldestWaiting")}</th>
            </tr>
          </thead>
          <tbody>
            {reports.map((report) => (
              <ClerkRow key={report.clerk.id} report={report} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ClerkRow({ report }: { report: ClerkReport }) {
  const { t, language } = useI18n();
  const waiting = report.oldestWaitingLead;
  return (
    <tr>
      <th scope="row">
        {report.clerk.name}
        {!report.clerk.active && <span className="hint"> {t("dashboard.inactive")}</span>}
      </th>
      <td>{report.openLeads}</td>
      <td>{report.closedInPeriod}</td>
      <td>{report.successfulInPeriod}</td>
      <td>{formatConversionRate(language, t, report.successRate)}</td>
      <td>{formatDuration(t, report.medianSecondsToFirstFeedback)}</td>
      <td>
        {waiting ? (
          <Link href={leadPath(waiting.id)}>{leadName(waiting.contact)}</Link>
        ) : (
          t("lead.none")
        )}
      </td>
    </tr>
  );
}

function leadName(contact: { firstName: string; lastName: string; company: string }): string {
  return contactName(contact) || contact.company;
}

// ---------------------------------------------------------------------------------------------
// Waiting too long

function AgingList({
  kind,
  days,
  campaignId,
  manages = true,
  onDays,
}: {
  kind: AgingKind;
  days: number;
  campaignId: string;
  manages?: boolean;
  onDays: (days: number) => void;
}) {
  const { t, language } = useI18n();
  const id = useId();
  const [{ data, fetching, error }] = useQuery({
    query: AgingLeadsDocument,
    variables: { kind, days, campaignId: campaignId || null, first: AGING_PAGE },
    requestPolicy: "cache-and-network",
  });
  const leads = data?.agingLeads.edges.map((edge) => edge.node) ?? [];
  const total = data?.agingLeads.totalCount ?? 0;
  const isNew = kind === "NEW";
  const titleId = `${id}-title`;
  const hintKey = isNew
    ? "dashboard.agingNewHint"
    : manages
      ? "dashboard.agingQuietHint"
      : "dashboard.agingQuietOwnHint";
  return (
    <section aria-labelledby={titleId} className="card aging">
      <h2 id={titleId}>{t(isNew ? "dashboard.agingNew" : "dashboard.agingQuiet")}</h2>
      <p className="hint">{t(hintKey)}</p>
      <DaysInput
        id={`${id}-days`}
        label={t(isNew ? "dashboard.agingNewDays" : "dashboard.agingQuietDays")}
        value={days}
        onCommit={onDays}
      />
      <Loading fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && (
        <p data-testid={isNew ? "aging-new-total" : "aging-quiet-total"}>
          {t("dashboard.agingTotal", { count: total })}
          {total > leads.length ? ` ${t("dashboard.agingShown", { count: leads.length })}` : ""}
        </p>
      )}
      {leads.length > 0 && (
        <table data-testid={isNew ? "aging-new" : "aging-quiet"}>
          <thead>
            <tr>
              <th scope="col">{t("leads.col.contact")}</th>
              <th scope="col">{t("leads.col.campaign")}</th>
              {isNew ? (
                <th scope="col">{t("lead.createdAt")}</th>
              ) : (
                <>
                  <th scope="col">{t("leads.col.assignee")}</th>
                  <th scope="col">{t("lead.assignedAt")}</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {leads.map((lead) => (
              <tr key={lead.id}>
                <td>
                  <Link href={leadPath(lead.id)}>{leadName(lead.contact)}</Link>
                  {lead.contact.company && contactName(lead.contact) && (
                    <span className="hint"> · {lead.contact.company}</span>
                  )}
                </td>
                <td>{lead.campaign.name}</td>
                {isNew ? (
                  <td>{formatDateTime(language, lead.createdAt)}</td>
                ) : (
                  <>
                    <td>{lead.assignee?.name ?? t("leads.unassigned")}</td>
                    <td>
                      {lead.assignedAt
                        ? formatDateTime(language, lead.assignedAt)
                        : t("lead.none")}
                    </td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isNew && total > 0 && (
        <p>
          <Link
            href={overviewUrl({ tab: "new", campaignId: campaignId || undefined, cursors: [] })}
          >
            {t("dashboard.distributeInOverview")}
          </Link>
        </p>
      )}
      {!isNew && total > 0 && manages && <p className="hint">{t("dashboard.reassignHint")}</p>}
    </section>
  );
}

function isDays(text: string): boolean {
  const days = Number(text);
  return /^\d+$/.test(text) && days >= MIN_AGING_DAYS && days <= MAX_AGING_DAYS;
}

/** A number of days: passed on once it is a whole number within the allowed range. */
function DaysInput({
  id,
  label,
  value,
  onCommit,
}: {
  id: string;
  label: string;
  value: number;
  onCommit: (days: number) => void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const valid = isDays(text);
  return (
    <div className="days-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={MIN_AGING_DAYS}
        max={MAX_AGING_DAYS}
        value={text}
        aria-invalid={valid ? undefined : true}
        aria-describedby={valid ? undefined : `${id}-error`}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (isDays(next)) onCommit(Number(next));
        }}
      />
      {!valid && (
        <p id={`${id}-error`} className="error" role="alert">
          {t("dashboard.daysInvalid", { min: MIN_AGING_DAYS, max: MAX_AGING_DAYS })}
        </p>
      )}
    </div>
  );
}
