// A history as a timeline, oldest first: when, what happened, who did it, and the note. Shared by
// the lead's and the opportunity's history, which differ only in how an event is described.
import { useI18n } from "../I18n";
import type { Translate } from "../i18n";
import { describeActor, formatDateTime } from "../leadDetail";

export interface TimelineEvent {
  kind: string;
  at: string;
  note: string;
  actor?: { name: string } | null;
}

export function Timeline<Event extends TimelineEvent>({
  titleId,
  title,
  testId,
  events,
  describe,
}: {
  titleId: string;
  title: string;
  testId: string;
  events: readonly Event[];
  describe: (t: Translate, event: Event) => string;
}) {
  const { t, language } = useI18n();
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <ol className="timeline" data-testid={testId}>
        {events.map((event, position) => (
          <li key={`${event.at}-${position}`}>
            <time dateTime={event.at}>{formatDateTime(language, event.at)}</time>{" "}
            <strong>{describe(t, event)}</strong>{" "}
            <span className="meta">{describeActor(t, event)}</span>
            {event.note && <p className="note">{event.note}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
