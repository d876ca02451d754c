// "Meine Aufgaben": the clerk's active leads, oldest first, with how long each has waited.
import { useQuery } from "urql";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { contactName, formatAge } from "../format";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { useLocation } from "../router";
import { leadPath, nextPage, pageNumber, pagingUrl, parsePaging, previousPage } from "../routes";

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
            firstName
            lastName
            company
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

export function MyTasks() {
  const { t } = useI18n();
  const { search } = useLocation();
  const paging = parsePaging(search);
  const [{ data, fetching, error }] = useQuery({
    query: MyTasksDocument,
    variables: { first: PAGE_SIZE, after: paging.cursors.at(-1) ?? null },
    requestPolicy: "cache-and-network",
  });
  const tasks = data?.myTasks.edges.map((edge) => edge.node) ?? [];
  const total = data?.myTasks.totalCount ?? 0;
  const endCursor = data?.myTasks.pageInfo.endCursor;
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">{t("tasks.title")}</h1>
      {data && <p data-testid="tasks-total">{t("tasks.total", { count: total })}</p>}
      {error && <p role="alert">{t("app.error", { message: error.message })}</p>}
      {fetching && !data && <p role="status">{t("app.loading")}</p>}
      {data && tasks.length === 0 && <p className="empty">{t("tasks.empty")}</p>}
      {tasks.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("leads.col.contact")}</th>
              <th scope="col">{t("leads.col.company")}</th>
              <th scope="col">{t("leads.col.campaign")}</th>
              <th scope="col">{t("tasks.col.phone")}</th>
              <th scope="col">{t("tasks.col.waiting")}</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((lead) => (
              <tr key={lead.id}>
                <td>
                  <Link href={leadPath(lead.id)}>{contactName(lead.contact)}</Link>
                </td>
                <td>{lead.contact.company}</td>
                <td>{lead.campaign.name}</td>
                <td>
                  {lead.contact.phone && (
                    <a href={`tel:${lead.contact.phone.replace(/\s+/g, "")}`}>
                      {lead.contact.phone}
                    </a>
                  )}
                </td>
                <td>{formatAge(t, lead.assignedAt ?? lead.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={pageNumber(paging)}
        pages={Math.max(1, Math.ceil(total / PAGE_SIZE))}
        previousHref={paging.cursors.length ? pagingUrl("/tasks", previousPage(paging)) : null}
        nextHref={
          data?.myTasks.pageInfo.hasNextPage && endCursor
            ? pagingUrl("/tasks", nextPage(paging, endCursor))
            : null
        }
      />
    </section>
  );
}
