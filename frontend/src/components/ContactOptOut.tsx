// The contact's objection to being contacted (DSGVO), on the lead page's contact card: when it
// stands, since when and the note; "Widerspruch erfassen" for the lead's clerk and managers,
// "Widerspruch aufheben" (consent given again, with a note) for managers and admins.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField, formatDateTime } from "../leadDetail";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

export const ContactOptOutFragment = graphql(`
  fragment ContactOptOut_contact on Contact {
    id
    optedOut
    optedOutAt
    optedOutNote
  }
`);

const SetContactOptOutDocument = graphql(`
  mutation SetContactOptOut($input: SetContactOptOutInput!) {
    setContactOptOut(input: $input) {
      contact {
        id
        optedOut
        optedOutAt
        optedOutNote
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const FIELDS = ["note"];

export function ContactOptOut({
  contact: contactRef,
  mayRecord,
  mayLift,
  onChanged,
}: {
  contact: FragmentType<typeof ContactOptOutFragment>;
  mayRecord: boolean;
  mayLift: boolean;
  /** Saved: the page reads the lead again (badges, planning warning). */
  onChanged: (optedOut: boolean) => void;
}) {
  const { t, language } = useI18n();
  const contact = getFragmentData(ContactOptOutFragment, contactRef);
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [refusals, setRefusals] = useState(0);
  const [{ fetching }, setOptOut] = useMutation(SetContactOptOutDocument);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (open) formRef.current?.querySelector<HTMLElement>("textarea")?.focus();
  }, [open]);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "opt-out-error");
  }, [refusals]);

  const lifting = contact.optedOut;
  const allowed = lifting ? mayLift : mayRecord;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await setOptOut({
      input: { contactId: contact.id, optedOut: !lifting, note: note.trim() || null },
    });
    if (result.error) {
      setErrors({ [FORM]: requestError(result.error) });
      setRefusals((count) => count + 1);
      return;
    }
    const payload = result.data?.setContactOptOut;
    const userErrors = readUserErrors(payload?.userErrors);
    if (payload?.contact && userErrors.length === 0) {
      setOpen(false);
      setNote("");
      setErrors({});
      onChanged(payload.contact.optedOut);
      return;
    }
    setErrors(errorsByField(userErrors, FIELDS));
    setRefusals((count) => count + 1);
  }

  function cancel() {
    setOpen(false);
    setNote("");
    setErrors({});
  }

  return (
    <div className="opt-out" data-testid="opt-out">
      {contact.optedOut ? (
        <p className="opt-out-state">
          {contact.optedOutAt &&
            t("optOut.since", { at: formatDateTime(language, contact.optedOutAt) })}
          {contact.optedOutNote && (
            <span className="note" data-testid="opt-out-note">
              {" · "}
              {contact.optedOutNote}
            </span>
          )}
        </p>
      ) : null}
      {allowed && !open && (
        <button type="button" onClick={() => setOpen(true)}>
          {t(lifting ? "optOut.lift" : "optOut.record")}
        </button>
      )}
      {allowed && open && (
        <form
          ref={formRef}
          className="form"
          onSubmit={submit}
          noValidate
          aria-labelledby="opt-out-form-title"
        >
          <h3 id="opt-out-form-title">{t(lifting ? "optOut.lift" : "optOut.record")}</h3>
          <p className="hint">{t(lifting ? "optOut.liftIntro" : "optOut.recordIntro")}</p>
          <label htmlFor="opt-out-note">{t("optOut.note")}</label>
          <textarea
            id="opt-out-note"
            rows={2}
            value={note}
            placeholder={lifting ? t("optOut.liftPlaceholder") : undefined}
            onChange={(event) => setNote(event.target.value)}
            {...invalidProps("opt-out-note-error", errors.note)}
          />
          <FieldError id="opt-out-note-error" error={errors.note} />
          <FieldError id="opt-out-error" error={errors[FORM]} />
          <div className="actions">
            <button type="button" onClick={cancel} disabled={fetching}>
              {t("optOut.cancel")}
            </button>
            <button type="submit" className="primary" disabled={fetching}>
              {fetching
                ? t("optOut.busy")
                : t(lifting ? "optOut.liftSubmit" : "optOut.recordSubmit")}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
