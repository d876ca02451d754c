// The dashboard's leads waiting too long: NEW ones nobody took, ACTIVE ones without feedback.
import { useId } from "react";
import { useQuery } from "urql";
import { Link } from "../../components/Link";
import { QueryState } from "../../components/QueryState";
import { type Column, ReportTable } from "../../components/ReportTable";
import { MAX_AGING_DAYS, MIN_AGING_DAYS } from "../../dashboard";
import { OptOutBadge } from "../../components/OptOutBadge";
import { companyAside, leadName, readContactName } from "../../format";
import { graphql } from "../../gql";
import type { AgingKind } from "../../gql/graphql";
import { useI18n } from "../../I18n";
import { type LeadRow, readLeadRow } from "../../leadRow";
import { formatDateTime } from "../../leadDetail";
import { leadPath, overviewUrl } from "../../routes";
import { useDraft } from "./useDraft";

const AGING_PAGE = 10;

const AgingLeadsDocument = graphql(`
  query AgingLeads($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int!) {
    agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first) {
      totalCount
      edges {
        node {
          ...LeadRow_lead
          waitingSince
        }
      }
    }
  }
`);

type AgingLead = LeadRow & { waitingSince: string | null };

export function AgingPanel({
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
  const leads: AgingLead[] =
    data?.agingLeads.edges.map(({ node }) => ({
      ...readLeadRow(node),
      waitingSince: node.waitingSince,
    })) ?? [];
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
      cell: (lead) => {
        const name = readContactName(lead.contact);
        return (
          <>
            <Link href={leadPath(lead.id)}>{leadName(name)}</Link>
            <OptOutBadge contact={name} />
            {companyAside(name) && <span className="hint"> · {companyAside(name)}</span>}
          </>
        );
      },
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
  const [text, change] = useDraft(String(value), isDays, (days) => onCommit(Number(days)));
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
        onChange={(event) => change(event.target.value)}
      />
      {!valid && (
        <p id={`${id}-error`} className="error" role="alert">
          {t("dashboard.daysInvalid", { min: MIN_AGING_DAYS, max: MAX_AGING_DAYS })}
        </p>
      )}
    </div>
  );
}
