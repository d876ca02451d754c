// "Nächster Schritt": the lead's next planned activity (what, when, for whom) with "Erledigt"
// (complete it, with a result, and plan the next step in one go) and "Verschieben"; with
// nothing planned, the "Nächster Schritt planen" form. Saving feedback opens the planning
// again (`planRequests`), since a contact usually ends with the next step. A contact who objected
// to being contacted gets a warning before a call or e-mail is planned; managers may override it.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import { FORM, LOCALES, type UserErrorLike, errorsByField } from "../leadDetail";
import { dueAtForApi, formatStepTime, toLocalInput } from "../nextStep";
import { objectionConcerns, overridesObjection } from "../optOut";
import { DueBadge } from "./DueBadge";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import { EMPTY_STEP, type StepDraft, StepFields } from "./StepFields";

export const NextStepPanelFragment = graphql(`
  fragment NextStepPanel_lead on Lead {
    id
    dueState
    contact {
      id
      optedOut
    }
    nextActivity {
      id
      kind
      dueAt
      note
      assignee {
        id
        name
      }
    }
  }
`);

const ScheduleActivityDocument = graphql(`
  mutation ScheduleActivity($input: ScheduleActivityInput!) {
    scheduleActivity(input: $input) {
      activity {
        id
        kind
        dueAt
        lead {
          id
        }
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const CompleteActivityDocument = graphql(`
  mutation CompleteActivity($input: CompleteActivityInput!) {
    completeActivity(input: $input) {
      activity {
        id
        doneAt
        lead {
          id
        }
      }
      nextActivity {
        id
        kind
        dueAt
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const RescheduleActivityDocument = graphql(`
  mutation RescheduleActivity($input: RescheduleActivityInput!) {
    rescheduleActivity(input: $input) {
      activity {
        id
        dueAt
        lead {
          id
        }
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

type Mode = "view" | "plan" | "complete" | "reschedule";
type Errors = Record<string, UserErrorLike>;

const PLAN_FIELDS = ["kind", "dueAt", "note", "overrideOptOut"];
const COMPLETE_FIELDS = ["note", "next.kind", "next.dueAt", "next.note"];
const RESCHEDULE_FIELDS = ["dueAt"];

const dueRequired = (field: string[]): UserErrorLike => ({ code: "REQUIRED", message: "", field });

export function NextStepPanel({
  lead: leadRef,
  mayWork,
  planRequests,
  mayOverrideOptOut,
}: {
  lead: FragmentType<typeof NextStepPanelFragment>;
  /** The lead's clerk or a manager, on an ACTIVE lead. */
  mayWork: boolean;
  /** Goes up each time feedback was saved: plan (or complete and plan) the next step now. */
  planRequests: number;
  /** Managers and admins: may plan a call or e-mail despite the contact's objection. */
  mayOverrideOptOut: boolean;
}) {
  const { t, language } = useI18n();
  const lead = getFragmentData(NextStepPanelFragment, leadRef);
  const next = lead.nextActivity;
  const [mode, setMode] = useState<Mode>("view");
  const [step, setStep] = useState<StepDraft>(EMPTY_STEP);
  const [doneNote, setDoneNote] = useState("");
  const [planNext, setPlanNext] = useState(true);
  const [overrideOptOut, setOverrideOptOut] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [refusals, setRefusals] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const messageRef = useRef<HTMLParagraphElement>(null);
  const [focusTarget, setFocusTarget] = useState<"form" | "message" | Mode | null>(null);
  const completeRef = useRef<HTMLButtonElement>(null);
  const rescheduleRef = useRef<HTMLButtonElement>(null);

  const [schedule, scheduleActivity] = useMutation(ScheduleActivityDocument);
  const [complete, completeActivity] = useMutation(CompleteActivityDocument);
  const [reschedule, rescheduleActivity] = useMutation(RescheduleActivityDocument);
  const busy = schedule.fetching || complete.fetching || reschedule.fetching;
  // Between a saved plan and the lead read again, the page still says "nothing planned": the
  // empty planning form would flash up once more.
  const [awaitingLead, setAwaitingLead] = useState(false);
  useEffect(() => setAwaitingLead(false), [next?.id]);
  // With nothing planned, the planning form is the panel.
  const shownMode: Mode = mode === "view" && !next && mayWork && !awaitingLead ? "plan" : mode;

  useEffect(() => {
    // Only a new request opens the form, not a change of the next step (hence one dependency).
    if (planRequests > 0) open(next ? "complete" : "plan");
  }, [planRequests]);
  useEffect(() => {
    if (focusTarget === "form") {
      formRef.current?.querySelector<HTMLElement>("select, textarea, input")?.focus();
    }
    if (focusTarget === "message") messageRef.current?.focus();
    // Back to the button that opened the form.
    if (focusTarget === "complete") completeRef.current?.focus();
    if (focusTarget === "reschedule") rescheduleRef.current?.focus();
    if (focusTarget) setFocusTarget(null);
  }, [focusTarget]);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "step-error");
  }, [refusals]);

  function open(nextMode: Mode) {
    setErrors({});
    setMessage(null);
    setDoneNote("");
    setPlanNext(true);
    setOverrideOptOut(false);
    setStep(
      nextMode === "reschedule" && next
        ? { ...EMPTY_STEP, kind: next.kind, dueAt: toLocalInput(new Date(next.dueAt)) }
        : EMPTY_STEP,
    );
    setMode(nextMode);
    setFocusTarget("form");
  }

  function finish(text: string) {
    setMode("view");
    setStep(EMPTY_STEP);
    setErrors({});
    setMessage(text);
    setFocusTarget("message");
  }

  function refuse(problems: Errors) {
    setErrors(problems);
    setRefusals((count) => count + 1);
  }

  const when = (at: string) => formatStepTime(LOCALES[language], at);

  /** A changed field: its old refusal no longer applies (the next submit checks again). */
  function changeStep(draft: StepDraft) {
    setStep(draft);
    setErrors((current): Errors => (current[FORM] ? { [FORM]: current[FORM] } : {}));
  }

  async function submitPlan() {
    const dueAt = dueAtForApi(step.dueAt);
    if (!dueAt) return refuse({ dueAt: dueRequired(["dueAt"]) });
    const result = await scheduleActivity({
      input: {
        subjectId: lead.id,
        kind: step.kind,
        dueAt,
        note: step.note.trim() || null,
        overrideOptOut: overridesObjection({
          mayOverride: mayOverrideOptOut,
          ticked: overrideOptOut,
          optedOut: lead.contact.optedOut,
          kind: step.kind,
        }),
      },
    });
    if (result.error) return refuse({ [FORM]: requestError(result.error) });
    const payload = result.data?.scheduleActivity;
    const userErrors = readUserErrors(payload?.userErrors);
    if (!payload?.activity || userErrors.length > 0) {
      return refuse(errorsByField(userErrors, PLAN_FIELDS));
    }
    const kind = t(`activityKind.${payload.activity.kind}`);
    setAwaitingLead(true);
    finish(t("nextStep.planned", { kind, at: when(payload.activity.dueAt) }));
  }

  async function submitComplete() {
    if (!next) return;
    const nextDueAt = planNext ? dueAtForApi(step.dueAt) : null;
    if (planNext && !nextDueAt) return refuse({ "next.dueAt": dueRequired(["next", "dueAt"]) });
    const result = await completeActivity({
      input: {
        activityId: next.id,
        note: doneNote.trim() || null,
        next:
          planNext && nextDueAt
            ? { kind: step.kind, dueAt: nextDueAt, note: step.note.trim() || null }
            : null,
      },
    });
    if (result.error) return refuse({ [FORM]: requestError(result.error) });
    const payload = result.data?.completeActivity;
    const userErrors = readUserErrors(payload?.userErrors);
    if (!payload?.activity || userErrors.length > 0) {
      return refuse(errorsByField(userErrors, COMPLETE_FIELDS));
    }
    const planned = payload.nextActivity;
    finish(
      planned
        ? t("nextStep.completedAndPlanned", {
            kind: t(`activityKind.${planned.kind}`),
            at: when(planned.dueAt),
          })
        : t("nextStep.completed"),
    );
  }

  async function submitReschedule() {
    if (!next) return;
    const dueAt = dueAtForApi(step.dueAt);
    if (!dueAt) return refuse({ dueAt: dueRequired(["dueAt"]) });
    if (new Date(dueAt).getTime() === new Date(next.dueAt).getTime()) {
      return refuse({ dueAt: { code: "UNCHANGED", message: "", field: ["dueAt"] } });
    }
    const result = await rescheduleActivity({ input: { activityId: next.id, dueAt } });
    if (result.error) return refuse({ [FORM]: requestError(result.error) });
    const payload = result.data?.rescheduleActivity;
    const userErrors = readUserErrors(payload?.userErrors);
    if (!payload?.activity || userErrors.length > 0) {
      return refuse(errorsByField(userErrors, RESCHEDULE_FIELDS));
    }
    finish(t("nextStep.rescheduled", { at: when(payload.activity.dueAt) }));
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (shownMode === "plan") void submitPlan();
    if (shownMode === "complete") void submitComplete();
    if (shownMode === "reschedule") void submitReschedule();
  }

  function cancel() {
    setFocusTarget(shownMode);
    setMode("view");
    setErrors({});
  }

  const formTitle = {
    plan: t("nextStep.planTitle"),
    complete: t("nextStep.completeTitle"),
    reschedule: t("nextStep.rescheduleTitle"),
    view: "",
  }[shownMode];
  const submitText = {
    plan: t("nextStep.submit"),
    complete: t("nextStep.completeSubmit"),
    reschedule: t("nextStep.rescheduleSubmit"),
    view: "",
  }[shownMode];

  return (
    <section className="card next-step" aria-labelledby="next-step-title">
      <h2 id="next-step-title">{t("nextStep.title")}</h2>
      <p ref={messageRef} tabIndex={-1} className="saved" role="status">
        {message}
      </p>
      {next ? (
        <div className="next-step-current" data-testid="next-step">
          <p>
            <strong>{t(`activityKind.${next.kind}`)}</strong>{" "}
            <DueBadge state={lead.dueState} />
          </p>
          <p className="meta">
            {when(next.dueAt)} · {t("nextStep.assignee", { name: next.assignee.name })}
          </p>
          {next.note && <p className="note">{next.note}</p>}
          {mayWork && shownMode === "view" && (
            <div className="actions start">
              <button ref={completeRef} type="button" onClick={() => open("complete")}>
                {t("nextStep.complete")}
              </button>
              <button ref={rescheduleRef} type="button" onClick={() => open("reschedule")}>
                {t("nextStep.reschedule")}
              </button>
            </div>
          )}
        </div>
      ) : (
        <p className="empty" data-testid="next-step-none">
          {t("nextStep.none")}
        </p>
      )}
      {mayWork && shownMode !== "view" && (
        <form
          ref={formRef}
          className="form"
          onSubmit={submit}
          noValidate
          aria-labelledby="next-step-form-title"
        >
          <h3 id="next-step-form-title">{formTitle}</h3>
          {shownMode === "complete" && (
            <>
              <label htmlFor="complete-note">{t("nextStep.doneNote")}</label>
              <textarea
                id="complete-note"
                rows={2}
                value={doneNote}
                onChange={(event) => setDoneNote(event.target.value)}
                {...invalidProps("complete-note-error", errors.note)}
              />
              <FieldError id="complete-note-error" error={errors.note} />
              <label className="choice">
                <input
                  type="checkbox"
                  checked={planNext}
                  onChange={(event) => setPlanNext(event.target.checked)}
                />
                {t("nextStep.planNext")}
              </label>
            </>
          )}
          {shownMode === "plan" && (
            <StepFields idPrefix="plan" draft={step} onChange={changeStep} errors={errors} />
          )}
          {shownMode === "plan" && objectionConcerns(lead.contact.optedOut, step.kind) && (
            <ObjectionWarning
              id="plan"
              mayOverride={mayOverrideOptOut}
              override={overrideOptOut}
              onOverride={setOverrideOptOut}
              error={errors.overrideOptOut}
            />
          )}
          {shownMode === "complete" &&
            planNext &&
            objectionConcerns(lead.contact.optedOut, step.kind) && (
              <ObjectionWarning id="complete-next" mayOverride={false} />
            )}
          {shownMode === "complete" && planNext && (
            <StepFields
              idPrefix="complete-next"
              draft={step}
              onChange={changeStep}
              errors={{
                kind: errors["next.kind"],
                dueAt: errors["next.dueAt"],
                note: errors["next.note"],
              }}
            />
          )}
          {shownMode === "reschedule" && (
            <StepFields
              idPrefix="reschedule"
              draft={step}
              onChange={changeStep}
              errors={errors}
              withKind={false}
              withNote={false}
            />
          )}
          <FieldError id="step-error" error={errors[FORM]} />
          <div className="actions">
            {(shownMode !== "plan" || next) && (
              <button type="button" onClick={cancel} disabled={busy}>
                {t("nextStep.cancel")}
              </button>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t("nextStep.busy") : submitText}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The contact objected to being contacted: said before a call or e-mail is sent; managers and
 * admins may tick the override, which the server logs. */
function ObjectionWarning({
  id,
  mayOverride,
  override = false,
  onOverride,
  error,
}: {
  id: string;
  mayOverride: boolean;
  override?: boolean;
  onOverride?: (override: boolean) => void;
  error?: UserErrorLike;
}) {
  const { t } = useI18n();
  return (
    <div className="opt-out-warning" data-testid={`${id}-opt-out-warning`}>
      <p className="live-warning" id={`${id}-opt-out-text`}>
        {t("optOut.planWarning")}
      </p>
      {mayOverride && onOverride && (
        <label className="choice">
          <input
            type="checkbox"
            checked={override}
            onChange={(event) => onOverride(event.target.checked)}
            aria-describedby={`${id}-opt-out-text`}
            {...invalidProps(`${id}-override-error`, error)}
          />
          {t("optOut.override")}
        </label>
      )}
      <FieldError id={`${id}-override-error`} error={error} />
    </div>
  );
}
