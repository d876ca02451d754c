// "Kontakt bearbeiten": the contact's details as a small form on the lead page. Only the fields
// the user changed are sent (updateContact changes only the given ones), and each refusal is
// shown next to its field in the user's language.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { focusFirstProblem } from "../formFocus";
import { requestError } from "../errorText";
import { useI18n } from "../I18n";
import {
  CONTACT_FIELDS,
  type ContactField,
  type ContactValues,
  FORM,
  type UserErrorLike,
  contactChanges,
  errorsByField,
} from "../leadDetail";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";

const UpdateContactDocument = graphql(`
  mutation UpdateContact($input: UpdateContactInput!) {
    updateContact(input: $input) {
      contact {
        id
        ...ContactName_contact
        email
        phone
        street
        postalCode
        city
        country
        ...ContactHistory_contact
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const INPUT_TYPES: Partial<Record<ContactField, string>> = { email: "email", phone: "tel" };

export function ContactEditForm({
  contactId,
  original,
  onSaved,
  onCancel,
}: {
  contactId: string;
  original: ContactValues;
  /** After a save; `changed` is false when nothing differed and nothing was sent. */
  onSaved: (changed: boolean) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<ContactValues>(original);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [refusals, setRefusals] = useState(0);
  const [{ fetching }, updateContact] = useMutation(UpdateContactDocument);
  const formRef = useRef<HTMLFormElement>(null);

  // Opening the form puts the focus on its first field; a refusal on the field to fix.
  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>("input")?.focus();
  }, []);
  useEffect(() => {
    if (refusals > 0) focusFirstProblem(formRef.current, "contact-error");
  }, [refusals]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const changes = contactChanges(original, values);
    if (Object.keys(changes).length === 0) {
      onSaved(false);
      return;
    }
    const result = await updateContact({ input: { contactId, ...changes } });
    const userErrors = result.error
      ? [requestError(result.error)]
      : readUserErrors(result.data?.updateContact.userErrors);
    if (!result.error && result.data?.updateContact.contact && userErrors.length === 0) {
      onSaved(true);
      return;
    }
    setErrors(errorsByField(userErrors, CONTACT_FIELDS));
    setRefusals((count) => count + 1);
  }

  function change(field: ContactField, value: string) {
    setValues((current) => ({ ...current, [field]: value }));
    // The refusal of this field no longer applies to what is typed now.
    setErrors(({ [field]: _changed, ...others }) => others);
  }

  return (
    <form
      ref={formRef}
      className="form contact-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="contact-edit-title"
    >
      <h3 id="contact-edit-title">{t("contact.editTitle")}</h3>
      <div className="contact-fields">
        {CONTACT_FIELDS.map((field) => (
          <div key={field} className={`contact-field contact-${field}`}>
            <label htmlFor={`contact-${field}`}>{t(`contact.${field}`)}</label>
            <input
              id={`contact-${field}`}
              type={INPUT_TYPES[field] ?? "text"}
              // The browser's own address book is the clerk's, not the customer's.
              autoComplete="off"
              value={values[field]}
              onChange={(event) => change(field, event.target.value)}
              {...invalidProps(`contact-${field}-error`, errors[field])}
            />
            <FieldError id={`contact-${field}-error`} error={errors[field]} />
          </div>
        ))}
      </div>
      <FieldError id="contact-error" error={errors[FORM]} />
      <div className="actions">
        <button type="button" onClick={onCancel} disabled={fetching}>
          {t("contact.cancel")}
        </button>
        <button type="submit" className="primary" disabled={fetching}>
          {fetching ? t("contact.busy") : t("contact.save")}
        </button>
      </div>
    </form>
  );
}
