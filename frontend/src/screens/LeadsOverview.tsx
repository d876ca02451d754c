// "Leads": the manager's overview with the tabs Neu/Aktiv/Erledigt and distribution to clerks;
// filters (campaign, clerk, search; outcome and reason on Erledigt) and sortable column headers,
// all in the URL.
import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { conflictingLeadIds, isConflict } from "../assign";
import { timeZoneHeader } from "../client";
import { AssignDialog, type Clerk } from "../components/AssignDialog";
import { CampaignSelect } from "../components/CampaignSelect";
import { ClerkFilterSelect } from "../components/ClerkSelect";
import { ClosedLeadCell } from "../components/ClosedLeadCells";
import { type DistributionResult, readDistribution } from "../components/DistributionPreview";
import { DueBadge } from "../components/DueBadge";
import { readUserErrors } from "../components/FieldError";
import { EmptyList } from "../components/FilterReset";
import { Link } from "../components/Link";
import { OutcomeFilters } from "../components/OutcomeFilters";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { SearchBox } from "../components/SearchBox";
import { SortHeader } from "../components/SortHeader";
import {
  NOTHING_SELECTED,
  type Selection,
  isSelected,
  offersAllMatching,
  pageSelected,
  selectedCount,
  selectionScope,
  toggleLead,
  togglePage,
} from "../distribution";
import { errorText } from "../errorText";
import { contactName, formatAge, readContactName } from "../format";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import type { MessageKey } from "../i18n";
import { useI18n } from "../I18n";
import { useLiveRefetch } from "../live";
import {
  COLUMNS_OF_TAB,
  type OverviewColumn,
  countsFilter,
  currentOrder,
  exportUrl,
  hasOverviewFilters,
  listFilter,
  sortColumnOf,
  switchTab,
  withoutOverviewFilters,
} from "../leadList";
import { readClosedLead, readLeadRow } from "../leadRow";
import { DUE_STATES, type DueState, type LeadOrder } from "../listOptions";
import { usePageTitle } from "../pageTitle";
import { useListNavigation, useLocation } from "../router";
import { type OverviewState, TABS, leadPath, overviewUrl, parseOverview } from "../routes";
import { OptOutBadge } from "../components/OptOutBadge";

export const PAGE_SIZE = 25;
const COUNTS_REFRESH_MS = 30_000;

const LeadCountsDocument = graphql(`
  query LeadCounts($filter: LeadFilter) {
    leadCounts(filter: $filter) {
      new
      active
      done
    }
  }
`);

// Pushed when a lead change alters the counts: the tabs refetch theirs (live.ts).
const LeadCountsChangedDocument = graphql(`
  subscription LeadCountsChanged($filter: LeadFilter) {
    leadCountsChanged(filter: $filter) {
      new
      active
      done
    }
  }
`);

/** A row of the overview: the shared lead row, plus what the Aktiv tab (next step, wait) and
 * the Erledigt tab (outcome, reason, closing date) show. */
const OverviewRowFragment = graphql(`
  fragment OverviewRow_lead on Lead {
    ...LeadRow_lead
    ...ClosedLead_lead
    waitingSince
    dueState @include(if: $active)
    nextActivity @include(if: $active) {
      id
      dueAt
    }
  }
`);

