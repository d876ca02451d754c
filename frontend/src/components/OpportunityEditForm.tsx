// "Bearbeiten": title, expected value (typed as people write amounts, like the close form's
// value) and expected close date of a Verkaufschance; only what changed is sent.
import { type FormEvent, useRef, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../errorText";
import { focusFirstProblem } from "../formFocus";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { draftOf, opportunityChanges } from "../pipeline";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

export const OpportunityEditFragment = graphql(`
  fragment OpportunityEditForm_opportunity on Opportunity {
    id
    title
    expectedValue
    expectedCloseDate
  }
`);

const UpdateOpportunityDocument = graphql(`
  mutation UpdateOpportunity($input: UpdateOpportunityInput!) {
    updateOpportunity(input: $input) {
      opportunity {
        ...OpportunityEditForm_opportunity
        ...OpportunityHistory_opportunity
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const FIELDS = ["title", "expectedValue", "expectedCloseDate"];

export function OpportunityEditForm({
  opportunity,
  onSaved,
}: {
  opportunity: FragmentType<typeof OpportunityEditFragment>;
  onSaved: (changed: boolean) => void;
}) {
  const { t, language } = useI18n();
  const current = getFragmentData(OpportunityEditFragment, opportunity);
  const [draft, setDraft] = useState(() => draftOf(language, current));
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [{ fetching }, update] = useMutation(UpdateOpportunityDocument);
  const form = useRef<HTMLFormElement>(null);

  function refuse(next: Record<string, UserErrorLike>) {
    setErrors(next);
    // After the render that marks the fields: the focus goes to what to fix.
    requestAnimationFrame(() => focusFirstProblem(form.current, "opportunity-edit-error"));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const edit = opportunityChanges(language, current, draft);
    if (!edit.ok) {
      refuse({ expectedValue: { code: "INVALID", message: "", field: ["expectedValue"] } });
      return;
    }
    if (Object.keys(edit.changes).length === 0) {
      setErrors({});
      onSaved(false);
      return;
    }
    const result = await update({ input: { opportunityId: current.id, ...edit.changes } });
    if (result.error) {
      refuse({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const payload = result.data?.updateOpportunity;
    const userErrors = readUserErrors(payload?.userErrors);
    if (userErrors.length > 0) {
      refuse(errorsByField(userErrors, FIELDS));
      return;
    }
    setErrors({});
    const saved = payload?.opportunity;
    if (saved) setDraft(draftOf(language, getFragmentData(OpportunityEditFragment, saved)));
    onSaved(true);
  }

  return (
    <section className="card" aria-labelledby="opportunity-edit-title">
      <h2 id="opportunity-edit-title">{t("oppEdit.title")}</h2>
      <form ref={form} className="form" onSubmit={submit} noValidate>
        <label htmlFor="opportunity-edit-name">{t("oppEdit.name")}</label>
        <input
          id="opportunity-edit-name"
          value={draft.title}
          onChange={(event) => setDraft({ ...draft, title: event.target.value })}
          {...invalidProps("opportunity-edit-name-error", errors.title)}
        />
        <FieldError id="opportunity-edit-name-error" error={errors.title} />
        <label htmlFor="opportunity-edit-value">{t("oppEdit.value")}</label>
        <input
          id="opportunity-edit-value"
          inputMode="decimal"
          value={draft.value}
          onChange={(event) => setDraft({ ...draft, value: event.target.value })}
          {...invalidProps("opportunity-edit-value-error", errors.expectedValue)}
        />
        <FieldError id="opportunity-edit-value-error" error={errors.expectedValue} />
        <label htmlFor="opportunity-edit-close-date">{t("oppEdit.closeDate")}</label>
        <input
          id="opportunity-edit-close-date"
          type="date"
          value={draft.closeDate}
          onChange={(event) => setDraft({ ...draft, closeDate: event.target.value })}
          {...invalidProps("opportunity-edit-close-date-error", errors.expectedCloseDate)}
        />
        <FieldError id="opportunity-edit-close-date-error" error={errors.expectedCloseDate} />
        <FormError id="opportunity-edit-error" error={errors[FORM]} />
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? t("oppEdit.busy") : t("oppEdit.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
