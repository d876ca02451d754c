// The worklist on a phone: one card per lead with its next step, how long it waits, and a large
// tap-to-call button; no table to scroll sideways.
import { contactName, formatAge, readContactName } from "../format";
import { useI18n } from "../I18n";
import { telHref } from "../taskList";
import { type TaskRow, waitingSinceOf } from "../taskRow";
import { DueBadge } from "./DueBadge";
import { Link } from "./Link";
import { NextStep } from "./TaskTable";
import { OptOutBadge } from "./OptOutBadge";

export function TaskCards({
  tasks,
  leadHref,
}: {
  tasks: readonly TaskRow[];
  leadHref: (leadId: string) => string;
}) {
  const { t } = useI18n();
  return (
    <ul className="task-cards" data-testid="task-cards">
      {tasks.map((task) => {
        const contact = readContactName(task.contact);
        const phone = task.contact.phone;
        return (
          <li key={task.id} className="task-card">
            <p className="task-card-name">
              <Link href={leadHref(task.id)}>{contactName(contact) || contact.company}</Link>
              <OptOutBadge contact={contact} />
              {contactName(contact) && contact.company && (
                <span className="task-card-company">{contact.company}</span>
              )}
            </p>
            <p>
              <DueBadge state={task.dueState} dueAt={task.nextActivity?.dueAt} />
            </p>
            {task.nextActivity && (
              <p>
                <NextStep activity={task.nextActivity} />
              </p>
            )}
            <p className="meta">
              {t("tasks.col.waiting")}: {formatAge(t, waitingSinceOf(task))} · {task.campaign.name}
            </p>
            {phone && (
              <a className="call-button" href={telHref(phone)}>
                <span aria-hidden="true">✆</span>
                {t("tasks.call", { phone })}
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}
