// "Wieder öffnen" (managers, on a DONE lead): undoes a close made by mistake. Like closing, it
// asks "Wirklich wieder öffnen?" inside the form before it changes anything.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

const ReopenLeadDocument = graphql(`
  mutation ReopenLead($input: ReopenLeadInput!) {
    reopenLead(input: $input) {
      lead {
        id
        status
        outcome
        closeReason
        closeNote
        closedAt
        assignedAt
        assignee {
          id
          name
        }
        ...LeadHistory_lead
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const FIELDS = ["note"];

export function ReopenLeadForm({
  leadId,
  onReopened,
}: {
  leadId: string;
  /** The clerk it went back to, or null when it is NEW again. */
  onReopened: (assigneeName: string | null) => void;
}) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [refusals, setRefusals] = useState(0);
  const [{ fetching }, reopenLead] = useMutation(ReopenLeadDocument);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "reopen-error");
  }, [refusals]);

  function refuse(next: Record<string, UserErrorLike>) {
    setErrors(next);
    setConfirming(false);
    setRefusals((count) => count + 1);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!confirming) {
      setErrors({});
      setConfirming(true);
      return;
    }
    const result = await reopenLead({ input: { leadId, note: note.trim() || null } });
    if (result.error) {
      refuse({ [FORM]: requestError(result.error) });
      return;
    }
    const payload = result.data?.reopenLead;
    const userErrors = readUserErrors(payload?.userErrors);
    if (payload?.lead && userErrors.length === 0) {
      onReopened(payload.lead.assignee?.name ?? null);
      return;
    }
    refuse(errorsByField(userErrors, FIELDS));
  }

  function cancelConfirmation() {
    setConfirming(false);
    requestAnimationFrame(() => submitRef.current?.focus());
  }

  const formError = errors[FORM];
  return (
    <section className="card" aria-labelledby="reopen-title">
      <h2 id="reopen-title">{t("reopen.title")}</h2>
      <p className="hint">{t("reopen.intro")}</p>
      <form ref={formRef} className="form" onSubmit={submit} noValidate>
        <label htmlFor="reopen-note">{t("reopen.note")}</label>
        <textarea
          id="reopen-note"
          rows={2}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          {...invalidProps("reopen-note-error", errors.note)}
        />
        <FieldError id="reopen-note-error" error={errors.note} />
        {formError?.code === "INVALID_STATE" ? (
          <p id="reopen-error" className="error" role="alert">
            {t("reopen.notDone")}
          </p>
        ) : (
          <FieldError id="reopen-error" error={formError} />
        )}
        {confirming ? (
          <div
            className="confirm"
            role="group"
            aria-labelledby="reopen-confirm-title"
            aria-describedby="reopen-confirm-text"
            data-testid="reopen-confirm"
          >
            <p id="reopen-confirm-title" className="confirm-title">
              {t("reopen.confirmTitle")}
            </p>
            <p id="reopen-confirm-text">{t("reopen.confirmText")}</p>
            <div className="actions">
              <button type="button" onClick={cancelConfirmation} disabled={fetching}>
                {t("reopen.cancel")}
              </button>
              <button ref={confirmRef} type="submit" className="primary" disabled={fetching}>
                {fetching ? t("reopen.busy") : t("reopen.confirm")}
              </button>
            </div>
          </div>
        ) : (
          <div className="actions">
            <button ref={submitRef} type="submit" className="primary">
              {t("reopen.submit")}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
