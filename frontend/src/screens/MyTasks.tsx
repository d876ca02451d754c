// "Meine Aufgaben": the clerk's worklist. Open leads by when their next step is due (sections
// überfällig / heute / geplant / nichts geplant with counts), searchable, filterable by campaign,
// sortable by column; beside it "Erledigte Leads", the clerk's done leads. All state is the URL.
// Both lists refetch when the viewer's task list changes (taskEvents): a lead assigned meanwhile
// appears, one taken away disappears, without a reload.
import { useId } from "react";
import { useQuery } from "urql";
import { CampaignSelect } from "../components/CampaignSelect";
import { CLOSED_LEAD_COLUMNS, ClosedLeadCell } from "../components/ClosedLeadCells";
import { EmptyList } from "../components/FilterReset";
import { Link } from "../components/Link";
import { OutcomeFilters } from "../components/OutcomeFilters";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { SearchBox } from "../components/SearchBox";
import { SortHeader } from "../components/SortHeader";
import { TaskCards } from "../components/TaskCards";
import { TaskTable } from "../components/TaskTable";
import { contactName, readContactName } from "../format";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { TaskEventsDocument, useLiveRefetch } from "../live";
import { readClosedLead, readLeadRow } from "../leadRow";
import { DUE_STATES, type DueState, TASK_ORDERS, type TaskOrder } from "../listOptions";
import { usePageTitle } from "../pageTitle";
import { useListNavigation, useLocation } from "../router";
import { leadPath } from "../routes";
import {
  DONE_SORT_COLUMNS,
  type DoneOrder,
  type TaskListState,
  doneFilter,
  dueLook,
  hasTaskFilters,
  parseTaskList,
  switchView,
  taskFilter,
  taskLeadPath,
  taskListUrl,
  withoutTaskFilters,
} from "../taskList";
import { readTaskRow } from "../taskRow";
import type { Viewer } from "../viewer";
import { OptOutBadge } from "../components/OptOutBadge";

const PAGE_SIZE = 25;

const MyTasksDocument = graphql(`
  query MyTasks($filter: TaskFilter, $orderBy: TaskOrder!, $first: Int!, $after: String) {
    myTasks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...TaskRow_lead
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    myTaskCounts {
      overdue
      today
      upcoming
      none
    }
  }
`);

