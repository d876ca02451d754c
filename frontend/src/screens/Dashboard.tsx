// "Dashboard": figures per campaign and per clerk, leads over time and the leads waiting too
// long, for one campaign or all, over a period. Every filter lives in the URL. Clerks see the
// same page over their own leads (the server restricts the figures).
import { type FormEvent, useEffect, useId, useMemo, useState } from "react";
import { useQuery } from "urql";
import { CAMPAIGN_COUNTS, formatConversionRate } from "../campaigns";
import {
  ConversionChart,
  ReasonsChart,
  SeriesChart,
  type SeriesPoint,
} from "../components/DashboardCharts";
import { Link } from "../components/Link";
import { QueryState } from "../components/QueryState";
import { type Column, type ColumnGroup, ReportTable } from "../components/ReportTable";
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
  AgingLeadsQuery,
  CampaignReportsQuery,
  ClerkReportsQuery,
  ReportInterval,
} from "../gql/graphql";
import { useI18n } from "../I18n";
import { LOCALES, formatDateTime } from "../leadDetail";
import { navigate, useLocation } from "../router";
import { leadPath, overviewUrl } from "../routes";
import { type Viewer, isManager } from "../viewer";

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
      mediansEstimated
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
      mediansEstimated
      oldestWaitingLead {
        id
        waitingSince
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
          waitingSince
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
type AgingLead = AgingLeadsQuery["agingLeads"]["edges"][number]["node"];
type Range = { from: string; to: string };

export function Dashboard({ viewer }: { viewer: Viewer }) {
  const { t } = useI18n();
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

// ---------------------------------------------------------------------------------------------
// Per campaign

function CampaignFigures({ campaignId, range }: { campaignId: string; range: Range }) {
  const { t, language } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: CampaignReportsDocument,
    variables: { campaignId: campaignId || null, from: range.from, to: range.to },
    requestPolicy: "cache-and-network",
  });
  const reports = data?.campaignReports ?? [];
  const reasons = reports[0]?.unsuccessfulByReason.map((entry) => entry.reason) ?? [];
  const name: Column<CampaignReport> = {
    key: "name",
    header: t("campaigns.col.name"),
    rowHeader: true,
    cell: (report) => report.campaign.name,
  };
  const figures: (Column<CampaignReport> | ColumnGroup<CampaignReport>)[] = [
    name,
    ...CAMPAIGN_COUNTS.map((count) => ({
      key: count,
      header: t(`campaigns.col.${count}`),
      cell: (report: CampaignReport) => report[count],
    })),
    {
      key: "rate",
      header: t("campaigns.col.rate"),
      cell: (report) => formatConversionRate(language, t, report.conversionRate),
    },
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
    name,
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

// ---------------------------------------------------------------------------------------------
// Over time

// The counted columns of the series table, in order; their titles are `dashboard.series.*`.
const SERIES_COUNTS = ["created", "successful", "unsuccessful"] as const;

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

// ---------------------------------------------------------------------------------------------
// Per clerk

// The counted columns of the clerk table, in order; their titles are `dashboard.*`.
const CLERK_COUNTS = ["openLeads", "closedInPeriod", "successfulInPeriod"] as const;

function ClerkFigures({ range, campaignChosen }: { range: Range; campaignChosen: boolean }) {
  const { t, language } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: ClerkReportsDocument,
    variables: { from: range.from, to: range.to },
    requestPolicy: "cache-and-network",
  });
  const reports = data?.clerkReports ?? [];
  const columns: Column<ClerkReport>[] = [
    {
      key: "clerk",
      header: t("dashboard.clerk"),
      rowHeader: true,
      cell: (report) => (
        <>
          {report.clerk.name}
          {!report.clerk.active && <span className="hint"> {t("dashboard.inactive")}</span>}
        </>
      ),
    },
    ...CLERK_COUNTS.map((count) => ({
      key: count,
      header: t(`dashboard.${count}`),
      cell: (report: ClerkReport) => report[count],
    })),
    {
      key: "successRate",
      header: t("dashboard.successRate"),
      cell: (report) => formatConversionRate(language, t, report.successRate),
    },
    {
      key: "toFirstFeedback",
      header: t("dashboard.clerkToFirstFeedback"),
      cell: (report) => formatDuration(t, report.medianSecondsToFirstFeedback),
    },
    {
      key: "oldestWaiting",
      header: t("dashboard.oldestWaiting"),
      cell: ({ oldestWaitingLead: waiting }) =>
        waiting ? (
          <>
            <Link href={leadPath(waiting.id)}>{leadName(waiting.contact)}</Link>
            {waiting.waitingSince && (
              <span className="hint">
                {" · "}
                {t("dashboard.waitingSince", {
                  date: formatDateTime(language, waiting.waitingSince),
                })}
              </span>
            )}
          </>
        ) : (
          t("lead.none")
        ),
    },
  ];
  return (
    <section aria-labelledby="dashboard-clerks" className="card">
      <h2 id="dashboard-clerks">{t("dashboard.clerks")}</h2>
      <p className="hint">
        {t("dashboard.clerksHint")} {campaignChosen ? t("dashboard.clerksAllCampaigns") : ""}
      </p>
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={reports.length === 0}
        empty={t("dashboard.noClerks")}
      />
      {reports.length > 0 && (
        <ReportTable
          testId="clerk-reports"
          columns={columns}
          rows={reports}
          rowKey={(report) => report.clerk.id}
        />
      )}
      {reports.some((report) => report.mediansEstimated) && (
        <p className="hint" data-testid="clerk-medians-estimated">
          {t("dashboard.mediansEstimated")}
        </p>
      )}
    </section>
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
  const since: Column<AgingLead>[] = isNew
    ? [
        {
          key: "createdAt",
          header: t("lead.createdAt"),
          cell: (lead) => formatDateTime(language, lead.createdAt),
        },
      ]
    : [
        {
          key: "assignee",
          header: t("leads.col.assignee"),
          cell: (lead) => lead.assignee?.name ?? t("leads.unassigned"),
        },
        {
          key: "waitingSince",
          header: t("lead.waitingSince"),
          cell: (lead) =>
            lead.waitingSince ? formatDateTime(language, lead.waitingSince) : t("lead.none"),
        },
      ];
  const columns: Column<AgingLead>[] = [
    {
      key: "contact",
      header: t("leads.col.contact"),
      cell: (lead) => (
        <>
          <Link href={leadPath(lead.id)}>{leadName(lead.contact)}</Link>
          {lead.contact.company && contactName(lead.contact) && (
            <span className="hint"> · {lead.contact.company}</span>
          )}
        </>
      ),
    },
    { key: "campaign", header: t("leads.col.campaign"), cell: (lead) => lead.campaign.name },
    ...since,
  ];
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
      <QueryState fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && (
        <p data-testid={isNew ? "aging-new-total" : "aging-quiet-total"}>
          {t("dashboard.agingTotal", { count: total })}
          {total > leads.length ? ` ${t("dashboard.agingShown", { count: leads.length })}` : ""}
        </p>
      )}
      {leads.length > 0 && (
        <ReportTable
          testId={isNew ? "aging-new" : "aging-quiet"}
          columns={columns}
          rows={leads}
          rowKey={(lead) => lead.id}
        />
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
