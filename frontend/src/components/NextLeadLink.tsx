// "Nächster Lead": from one lead of the clerk's worklist straight to the next, in the order and
// with the filters of the list the lead was opened from (they ride along in the URL, see
// taskLeadPath); without them, the worklist's default order (NEXT_DUE) unfiltered.
import { useEffect, useRef } from "react";
import { useQuery } from "urql";
import { leadName, readContactName } from "../format";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { nextLeadId } from "../leadDetail";
import { useLocation } from "../router";
import { parseTaskList, taskFilter, taskLeadPath } from "../taskList";
import { Link } from "./Link";
import { OptOutBadge } from "./OptOutBadge";

// The worklist as far as a clerk can walk it in one go (the page size cap).
const LIST_LENGTH = 100;

const NextLeadDocument = graphql(`
  query NextLead($filter: TaskFilter, $orderBy: TaskOrder, $first: Int) {
    myTasks(filter: $filter, orderBy: $orderBy, first: $first) {
      edges {
        node {
          id
          contact {
            id
            ...ContactName_contact
          }
        }
      }
    }
  }
`);

export function NextLeadLink({ leadId }: { leadId: string }) {
  const { t } = useI18n();
  const { search } = useLocation();
  const list = parseTaskList(search);
  const [{ data }] = useQuery({
    query: NextLeadDocument,
    variables: { filter: taskFilter(list), orderBy: list.order, first: LIST_LENGTH },
    requestPolicy: "cache-and-network",
  });
  const edges = data?.myTasks.edges ?? [];
  const listed = edges.map((edge) => edge.node.id);
  // Who followed this lead the last time it was listed: where to go on once it has left the
  // list (closed from this page).
  const lastFollower = useRef<string | null>(null);
  const position = listed.indexOf(leadId);
  const follower = position >= 0 ? listed[(position + 1) % listed.length] : null;
  useEffect(() => {
    if (follower && follower !== leadId) lastFollower.current = follower;
  }, [follower, leadId]);

  const nextId = nextLeadId(listed, leadId, lastFollower.current);
  if (!data) return null;
  if (!nextId) {
    return (
      <p className="next-lead hint" data-testid="next-lead-none">
        {t("nextLead.none")}
      </p>
    );
  }
  const next = edges.find((edge) => edge.node.id === nextId);
  const contact = next ? readContactName(next.node.contact) : null;
  const name = contact ? leadName(contact) : "";
  return (
    <p className="next-lead">
      <Link href={taskLeadPath(nextId, list)}>
        {t("nextLead.link")}
        {name && `: ${name}`}
        <span aria-hidden="true"> →</span>
      </Link>
      {/* Beside the link, not in its name: the marker says whom not to call before one opens. */}
      {contact && <OptOutBadge contact={contact} />}
    </p>
  );
}