const MyDoneLeadsDocument = graphql(`
  query MyDoneLeads($filter: LeadFilter!, $orderBy: LeadOrder!, $first: Int!, $after: String) {
    leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...LeadRow_lead
          ...ClosedLead_lead
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** The field of myTaskCounts that counts a section. */
const COUNT_OF: Record<DueState, "overdue" | "today" | "upcoming" | "none"> = {
  OVERDUE: "overdue",
  TODAY: "today",
  UPCOMING: "upcoming",
  NONE: "none",
};

export function MyTasks({ viewer }: { viewer: Pick<Viewer, "id"> }) {
  const { t } = useI18n();
  usePageTitle(t("tasks.title"));
  const { search } = useLocation();
  const state = parseTaskList(search);
  return (
    <section aria-labelledby="tasks-title" className="tasks">
      <h1 id="tasks-title">{t("tasks.title")}</h1>
      <nav className="tabs" aria-label={t("tasks.views")}>
        <Link href={taskListUrl(switchView(state, "open"))} current={state.view === "open"}>
          {t("tasks.view.open")}
        </Link>
        <Link href={taskListUrl(switchView(state, "done"))} current={state.view === "done"}>
          {t("tasks.view.done")}
        </Link>
      </nav>
      <TaskFilters state={state} />
      {state.view === "open" ? (
        <Worklist state={state} />
      ) : (
        <DoneLeads state={state} viewerId={viewer.id} />
      )}
    </section>
  );
}

/** Campaign and search, and the done list's outcome and reason; on a phone, where the table's
 * headers are not shown, the worklist's sort as a select. */
function TaskFilters({ state }: { state: TaskListState }) {
  const { t } = useI18n();
  const id = useId();
  const { change, search } = useListNavigation(state, taskListUrl, parseTaskList);
  return (
    <div className="filters" role="search">
      <span className="filter">
        <label htmlFor={`${id}-campaign`}>{t("leads.filter.campaign")}</label>
        <CampaignSelect
          id={`${id}-campaign`}
          value={state.campaignId}
          onChange={(campaignId) => change({ campaignId })}
        />
      </span>
      {state.view === "done" && (
        <OutcomeFilters
          idPrefix={id}
          outcome={state.outcome}
          reason={state.reason}
          onChange={(outcomeAndReason) => change(outcomeAndReason)}
        />
      )}
      <span className="filter filter-search">
        <label htmlFor={`${id}-search`}>{t("leads.filter.search")}</label>
        <SearchBox
          id={`${id}-search`}
          applied={state.q}
          placeholder={t("leads.filter.searchHint")}
          onSearch={search}
        />
      </span>
      {state.view === "open" && (
        <span className="filter phone-only">
          <label htmlFor={`${id}-sort`}>{t("tasks.sort")}</label>{" "}
          <select
            id={`${id}-sort`}
            value={state.order}
            onChange={(event) => change({ order: event.target.value as TaskOrder })}
          >
            {TASK_ORDERS.map((order) => (
              <option key={order} value={order}>
                {t(`tasks.sort.${order}`)}
              </option>
            ))}
          </select>
        </span>
      )}
    </div>
  );
}

function Worklist({ state }: { state: TaskListState }) {
  const { t } = useI18n();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: MyTasksDocument,
    variables: {
      filter: taskFilter(state),
      orderBy: state.order,
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
    },
    requestPolicy: "cache-and-network",
  });
  useLiveRefetch(TaskEventsDocument, {}, () => refetch({ requestPolicy: "network-only" }));
  const tasks = data?.myTasks.edges.map((edge) => readTaskRow(edge.node)) ?? [];
  const total = data?.myTasks.totalCount ?? 0;
  const counts = data?.myTaskCounts;
  const filtered = hasTaskFilters(state);
  const leadHref = (leadId: string) => taskLeadPath(leadId, state);
  const all = counts ? DUE_STATES.reduce((sum, due) => sum + counts[COUNT_OF[due]], 0) : null;
  return (
    <>
      <nav className="due-sections" aria-label={t("tasks.sections")}>
        <Link href={taskListUrl({ ...state, due: "", cursors: [] })} current={!state.due}>
          {t("tasks.section.all")}{" "}
          <span className="count" data-testid="due-count-all">
            {all ?? "…"}
          </span>
        </Link>
        {DUE_STATES.map((due) => (
          <Link
            key={due}
            href={taskListUrl({ ...state, due, cursors: [] })}
            current={state.due === due}
          >
            <span className={`due-dot due-${dueLook(due).tone}`} aria-hidden="true" />
            {t(`tasks.section.${due}`)}{" "}
            <span className="count" data-testid={`due-count-${due}`}>
              {counts ? counts[COUNT_OF[due]] : "…"}
            </span>
          </Link>
        ))}
      </nav>
      {data && <p data-testid="tasks-total">{t("tasks.total", { count: total })}</p>}
      <QueryState fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && tasks.length === 0 && (
        <EmptyList
          message={filtered ? t("tasks.emptyFiltered") : t("tasks.empty")}
          resetUrl={filtered ? taskListUrl(withoutTaskFilters(state)) : null}
        />
      )}
      {tasks.length > 0 && (
        <>
          <TaskTable
            tasks={tasks}
            order={state.order}
            urlOf={(order) => taskListUrl({ ...state, order, cursors: [] })}
            leadHref={leadHref}
          />
          <TaskCards tasks={tasks} leadHref={leadHref} />
        </>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.myTasks.pageInfo}
        urlOf={taskListUrl}
      />
    </>
  );
}

function DoneLeads({ state, viewerId }: { state: TaskListState; viewerId: string }) {
  const { t } = useI18n();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: MyDoneLeadsDocument,
    variables: {
      filter: doneFilter(state, viewerId),
      orderBy: state.doneOrder,
      first: PAGE_SIZE,
      after: state.cursors.at(-1) ?? null,
    },
    requestPolicy: "cache-and-network",
  });
  useLiveRefetch(TaskEventsDocument, {}, () => refetch({ requestPolicy: "network-only" }));
  const nodes = data?.leads.edges.map((edge) => edge.node) ?? [];
  const total = data?.leads.totalCount ?? 0;
  const filtered = hasTaskFilters(state);
  const orderUrl = (doneOrder: DoneOrder) => taskListUrl({ ...state, doneOrder, cursors: [] });
  return (
    <>
      {data && <p data-testid="done-total">{t("tasks.doneTotal", { count: total })}</p>}
      <QueryState fetching={fetching} hasData={Boolean(data)} error={error} />
      {data && nodes.length === 0 && (
        <EmptyList
          message={filtered ? t("tasks.doneEmptyFiltered") : t("tasks.doneEmpty")}
          resetUrl={filtered ? taskListUrl(withoutTaskFilters(state)) : null}
        />
      )}
      {nodes.length > 0 && (
        <div className="table-scroll">
          <table className="done-table">
            <thead>
              <tr>
                <SortHeader
                  column={DONE_SORT_COLUMNS.contact}
                  current={state.doneOrder}
                  urlOf={orderUrl}
                >
                  {t("leads.col.contact")}
                </SortHeader>
                <SortHeader
                  column={DONE_SORT_COLUMNS.company}
                  current={state.doneOrder}
                  urlOf={orderUrl}
                >
                  {t("leads.col.company")}
                </SortHeader>
                <SortHeader
                  column={DONE_SORT_COLUMNS.campaign}
                  current={state.doneOrder}
                  urlOf={orderUrl}
                >
                  {t("leads.col.campaign")}
                </SortHeader>
                <th scope="col">{t("leads.col.outcome")}</th>
                <th scope="col">{t("leads.col.reason")}</th>
                <th scope="col">{t("leads.col.closedAt")}</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((node) => {
                const lead = readLeadRow(node);
                const contact = readContactName(lead.contact);
                return (
                  <tr key={lead.id}>
                    <td>
                      <Link href={leadPath(lead.id)}>
                        {contactName(contact) || contact.company}
                      </Link>
                      <OptOutBadge contact={contact} />
                    </td>
                    <td>{contact.company}</td>
                    <td>{lead.campaign.name}</td>
                    {CLOSED_LEAD_COLUMNS.map((column) => (
                      <ClosedLeadCell key={column} lead={readClosedLead(node)} column={column} />
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        state={state}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.leads.pageInfo}
        urlOf={taskListUrl}
      />
    </>
  );
}