const LeadsPageDocument = graphql(`
  query LeadsPage(
    $filter: LeadFilter!
    $orderBy: LeadOrder!
    $first: Int!
    $after: String
    $active: Boolean!
  ) {
    leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...OverviewRow_lead
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const AssignLeadsDocument = graphql(`
  mutation AssignLeads($input: AssignLeadsInput!) {
    assignLeads(input: $input) {
      leads {
        id
        status
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

type Notice = { kind: "success" | "problem"; text: string };

const COLUMN_HEADERS: Record<OverviewColumn, MessageKey> = {
  contact: "leads.col.contact",
  company: "leads.col.company",
  campaign: "leads.col.campaign",
  assignee: "leads.col.assignee",
  due: "leads.col.due",
  waiting: "leads.col.waiting",
  age: "leads.col.age",
  outcome: "leads.col.outcome",
  reason: "leads.col.reason",
  closedAt: "leads.col.closedAt",
};

export function LeadsOverview() {
  const { search } = useLocation();
  const { t } = useI18n();
  usePageTitle(t("leads.title"));
  const state = parseOverview(search);
  // Keyed by the tab and its filters: another filter starts with an empty selection, another
  // page or sort keeps it (selecting across pages).
  return (
    <section aria-labelledby="leads-title">
      <h1 id="leads-title">{t("leads.title")}</h1>
      <Filters state={state} />
      <Overview key={selectionScope(state)} state={state} />
    </section>
  );
}

/** Campaign, clerk and search (and outcome and reason on Erledigt); all in the URL, so they
 * survive a reload. Each change goes back to the first page. */
function Filters({ state }: { state: OverviewState }) {
  const { t, language } = useI18n();
  const id = useId();
  const { change, search } = useListNavigation(state, overviewUrl, parseOverview);
  return (
    <>
      <div className="filters" role="search">
        <span className="filter">
          <label htmlFor={`${id}-campaign`}>{t("leads.filter.campaign")}</label>
          <CampaignSelect
            id={`${id}-campaign`}
            value={state.campaignId ?? ""}
            onChange={(campaignId) => change({ campaignId })}
          />
        </span>
        <span className="filter">
          <label htmlFor={`${id}-clerk`}>{t("leads.filter.clerk")}</label>
          <ClerkFilterSelect
            id={`${id}-clerk`}
            value={state.assigneeId ?? ""}
            onChange={(assigneeId) => change({ assigneeId })}
          />
        </span>
        {state.tab === "active" && (
          <span className="filter">
            <label htmlFor={`${id}-due`}>{t("leads.filter.due")}</label>
            <select
              id={`${id}-due`}
              value={state.due ?? ""}
              onChange={(event) => change({ due: (event.target.value as DueState) || undefined })}
            >
              <option value="">{t("leads.filter.anyDue")}</option>
              {DUE_STATES.map((due) => (
                <option key={due} value={due}>
                  {t(`tasks.section.${due}`)}
                </option>
              ))}
            </select>
          </span>
        )}
        {state.tab === "done" && (
          <OutcomeFilters
            idPrefix={id}
            outcome={state.outcome ?? ""}
            reason={state.reason ?? ""}
            onChange={({ outcome, reason }) =>
              change({
                outcome: outcome || undefined,
                reason: reason || undefined,
              })
            }
          />
        )}
        <span className="filter filter-search">
          <label htmlFor={`${id}-search`}>{t("leads.filter.search")}</label>
          <SearchBox
            id={`${id}-search`}
            applied={state.q ?? ""}
            placeholder={t("leads.filter.searchHint")}
            onSearch={search}
          />
        </span>
      </div>
      <p className="export-link">
        <a href={exportUrl(state, language, timeZoneHeader()["Time-Zone"])} download>
          {t("leads.export")}
        </a>
      </p>
    </>
  );
}

function Overview({ state }: { state: OverviewState }) {
  const { t } = useI18n();
  // Fresh on every visit: a lead closed on its detail page changes the counts, and the
  // document cache cannot know (LeadCounts holds no Lead).
  const [counts, refreshCounts] = useQuery({
    query: LeadCountsDocument,
    variables: { filter: countsFilter(state) },
    requestPolicy: "cache-and-network",
  });
  useLiveRefetch(LeadCountsChangedDocument, { filter: countsFilter(state) }, () =>
    refreshCounts({ requestPolicy: "network-only" }),
  );
  const order = currentOrder(state);
  const [page, refreshPage] = useQuery({
    query: LeadsPageDocument,
    variables: {
      filter: listFilter(state),
      orderBy: order,
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
      active: state.tab === "active",
    },
    requestPolicy: "cache-and-network",
  });
  const [assignment, assignLeads] = useMutation(AssignLeadsDocument);
  const [selection, setSelection] = useState<Selection>(NOTHING_SELECTED);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);

  // The dialog is gone and the distribute button usually disabled: the focus goes to the outcome,
  // so that a keyboard user hears it and goes on from here, not from the top of the page.
  useEffect(() => noticeRef.current?.focus(), [notice]);

  useEffect(() => {
    const timer = window.setInterval(
      () => refreshCounts({ requestPolicy: "network-only" }),
      COUNTS_REFRESH_MS,
    );
    return () => window.clearInterval(timer);
  }, [refreshCounts]);

  const rows = page.data?.leads.edges.map((edge) => edge.node) ?? [];
  const rowIds = rows.map((node) => readLeadRow(getFragmentData(OverviewRowFragment, node)).id);
  const total = page.data?.leads.totalCount ?? 0;
  const selectable = state.tab === "new";
  const allSelected = pageSelected(selection, rowIds);
  const count = selectedCount(selection);
  const filtered = hasOverviewFilters(state);

  function refresh() {
    refreshCounts({ requestPolicy: "network-only" });
    refreshPage({ requestPolicy: "network-only" });
  }

  function toggle(id: string) {
    setSelection((now) => toggleLead(now, id, rowIds));
  }

  function toggleAll() {
    setSelection((now) => togglePage(now, rowIds));
  }

  /** The real distributeLeads ran: who got how many, and what it skipped and why. */
  function distributed(result: DistributionResult) {
    setDialogOpen(false);
    const { assignments, skipped, perClerk, reasons } = readDistribution(result);
    const parts = [
      assignments.length
        ? t("distribute.done", {
            count: assignments.length,
            clerks: perClerk.map((clerk) => `${clerk.name} ${clerk.count}`).join(", "),
          })
        : t("distribute.noneDone"),
    ];
    if (skipped.length) {
      parts.push(
        t("distribute.doneSkipped", {
          count: skipped.length,
          reasons: reasons.map((entry) => `${entry.reason} (${entry.count})`).join("; "),
        }),
      );
    }
    setNotice({
      kind: assignments.length ? "success" : "problem",
      text: parts.join(" "),
    });
    setSelection(NOTHING_SELECTED);
    refresh();
  }

  async function distribute(clerk: Clerk) {
    if (selection.kind !== "ids") return; // a filter's leads go through distributeLeads
    const leadIds = [...selection.ids];
    const result = await assignLeads({
      input: { leadIds, assigneeId: clerk.id },
    });
    setDialogOpen(false);
    const errors = readUserErrors(result.data?.assignLeads.userErrors);
    if (result.error) {
      setNotice({
        kind: "problem",
        text: t("leads.assignFailed", { message: errorText(t, result.error) }),
      });
    } else if (isConflict(errors)) {
      const taken = conflictingLeadIds(errors, leadIds);
      const names = rows
        .map((node) => readLeadRow(getFragmentData(OverviewRowFragment, node)))
        .filter((lead) => taken.includes(lead.id))
        .map((lead) => contactName(readContactName(lead.contact)));
      setNotice({
        kind: "problem",
        text: names.length
          ? t("leads.conflict", { names: names.join(", ") })
          : t("leads.conflictUnknown"),
      });
      setSelection({
        kind: "ids",
        ids: leadIds.filter((id) => !taken.includes(id)),
      });
    } else if (errors.length) {
      setNotice({
        kind: "problem",
        text: t("leads.assignFailed", { message: errorText(t, errors[0]) }),
      });
    } else {
      setNotice({
        kind: "success",
        text: t("leads.distributed", {
          count: leadIds.length,
          name: clerk.name,
        }),
      });
      setSelection(NOTHING_SELECTED);
    }
    refresh();
  }

  const orderUrl = (next: LeadOrder) => overviewUrl({ ...state, order: next, cursors: [] });

  return (
    <div>
      <nav className="tabs" aria-label={t("leads.tabs")}>
        {TABS.map((tab) => (
          <Link key={tab} href={overviewUrl(switchTab(state, tab))} current={tab === state.tab}>
            {t(`leads.tab.${tab}`)}{" "}
            <span className="count" data-testid={`count-${tab}`}>
              {counts.data?.leadCounts[tab] ?? "…"}
            </span>
          </Link>
        ))}
      </nav>

      <div className="notices" aria-live="polite">
        {notice && (
          <p
            ref={noticeRef}
            tabIndex={-1}
            className={notice.kind}
            role={notice.kind === "problem" ? "alert" : "status"}
          >
            {notice.text}
          </p>
        )}
      </div>

      {selectable && (
        <div className="toolbar">
          <span data-testid="selected-count">
            {selection.kind === "all"
              ? t("leads.selectedAll", { count })
              : t("leads.selected", { count })}
          </span>
          {offersAllMatching(selection, rowIds, total) && (
            <button type="button" onClick={() => setSelection({ kind: "all", total })}>
              {t("leads.selectAllMatching", { count: total })}
            </button>
          )}
          {count > 0 && (
            <button type="button" onClick={() => setSelection(NOTHING_SELECTED)}>
              {t("leads.clearSelection")}
            </button>
          )}
          <button
            type="button"
            className="primary"
            disabled={count === 0}
            onClick={() => setDialogOpen(true)}
          >
            {t("leads.distribute")}
          </button>
        </div>
      )}

      {filtered && page.data && total > 0 && (
        <p className="hint" data-testid="leads-found">
          {t("leads.found", { count: total })}
        </p>
      )}
      <QueryState fetching={page.fetching} hasData={Boolean(page.data)} error={page.error} />
      {page.data && rows.length === 0 && (
        <EmptyList
          message={filtered ? t("leads.emptyFiltered") : t("leads.empty")}
          resetUrl={filtered ? overviewUrl(withoutOverviewFilters(state)) : null}
        />
      )}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="lead-table">
            <thead>
              <tr>
                {selectable && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label={t("leads.selectAll")}
                      checked={allSelected}
                      onChange={toggleAll}
                    />
                  </th>
                )}
                {COLUMNS_OF_TAB[state.tab].map((column) => (
                  <SortHeader
                    key={column}
                    column={sortColumnOf(state.tab, column)}
                    current={order}
                    urlOf={orderUrl}
                  >
                    {t(COLUMN_HEADERS[column])}
                  </SortHeader>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((node, index) => (
                <LeadTableRow
                  key={rowIds[index]}
                  lead={node}
                  columns={COLUMNS_OF_TAB[state.tab]}
                  selectable={selectable}
                  selected={isSelected(selection, rowIds[index])}
                  onToggle={() => toggle(rowIds[index])}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={page.data?.leads.pageInfo}
        urlOf={overviewUrl}
      />
      {dialogOpen && (
        <AssignDialog
          selection={selection}
          filter={listFilter(state)}
          busy={assignment.fetching}
          onConfirm={distribute}
          onDistributed={distributed}
          onCancel={() => setDialogOpen(false)}
        />
      )}
    </div>
  );
}

function LeadTableRow({
  lead: node,
  columns,
  selectable,
  selected,
  onToggle,
}: {
  lead: FragmentType<typeof OverviewRowFragment>;
  columns: readonly OverviewColumn[];
  selectable: boolean;
  selected: boolean;
  onToggle: () => void;
}) {
  const { t } = useI18n();
  const lead = getFragmentData(OverviewRowFragment, node);
  const row = readLeadRow(lead);
  const contact = readContactName(row.contact);
  const name = contactName(contact);

  function cell(column: OverviewColumn) {
    switch (column) {
      case "contact":
        return (
          <td key={column}>
            <Link href={leadPath(row.id)}>{name}</Link>
            <OptOutBadge contact={contact} />
          </td>
        );
      case "company":
        return <td key={column}>{contact.company}</td>;
      case "campaign":
        return <td key={column}>{row.campaign.name}</td>;
      case "assignee":
        return <td key={column}>{row.assignee?.name ?? t("leads.unassigned")}</td>;
      case "due":
        return (
          <td key={column}>
            {lead.dueState && <DueBadge state={lead.dueState} dueAt={lead.nextActivity?.dueAt} />}
          </td>
        );
      case "waiting":
        return <td key={column}>{lead.waitingSince ? formatAge(t, lead.waitingSince) : ""}</td>;
      case "age":
        return <td key={column}>{formatAge(t, row.createdAt)}</td>;
      case "outcome":
      case "reason":
      case "closedAt":
        return <ClosedLeadCell key={column} lead={readClosedLead(lead)} column={column} />;
    }
  }

  return (
    <tr aria-selected={selectable ? selected : undefined}>
      {selectable && (
        <td>
          <input
            type="checkbox"
            aria-label={t("leads.selectOne", { name })}
            checked={selected}
            onChange={onToggle}
          />
        </td>
      )}
      {columns.map(cell)}
    </tr>
  );
}
