// The dashboard's figures per clerk: open and closed leads, success rate, the oldest waiting lead.
import { useQuery } from "urql";
import { formatConversionRate } from "../../campaigns";
import { Link } from "../../components/Link";
import { QueryState } from "../../components/QueryState";
import { type Column, ReportTable } from "../../components/ReportTable";
import { type Range, formatDuration } from "../../dashboard";
import { OptOutBadge } from "../../components/OptOutBadge";
import { leadName, readContactName } from "../../format";
import { graphql } from "../../gql";
import type { ClerkReportsQuery } from "../../gql/graphql";
import { useI18n } from "../../I18n";
import { formatDateTime } from "../../leadDetail";
import { leadPath } from "../../routes";

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
          ...ContactName_contact
        }
      }
    }
  }
`);

type ClerkReport = ClerkReportsQuery["clerkReports"][number];

// The counted columns of the clerk table, in order; their titles are `dashboard.*`.
const CLERK_COUNTS = ["openLeads", "closedInPeriod", "successfulInPeriod"] as const;

export function ClerkPanel({ range, campaignChosen }: { range: Range; campaignChosen: boolean }) {
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
            <Link href={leadPath(waiting.id)}>{leadName(readContactName(waiting.contact))}</Link>
            <OptOutBadge contact={readContactName(waiting.contact)} />
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
