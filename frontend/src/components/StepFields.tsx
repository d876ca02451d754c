// The fields of a next step: what (Anruf, E-Mail, Termin, Aufgabe), when (quick picks morgen /
// in 3 Tagen / nächste Woche, or any date and time), and a note. Used to plan a step and to
// plan the next one while completing the current one.
import { useI18n } from "../I18n";
import type { ActivityKind } from "../gql/graphql";
import { LOCALES, type UserErrorLike } from "../leadDetail";
import {
  QUICK_PICKS,
  type QuickPick,
  formatStepTime,
  fromLocalInput,
  quickPickDate,
  toLocalInput,
} from "../nextStep";
import { FieldError, invalidProps } from "./FieldError";

export const ACTIVITY_KINDS: readonly ActivityKind[] = ["CALL", "EMAIL", "MEETING", "TASK"];

export interface StepDraft {
  kind: ActivityKind;
  /** The datetime-local value, local time ("" until chosen). */
  dueAt: string;
  note: string;
}

export const EMPTY_STEP: StepDraft = { kind: "CALL", dueAt: "", note: "" };

const PICK_LABELS: Record<QuickPick, `nextStep.${QuickPick}`> = {
  tomorrow: "nextStep.tomorrow",
  inThreeDays: "nextStep.inThreeDays",
  nextWeek: "nextStep.nextWeek",
};

export function StepFields({
  idPrefix,
  draft,
  onChange,
  errors,
  withKind = true,
  withNote = true,
}: {
  /** Unique per form: "plan", "complete-next", "reschedule". */
  idPrefix: string;
  draft: StepDraft;
  onChange: (draft: StepDraft) => void;
  /** The errors of these fields, under "kind", "dueAt", "note". */
  errors: Record<string, UserErrorLike | undefined>;
  withKind?: boolean;
  withNote?: boolean;
}) {
  const { t, language } = useI18n();
  const chosen = fromLocalInput(draft.dueAt);
  // The quick picks from the moment of this render: "morgen" means tomorrow as of now.
  const now = new Date();
  const id = (field: string) => `${idPrefix}-${field}`;
  return (
    <>
      {withKind && (
        <>
          <label htmlFor={id("kind")}>{t("nextStep.kind")}</label>
          <select
            id={id("kind")}
            value={draft.kind}
            onChange={(event) => onChange({ ...draft, kind: event.target.value as ActivityKind })}
            {...invalidProps(id("kind-error"), errors.kind)}
          >
            {ACTIVITY_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {t(`activityKind.${kind}`)}
              </option>
            ))}
          </select>
          <FieldError id={id("kind-error")} error={errors.kind} />
        </>
      )}
      <div className="quick-picks" role="group" aria-label={t("nextStep.quickPicks")}>
        {QUICK_PICKS.map((pick) => {
          const value = toLocalInput(quickPickDate(pick, now));
          return (
            <button
              key={pick}
              type="button"
              aria-pressed={draft.dueAt === value}
              onClick={() => onChange({ ...draft, dueAt: value })}
            >
              {t(PICK_LABELS[pick])}
            </button>
          );
        })}
      </div>
      <label htmlFor={id("due")}>{t("nextStep.dueAt")}</label>
      <input
        id={id("due")}
        type="datetime-local"
        value={draft.dueAt}
        onChange={(event) => onChange({ ...draft, dueAt: event.target.value })}
        aria-describedby={errors.dueAt ? id("due-error") : id("due-shown")}
        {...(errors.dueAt ? { "aria-invalid": true } : {})}
      />
      {/* The browser shows the field in its own format: the chosen moment in words, too. */}
      <p id={id("due-shown")} className="hint" data-testid={id("due-shown")}>
        {chosen ? formatStepTime(LOCALES[language], chosen) : ""}
      </p>
      <FieldError id={id("due-error")} error={errors.dueAt} />
      {withNote && (
        <>
          <label htmlFor={id("note")}>{t("nextStep.note")}</label>
          <textarea
            id={id("note")}
            rows={2}
            value={draft.note}
            onChange={(event) => onChange({ ...draft, note: event.target.value })}
            {...invalidProps(id("note-error"), errors.note)}
          />
          <FieldError id={id("note-error")} error={errors.note} />
        </>
      )}
    </>
  );
}
