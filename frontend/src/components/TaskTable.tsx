// The worklist on a desk or tablet: a table with sortable "Fällig" and "Wartet seit" columns.
import { contactName, formatAge, readContactName } from "../format";
import { useI18n } from "../I18n";
import type { TaskOrder } from "../listOptions";
import { TASK_SORT_COLUMNS, telHref } from "../taskList";
import { type TaskRow, waitingSinceOf } from "../taskRow";
import { DueBadge } from "./DueBadge";
import { Link } from "./Link";
import { SortHeader } from "./SortHeader";
import { OptOutBadge } from "./OptOutBadge";

export function TaskTable({
  tasks,
  order,
  urlOf,
  leadHref,
}: {
  tasks: readonly TaskRow[];
  order: TaskOrder;
  urlOf: (order: TaskOrder) => string;
  /** A lead's page, with the list's filters for "Nächster Lead". */
  leadHref: (leadId: string) => string;
}) {
  const { t } = useI18n();
  // In its own scroll box: on a narrow tablet the page itself never scrolls sideways.
  return (
    <div className="table-scroll">
      <table className="task-table">
        <thead>
          <tr>
            <th scope="col">{t("leads.col.contact")}</th>
            <th scope="col">{t("leads.col.company")}</th>
            <th scope="col" className="task-campaign">
              {t("leads.col.campaign")}
            </th>
            <th scope="col">{t("tasks.col.phone")}</th>
            <th scope="col">{t("tasks.col.next")}</th>
            <SortHeader column={TASK_SORT_COLUMNS.due} current={order} urlOf={urlOf}>
              {t("tasks.col.due")}
            </SortHeader>
            <SortHeader column={TASK_SORT_COLUMNS.waiting} current={order} urlOf={urlOf}>
              {t("tasks.col.waiting")}
            </SortHeader>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => {
            const contact = readContactName(task.contact);
            const phone = task.contact.phone;
            return (
              <tr key={task.id}>
                <td>
                  <Link href={leadHref(task.id)}>{contactName(contact) || contact.company}</Link>
                  <OptOutBadge contact={contact} />
                </td>
                <td>{contact.company}</td>
                <td className="task-campaign">{task.campaign.name}</td>
                <td>{phone && <a href={telHref(phone)}>{phone}</a>}</td>
                <td>{task.nextActivity && <NextStep activity={task.nextActivity} />}</td>
                <td>
                  <DueBadge state={task.dueState} dueAt={task.nextActivity?.dueAt} />
                </td>
                <td>{formatAge(t, waitingSinceOf(task))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** "Anruf: Angebot nachfassen": the kind of the next step and its note. */
export function NextStep({ activity }: { activity: NonNullable<TaskRow["nextActivity"]> }) {
  const { t } = useI18n();
  const kind = t(`activityKind.${activity.kind}`);
  return (
    <span className="task-next-step">{activity.note ? `${kind}: ${activity.note}` : kind}</span>
  );
}
