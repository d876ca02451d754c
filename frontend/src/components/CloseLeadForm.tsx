// "Abschließen": erfolgreich (creates a Verkaufschance) or erfolglos (with a reason). Closing
// ends the clerk's work on the lead, and only a manager can undo it: the form asks "Wirklich
// abschließen?" inside itself (not window.confirm, which a screen reader user may miss and a
// phone shows out of context) before it sends anything.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { CloseReason, Outcome } from "../gql/graphql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField, parseAmount } from "../leadDetail";
import { ClerksDocument } from "./AssignDialog";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import type { OpportunitySummaryRef } from "./OpportunitySummary";

const CloseLeadDocument = graphql(`
  mutation CloseLead($input: CloseLeadInput!) {
    closeLead(input: $input) {
      lead {
        id
        status
        outcome
      }
      opportunity {
        ...OpportunitySummary_opportunity
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const OUTCOMES: readonly Outcome[] = ["SUCCESSFUL", "UNSUCCESSFUL"];
const REASONS: readonly CloseReason[] = [
  "NOT_INTERESTED",
  "UNREACHABLE",
  "WRONG_CONTACT_DATA",
  "DUPLICATE",
  "OTHER",
];
const FIELDS = [
  "outcome",
  "reason",
  "note",
  "opportunity.title",
  "opportunity.expectedValue",
  "opportunity.ownerId",
];

export function CloseLeadForm({
  leadId,
  onClosed,
}: {
  leadId: string;
  onClosed: (outcome: Outcome, opportunity: OpportunitySummaryRef | null) => void;
}) {
  const { t, language } = useI18n();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [reason, setReason] = useState<CloseReason | "">("");
  const [note, setNote] = useState("");
  const [title, setTitle] = useState("");
  const [value, setValue] = useState("");
  const [ownerId, setOwnerId] = useState(""); // "": the lead's clerk
  // Only asked for once "erfolgreich" is chosen: the clerks who could own the Verkaufschance.
  const [clerks] = useQuery({ query: ClerksDocument, pause: outcome !== "SUCCESSFUL" });
  const owners = clerks.data?.users.filter((clerk) => clerk.active) ?? [];
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [confirming, setConfirming] = useState(false);
  const [{ fetching }, closeLead] = useMutation(CloseLeadDocument);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);
  // Counts refusals, so that the focus moves to the problem after each one (also the same again).
  const [refusals, setRefusals] = useState(0);

  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "close-error");
  }, [refusals]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  function refuse(next: Record<string, UserErrorLike>) {
    setErrors(next);
    setConfirming(false);
    setRefusals((count) => count + 1);
  }

  /** What the form can tell before asking the server: an outcome, a reason, a readable amount. */
  function checkLocally(): Record<string, UserErrorLike> {
    if (!outcome) return { outcome: { code: "REQUIRED", message: t("close.pickOutcome") } };
    if (outcome === "UNSUCCESSFUL" && !reason) {
      return { reason: { code: "REQUIRED", message: "", field: ["reason"] } };
    }
    if (outcome === "SUCCESSFUL" && !parseAmount(value, language).ok) {
      const field = ["opportunity", "expectedValue"];
      return { "opportunity.expectedValue": { code: "INVALID", message: "", field } };
    }
    return {};
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const problems = checkLocally();
    if (Object.keys(problems).length > 0 || !outcome) {
      refuse(problems);
      return;
    }
    if (!confirming) {
      setErrors({});
      setConfirming(true);
      return;
    }
    const amount = parseAmount(value, language);
    const successful = outcome === "SUCCESSFUL";
    const result = await closeLead({
      input: {
        leadId,
        outcome,
        note: note || null,
        reason: successful ? null : reason || null,
        opportunity:
          successful && amount.ok
            ? { title: title || null, expectedValue: amount.value, ownerId: ownerId || null }
            : null,
      },
    });
    if (result.error) {
      refuse({ [FORM]: requestError(result.error) });
      return;
    }
    const payload = result.data?.closeLead;
    const userErrors = readUserErrors(payload?.userErrors);
    if (payload && userErrors.length === 0) {
      onClosed(outcome, payload.opportunity ?? null);
      return;
    }
    refuse(errorsByField(userErrors, FIELDS));
  }

  function choose(next: Outcome) {
    setOutcome(next);
    setErrors({});
    setConfirming(false);
  }

  function cancelConfirmation() {
    setConfirming(false);
    // The confirm buttons go away with the question: back to the button that asked it.
    requestAnimationFrame(() => submitRef.current?.focus());
  }

  return (
    <section className="card" aria-labelledby="close-title">
      <h2 id="close-title">{t("close.title")}</h2>
      <form ref={formRef} className="form" onSubmit={submit} noValidate>
        <fieldset {...invalidProps("close-outcome-error", errors.outcome)}>
          <legend>{t("close.outcome")}</legend>
          {OUTCOMES.map((one) => (
            <label key={one} className="choice">
              <input
                type="radio"
                name="outcome"
                value={one}
                checked={outcome === one}
                onChange={() => choose(one)}
              />
              {t(`outcome.${one}`)}
            </label>
          ))}
        </fieldset>
        {errors.outcome && (
          <p id="close-outcome-error" className="error" role="alert">
            {t("close.pickOutcome")}
          </p>
        )}

        {outcome === "UNSUCCESSFUL" && (
          <>
            <label htmlFor="close-reason">{t("close.reason")}</label>
            <select
              id="close-reason"
              value={reason}
              required
              onChange={(event) => {
                setReason(event.target.value as CloseReason | "");
                setConfirming(false);
              }}
              {...invalidProps("close-reason-error", errors.reason)}
            >
              <option value="">{t("close.reasonPlaceholder")}</option>
              {REASONS.map((one) => (
                <option key={one} value={one}>
                  {t(`reason.${one}`)}
                </option>
              ))}
            </select>
            <FieldError id="close-reason-error" error={errors.reason} />
          </>
        )}

        {outcome === "SUCCESSFUL" && (
          <>
            <label htmlFor="close-opportunity-title">{t("close.opportunityTitle")}</label>
            <input
              id="close-opportunity-title"
              value={title}
              placeholder={t("close.opportunityTitleHint")}
              onChange={(event) => setTitle(event.target.value)}
              {...invalidProps("close-opportunity-title-error", errors["opportunity.title"])}
            />
            <FieldError id="close-opportunity-title-error" error={errors["opportunity.title"]} />
            <label htmlFor="close-opportunity-value">{t("close.opportunityValue")}</label>
            <input
              id="close-opportunity-value"
              inputMode="decimal"
              value={value}
              onChange={(event) => setValue(event.target.value)}
              {...invalidProps("close-opportunity-value-error", errors["opportunity.expectedValue"])}
            />
            <FieldError
              id="close-opportunity-value-error"
              error={errors["opportunity.expectedValue"]}
            />
            <label htmlFor="close-opportunity-owner">{t("close.opportunityOwner")}</label>
            <select
              id="close-opportunity-owner"
              value={ownerId}
              onChange={(event) => setOwnerId(event.target.value)}
              {...invalidProps("close-opportunity-owner-error", errors["opportunity.ownerId"])}
            >
              <option value="">{t("close.opportunityOwnerDefault")}</option>
              {owners.map((clerk) => (
                <option key={clerk.id} value={clerk.id}>
                  {clerk.name}
                </option>
              ))}
            </select>
            <FieldError
              id="close-opportunity-owner-error"
              error={errors["opportunity.ownerId"]}
            />
          </>
        )}

        {outcome && (
          <>
            <label htmlFor="close-note">{t("close.note")}</label>
            <textarea
              id="close-note"
              rows={2}
              value={note}
              onChange={(event) => setNote(event.target.value)}
              {...invalidProps("close-note-error", errors.note)}
            />
            <FieldError id="close-note-error" error={errors.note} />
          </>
        )}
        <FieldError id="close-error" error={errors[FORM]} />
        {confirming && outcome ? (
          <div
            className="confirm"
            role="group"
            aria-labelledby="close-confirm-title"
            aria-describedby="close-confirm-text"
            data-testid="close-confirm"
          >
            <p id="close-confirm-title" className="confirm-title">
              {t("close.confirmTitle")}
            </p>
            <p id="close-confirm-text">
              {outcome === "SUCCESSFUL"
                ? t("close.confirmSuccessful")
                : t("close.confirmUnsuccessful", { reason: reason ? t(`reason.${reason}`) : "" })}
            </p>
            <div className="actions">
              <button type="button" onClick={cancelConfirmation} disabled={fetching}>
                {t("close.cancel")}
              </button>
              <button ref={confirmRef} type="submit" className="primary" disabled={fetching}>
                {fetching ? t("close.busy") : t("close.confirm")}
              </button>
            </div>
          </div>
        ) : (
          <div className="actions">
            <button ref={submitRef} type="submit" className="primary" disabled={fetching}>
              {t("close.submit")}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
