// When a lead's next step is due: a coloured badge with a word (red "überfällig", green "heute",
// as Pipedrive; the word, not the colour alone, carries the meaning) and the date and time.
import { useI18n } from "../I18n";
import { LOCALES } from "../leadDetail";
import type { DueState } from "../listOptions";
import { dueLook, formatDue } from "../taskList";

export function DueBadge({ state, dueAt }: { state: DueState; dueAt?: string | null }) {
  const { t, language } = useI18n();
  const look = dueLook(state);
  const when = formatDue(LOCALES[language], state, dueAt);
  return (
    <span className="due" data-testid="due">
      <span className={`due-badge due-${look.tone}`}>{t(look.word)}</span>
      {when && (
        <>
          {" "}
          <time dateTime={dueAt ?? undefined}>{when}</time>
        </>
      )}
    </span>
  );
}
