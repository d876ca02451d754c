// The person's rights (DSGVO) on the lead page's contact card, for admins: "Auskunft exportieren"
// (Art. 15: everything stored about the person, as a JSON file) and "Personendaten löschen"
// (Art. 17): a dialog that asks the reason and says what is removed, what stays and that it
// cannot be undone; once erased, the card says since when.
import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { requestError } from "../errorText";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { focusFirstProblem } from "../formFocus";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField, formatDateTime } from "../leadDetail";
import {
  ERASURE_FIELDS,
  contactExportUrl,
  erasureErrors,
  erasureInput,
  isErased,
} from "../privacy";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

export const ContactErasureFragment = graphql(`
  fragment ContactErasure_contact on Contact {
    id
    erasedAt
    viewerMayExport
  }
`);

const EraseContactDocument = graphql(`
  mutation EraseContact($input: EraseContactInput!) {
    eraseContact(input: $input) {
      contact {
        id
        erasedAt
        optedOut
        ...ContactName_contact
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function ContactErasure({
  contact: contactRef,
  mayErase,
  onErased,
}: {
  contact: FragmentType<typeof ContactErasureFragment>;
  mayErase: boolean;
  /** Erased: the page reads the lead again (every text about the person is gone). */
  onErased: () => void;
}) {
  const { t, language } = useI18n();
  const contact = getFragmentData(ContactErasureFragment, contactRef);
  const [open, setOpen] = useState(false);
  const erased = isErased(contact);
  // The server says whether this viewer may export (admins; managers where the instance allows).
  const mayExport = contact.viewerMayExport;
  if (!mayErase && !mayExport && !erased) return null;
  return (
    <div className="erasure" data-testid="erasure">
      {contact.erasedAt && (
        <p className="hint" data-testid="erased-at">
          {t("erasure.erasedAt", { at: formatDateTime(language, contact.erasedAt) })}
        </p>
      )}
      {mayExport && (
        <a href={contactExportUrl(contact.id)} download title={t("contactExport.hint")}>
          {t("contactExport.link")}
        </a>
      )}
      {mayErase && !erased && (
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          {t("erasure.open")}
        </button>
      )}
      {open && (
        <ErasureDialog
          contactId={contact.id}
          onCancel={() => setOpen(false)}
          onErased={() => {
            setOpen(false);
            onErased();
          }}
        />
      )}
    </div>
  );
}

function ErasureDialog({
  contactId,
  onCancel,
  onErased,
}: {
  contactId: string;
  onCancel: () => void;
  onErased: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [refusals, setRefusals] = useState(0);
  const [{ fetching }, erase] = useMutation(EraseContactDocument);

  // Modal: the focus stays inside and Esc cancels; closing gives the focus back to the opener
  // (as AssignDialog does), so that a keyboard user goes on where they were.
  useLayoutEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal();
    element?.querySelector<HTMLElement>("textarea")?.focus();
    return () => {
      element?.close();
      opener?.focus();
    };
  }, []);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "erasure-error");
  }, [refusals]);

  function refuse(byField: Record<string, UserErrorLike>) {
    setErrors(byField);
    setRefusals((count) => count + 1);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = erasureInput(contactId, reason);
    if ("error" in checked) return refuse(errorsByField([checked.error], ERASURE_FIELDS));
    const result = await erase({ input: checked.input });
    if (result.error) return refuse({ [FORM]: requestError(result.error) });
    const payload = result.data?.eraseContact;
    const userErrors = readUserErrors(payload?.userErrors);
    if (payload?.contact && userErrors.length === 0) return onErased();
    refuse(errorsByField(erasureErrors(userErrors), ERASURE_FIELDS));
  }

  return (
    <dialog
      ref={dialog}
      className="erasure-dialog"
      aria-labelledby="erasure-title"
      aria-describedby="erasure-final"
      onCancel={(event) => {
        event.preventDefault();
        if (!fetching) onCancel();
      }}
    >
      <h2 id="erasure-title">{t("erasure.title")}</h2>
      <form ref={formRef} className="form" onSubmit={submit} noValidate>
        <p>{t("erasure.intro")}</p>
        <ul>
          <li data-testid="erasure-removes">{t("erasure.removes")}</li>
          <li data-testid="erasure-keeps">{t("erasure.keeps")}</li>
        </ul>
        <p id="erasure-final" className="erasure-final">
          {t("erasure.final")}
        </p>
        <label htmlFor="erasure-reason">{t("erasure.reason")}</label>
        <textarea
          id="erasure-reason"
          rows={2}
          required
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          aria-describedby="erasure-reason-hint"
          {...invalidProps("erasure-reason-error", errors.erasureReason)}
        />
        <p id="erasure-reason-hint" className="hint">
          {t("erasure.reasonHint")}
        </p>
        <FieldError id="erasure-reason-error" error={errors.erasureReason} />
        <FieldError id="erasure-error" error={errors[FORM]} />
        <div className="actions">
          <button type="button" onClick={onCancel} disabled={fetching}>
            {t("erasure.cancel")}
          </button>
          <button type="submit" className="primary danger" disabled={fetching}>
            {fetching ? t("erasure.busy") : t("erasure.submit")}
          </button>
        </div>
      </form>
    </dialog>
  );
}
