// "Meine Aufgaben": the clerk's active leads, oldest first, with how long each has waited.
import { useQuery } from "urql";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { QueryState } from "../components/QueryState";
import { type Column, ReportTable } from "../components/ReportTable";
import { contactName, formatAge, readContactName } from "../format";
import { graphql } from "../gql";
import type { MyTasksQuery } from "../gql/graphql";
import { useI18n } from "../I18n";
import { usePageTitle } from "../pageTitle";
import { useLocation } from "../router";
import { leadPath, pagingUrl, parsePaging } from "../routes";

const PAGE_SIZE = 25;

const MyTasksDocument = graphql(`
  query MyTasks($first: Int!, $after: String) {
    myTasks(first: $first, after: $after) {
      totalCount
      edges {
        node {
          id
          createdAt
          assignedAt
          contact {
            ...ContactName_contact
            phone
          }
          campaign {
            id
            name
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

type Task = MyTasksQuery["myTasks"]["edges"][number]["node"];

export function MyTasks() {
  const { t } = useI18n();
  usePageTitle(t("tasks.title"));
  const { search } = useLocation();
  const paging = parsePaging(search);
  const [{ data, fetching, error }] = useQuery({
    query: MyTasksDocument,
    variables: { first: PAGE_SIZE, after: paging.cursors.at(-1) ?? null },
    requestPolicy: "cache-and-network",
  });
  const tasks = data?.myTasks.edges.map((edge) => edge.node) ?? [];
  const total = data?.myTasks.totalCount ?? 0;
  const columns: Column<Task>[] = [
    {
      key: "contact",
      header: t("leads.col.contact"),
      cell: (lead) => (
        <Link href={leadPath(lead.id)}>{contactName(readContactName(lead.contact))}</Link>
      ),
    },
    {
      key: "company",
      header: t("leads.col.company"),
      cell: (lead) => readContactName(lead.contact).company,
    },
    { key: "campaign", header: t("leads.col.campaign"), cell: (lead) => lead.campaign.name },
    {
      key: "phone",
      header: t("tasks.col.phone"),
      cell: ({ contact: { phone } }) =>
        phone && <a href={`tel:${phone.replace(/\s+/g, "")}`}>{phone}</a>,
    },
    {
      key: "waiting",
      header: t("tasks.col.waiting"),
      cell: (lead) => formatAge(t, lead.assignedAt ?? lead.createdAt),
    },
  ];
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">{t("tasks.title")}</h1>
      {data && <p data-testid="tasks-total">{t("tasks.total", { count: total })}</p>}
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={tasks.length === 0}
        empty={t("tasks.empty")}
      />
      {tasks.length > 0 && (
        <ReportTable columns={columns} rows={tasks} rowKey={(lead) => lead.id} />
      )}
      <Pager
        state={paging}
        total={total}
        pageSize={PAGE_SIZE}
        pageInfo={data?.myTasks.pageInfo}
        urlOf={(state) => pagingUrl("/tasks", state)}
      />
    </section>
  );
}
