// "Leads": the manager's overview with the tabs Neu/Aktiv/Erledigt and distribution to clerks.
import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { conflictingLeadIds, isConflict } from "../assign";
import { AssignDialog, type Clerk } from "../components/AssignDialog";
import { CampaignSelect } from "../components/CampaignSelect";
import { readUserErrors } from "../components/FieldError";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { contactName, formatAge, readContactName } from "../format";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { type LeadRow, readLeadRow } from "../leadRow";
import { navigate, useLocation } from "../router";
import {
  type OverviewState,
  leadPath,
  STATUS_OF_TAB,
  TABS,
  overviewUrl,
  parseOverview,
} from "../routes";

export const PAGE_SIZE = 25;
const COUNTS_REFRESH_MS = 30_000;
/** How long typing pauses before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

const LeadCountsDocument = graphql(`
  query LeadCounts($filter: LeadFilter) {
    leadCounts(filter: $filter) {
      new
      active
      done
    }
  }
`);

const LeadsPageDocument = graphql(`
  query LeadsPage($filter: LeadFilter!, $first: Int!, $after: String) {
    leads(filter: $filter, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...LeadRow_lead
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

export function LeadsOverview() {
  const { search } = useLocation();
  const { t } = useI18n();
  const state = parseOverview(search);
  // Keyed by the URL: a new tab, filter or page starts with an empty selection.
  return (
    <section aria-labelledby="leads-title">
      <h1 id="leads-title">{t("leads.title")}</h1>
      <Filters state={state} />
      <Overview key={overviewUrl(state)} state={state} />
    </section>
  );
}

/** Campaign filter and search box; both live in the URL, so they survive a reload. */
function Filters({ state }: { state: OverviewState }) {
  const { t } = useI18n();
  const id = useId();
  const applied = state.q ?? "";
  const [text, setText] = useState(applied);

  // Back/forward to another search shows that search.
  useEffect(() => {
    setText((now) => (now.trim() === applied ? now : applied));
  }, [applied]);

  useEffect(() => {
    if (text.trim() === applied) return;
    const timer = window.setTimeout(() => {
      navigate(overviewUrl({ ...state, q: text, cursors: [] }), { replace: true });
    }, SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, applied, state]);

  return (
    <div className="filters" role="search">
      <label htmlFor={`${id}-campaign`}>{t("leads.filter.campaign")}</label>
      <CampaignSelect
        id={`${id}-campaign`}
        value={state.campaignId ?? ""}
        onChange={(campaignId) => navigate(overviewUrl({ ...state, campaignId, cursors: [] }))}
      />
      <label htmlFor={`${id}-search`}>{t("leads.filter.search")}</label>
      <input
        id={`${id}-search`}
        type="search"
        value={text}
        placeholder={t("leads.filter.searchHint")}
        onChange={(event) => setText(event.target.value)}
      />
    </div>
  );
}

function Overview({ state }: { state: OverviewState }) {
  const { t } = useI18n();
  // Fresh on every visit: a lead closed on its detail page changes the counts, and the
  // document cache cannot know (LeadCounts holds no Lead).
  const filter = {
    campaignId: state.campaignId || null,
    search: state.q || null,
  };
  const [counts, refreshCounts] = useQuery({
    query: LeadCountsDocument,
    variables: { filter },
    requestPolicy: "cache-and-network",
  });
  const [page, refreshPage] = useQuery({
    query: LeadsPageDocument,
    variables: {
      filter: { ...filter, status: STATUS_OF_TAB[state.tab] },
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
    },
    requestPolicy: "cache-and-network",
  });
  const [assignment, assignLeads] = useMutation(AssignLeadsDocument);
  const [selected, setSelected] = useState<string[]>([]);
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

  const rows = page.data?.leads.edges.map((edge) => readLeadRow(edge.node)) ?? [];
  const total = page.data?.leads.totalCount ?? 0;
  const selectable = state.tab === "new";
  const allSelected = rows.length > 0 && rows.every((lead) => selected.includes(lead.id));

  function refresh() {
    refreshCounts({ requestPolicy: "network-only" });
    refreshPage({ requestPolicy: "network-only" });
  }

  function toggle(id: string) {
    setSelected((now) => (now.includes(id) ? now.filter((one) => one !== id) : [...now, id]));
  }

  function toggleAll() {
    setSelected(allSelected ? [] : rows.map((lead) => lead.id));
  }

  async function distribute(clerk: Clerk) {
    const leadIds = selected;
    const result = await assignLeads({ input: { leadIds, assigneeId: clerk.id } });
    setDialogOpen(false);
    const errors = readUserErrors(result.data?.assignLeads.userErrors);
    if (result.error) {
      setNotice({ kind: "problem", text: t("leads.assignFailed", { message: result.error.message }) });
    } else if (isConflict(errors)) {
      const taken = conflictingLeadIds(errors, leadIds);
      const names = rows
        .filter((lead) => taken.includes(lead.id))
        .map((lead) => contactName(readContactName(lead.contact)));
      setNotice({
        kind: "problem",
        text: names.length
          ? t("leads.conflict", { names: names.join(", ") })
          : t("leads.conflictUnknown"),
      });
      setSelected((now) => now.filter((id) => !taken.includes(id)));
    } else if (errors.length) {
      setNotice({ kind: "problem", text: t("leads.assignFailed", { message: errors[0].message }) });
    } else {
      setNotice({ kind: "success", text: t("leads.distributed", { count: leadIds.length, name: clerk.name }) });
      setSelected([]);
    }
    refresh();
  }

  return (
    <div>
      <nav className="tabs" aria-label={t("leads.tabs")}>
        {TABS.map((tab) => (
          <Link key={tab} href={overviewUrl({ ...state, tab, cursors: [] })} current={tab === state.tab}>
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
          <span>{t("leads.selected", { count: selected.length })}</span>
          <button
            type="button"
            className="primary"
            disabled={selected.length === 0}
            onClick={() => setDialogOpen(true)}
          >
            {t("leads.distribute")}
          </button>
        </div>
      )}

      <QueryState
        fetching={page.fetching}
        hasData={Boolean(page.data)}
        error={page.error}
        isEmpty={rows.length === 0}
        empty={t("leads.empty")}
      />
      {rows.length > 0 && (
        <table>
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
              <th scope="col">{t("leads.col.contact")}</th>
              <th scope="col">{t("leads.col.company")}</th>
              <th scope="col">{t("leads.col.campaign")}</th>
              <th scope="col">{t("leads.col.assignee")}</th>
              <th scope="col">{t("leads.col.age")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((lead) => (
              <LeadTableRow
                key={lead.id}
                lead={lead}
                selectable={selectable}
                selected={selected.includes(lead.id)}
                onToggle={() => toggle(lead.id)}
              />
            ))}
          </tbody>
        </table>
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
          count={selected.length}
          busy={assignment.fetching}
          onConfirm={distribute}
          onCancel={() => setDialogOpen(false)}
        />
      )}
    </div>
  );
}

function LeadTableRow({
  lead,
  selectable,
  selected,
  onToggle,
}: {
  lead: LeadRow;
  selectable: boolean;
  selected: boolean;
  onToggle: () => void;
}) {
  const { t } = useI18n();
  const contact = readContactName(lead.contact);
  const name = contactName(contact);
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
      <td>
        <Link href={leadPath(lead.id)}>{name}</Link>
      </td>
      <td>{contact.company}</td>
      <td>{lead.campaign.name}</td>
      <td>{lead.assignee?.name ?? t("leads.unassigned")}</td>
      <td>{formatAge(t, lead.createdAt)}</td>
    </tr>
  );
}
