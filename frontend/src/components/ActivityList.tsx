// "Schritte": every activity of a lead, the open ones first by due time, then the done ones
// (the order Lead.activities gives): what, when, for whom, who planned it, and how it ended.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { LOCALES } from "../leadDetail";
import { formatStepTime } from "../nextStep";

export const ActivityListFragment = graphql(`
  fragment ActivityList_lead on Lead {
    activities {
      id
      kind
      dueAt
      note
      doneAt
      doneNote
      assignee {
        id
        name
      }
      createdBy {
        id
        name
      }
    }
  }
`);

export function ActivityList({ lead }: { lead: FragmentType<typeof ActivityListFragment> }) {
  const { t, language } = useI18n();
  const { activities } = getFragmentData(ActivityListFragment, lead);
  const when = (at: string) => formatStepTime(LOCALES[language], at);
  if (activities.length === 0) return null; // the panel above says that nothing is planned
  return (
    <section className="card" aria-labelledby="activities-title">
      <h2 id="activities-title">{t("nextStep.list")}</h2>
      <ol className="timeline activities" data-testid="activities">
        {activities.map((activity) => (
          <li key={activity.id} className={activity.doneAt ? "activity-done" : "activity-open"}>
            <time dateTime={activity.dueAt}>{when(activity.dueAt)}</time>{" "}
            <strong>{t(`activityKind.${activity.kind}`)}</strong>{" "}
            <span className={activity.doneAt ? "status status-done" : "status status-active"}>
              {activity.doneAt
                ? t("nextStep.doneAt", { at: when(activity.doneAt) })
                : t("nextStep.open")}
            </span>{" "}
            <span className="meta">
              {t("nextStep.assignee", { name: activity.assignee.name })} ·{" "}
              {t("nextStep.createdBy", { name: activity.createdBy.name })}
            </span>
            {activity.note && <p className="note">{activity.note}</p>}
            {activity.doneNote && <p className="note">{activity.doneNote}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
