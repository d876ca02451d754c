// "Lead hinzufügen" (managers): one lead with its contact details into a campaign, through the
// same createLeads as a partner's batch; the refusals next to their fields.
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import type { MessageKey } from "../i18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { EMPTY_LEAD, LEAD_FIELDS, type LeadDraft, leadInput, singleLeadErrors } from "../leadIntake";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

const CreateLeadDocument = graphql(`
  mutation CreateLead($input: CreateLeadsInput!) {
    createLeads(input: $input) {
      leads {
        id
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

// The lead is someone else: the browser must not offer the manager's own address and number.
const AUTOCOMPLETE: Partial<Record<keyof LeadDraft, string>> = {
  email: "off",
  phone: "off",
};

export function NewLeadForm({
  campaignId,
  campaignName,
  onAdded,
}: {
  campaignId: string;
  campaignName: string;
  onAdded: (leadId: string, name: string) => void;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<LeadDraft>(EMPTY_LEAD);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [{ fetching }, createLead] = useMutation(CreateLeadDocument);
  const prefix = `new-lead-${campaignId}`;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await createLead({ input: { campaignId, leads: [leadInput(draft)] } });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const payload = result.data?.createLeads;
    const userErrors = singleLeadErrors(readUserErrors(payload?.userErrors));
    setErrors(errorsByField(userErrors, [...LEAD_FIELDS]));
    const lead = payload?.leads?.[0];
    if (lead && userErrors.length === 0) {
      const name = [draft.firstName.trim(), draft.lastName.trim()].filter(Boolean).join(" ");
      setDraft(EMPTY_LEAD);
      onAdded(lead.id, name);
    }
  }

  return (
    <form
      className="form new-lead"
      onSubmit={submit}
      noValidate
      aria-label={t("leadForm.title", { campaign: campaignName })}
    >
      <p className="hint">{t("leadForm.hint")}</p>
      <div className="field-grid">
        {LEAD_FIELDS.map((field) => {
          const id = `${prefix}-${field}`;
          return (
            <div key={field} className="form">
              <label htmlFor={id}>{t(`leadForm.${field}` as MessageKey)}</label>
              <input
                id={id}
                type={field === "email" ? "email" : field === "phone" ? "tel" : "text"}
                autoComplete={AUTOCOMPLETE[field]}
                value={draft[field]}
                required={field === "lastName"}
                onChange={(event) => setDraft({ ...draft, [field]: event.target.value })}
                {...invalidProps(`${id}-error`, errors[field])}
              />
              <FieldError id={`${id}-error`} error={errors[field]} />
            </div>
          );
        })}
      </div>
      <FormError id={`${prefix}-error`} error={errors[FORM]} />
      <div className="actions">
        <button type="submit" className="primary" disabled={fetching}>
          {fetching ? t("leadForm.busy") : t("leadForm.submit")}
        </button>
      </div>
    </form>
  );
}
