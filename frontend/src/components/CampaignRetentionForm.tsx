// A campaign's retention (DSGVO): how many days after the last close retention erases the
// people whose leads all closed unsuccessful. Everyone on the screen reads it; only admins
// change it (updateCampaign's retentionDays, the server's rule), since it decides how soon
// people are erased.
import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../errorText";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { parseRetentionDays } from "../privacy";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

export const CampaignRetentionFragment = graphql(`
  fragment CampaignRetention_campaign on Campaign {
    id
    name
    retentionDays
  }
`);

const UpdateCampaignRetentionDocument = graphql(`
  mutation UpdateCampaignRetention($input: UpdateCampaignInput!) {
    updateCampaign(input: $input) {
      campaign {
        ...CampaignRetention_campaign
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const FIELDS = ["retentionDays"];

export function CampaignRetentionForm({
  campaign: node,
  mayChange,
}: {
  campaign: FragmentType<typeof CampaignRetentionFragment>;
  /** Admins: the button and the form; everyone else reads the summary only. */
  mayChange: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const campaign = getFragmentData(CampaignRetentionFragment, node);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [saved, setSaved] = useState(false);
  const [{ fetching }, save] = useMutation(UpdateCampaignRetentionDocument);
  const formId = `${id}-form`;
  const inputId = `${id}-days`;

  function toggle() {
    // Opens with the stored value, so that saving unchanged keeps it.
    if (!open) setTyped(campaign.retentionDays === null ? "" : String(campaign.retentionDays));
    setErrors({});
    setSaved(false);
    setOpen(!open);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const retention = parseRetentionDays(typed);
    if (!retention.ok) {
      setErrors({ retentionDays: { code: "INVALID", message: "", field: ["retentionDays"] } });
      return;
    }
    // null: the server's default applies again (updateCampaign's documented meaning).
    const result = await save({
      input: { campaignId: campaign.id, retentionDays: retention.value },
    });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const userErrors = readUserErrors(result.data?.updateCampaign.userErrors);
    setErrors(errorsByField(userErrors, FIELDS));
    setSaved(userErrors.length === 0);
  }

  return (
    <div className="campaign-retention">
      <p className="hint" data-testid="retention-summary">
        {campaign.retentionDays === null
          ? t("campaignRetention.default")
          : t("campaignRetention.days", { count: campaign.retentionDays })}
      </p>
      {mayChange && (
        <button type="button" aria-expanded={open} aria-controls={formId} onClick={toggle}>
          {t("campaignRetention.open")}
        </button>
      )}
      {mayChange && open && (
        <form
          id={formId}
          className="form"
          onSubmit={submit}
          noValidate
          aria-label={t("campaignRetention.formLabel", { name: campaign.name })}
        >
          <label htmlFor={inputId}>{t("campaignForm.retentionDays")}</label>
          <input
            id={inputId}
            className="retention-days"
            inputMode="numeric"
            value={typed}
            onChange={(event) => {
              setTyped(event.target.value);
              setSaved(false);
            }}
            aria-describedby={`${inputId}-hint`}
            {...invalidProps(`${inputId}-error`, errors.retentionDays)}
          />
          <p id={`${inputId}-hint`} className="hint">
            {t("campaignForm.retentionHint")}
          </p>
          <FieldError id={`${inputId}-error`} error={errors.retentionDays} />
          <FormError id={`${id}-error`} error={errors[FORM]} />
          <div className="actions">
            {saved && (
              <span className="saved" role="status">
                {t("campaignRetention.saved")}
              </span>
            )}
            <button type="submit" className="primary" disabled={fetching}>
              {fetching ? t("clerks.saving") : t("clerks.save")}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
