// A campaign's distribution (managers): which clerks its leads go to, by which strategy, and
// whether new leads (createLeads, imports, partners) are distributed as they arrive.
import { type FormEvent, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { type DistributionStrategy, STRATEGIES } from "../distribution";
import { errorText } from "../errorText";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { ClerkLoad, DistributionClerksDocument } from "./ClerkLoad";
import { FieldError, readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

export const CampaignDistributionFragment = graphql(`
  fragment CampaignDistribution_campaign on Campaign {
    id
    name
    distribution {
      clerks {
        id
      }
      strategy
      automatic
    }
  }
`);

const SetCampaignDistributionDocument = graphql(`
  mutation SetCampaignDistribution($input: SetCampaignDistributionInput!) {
    setCampaignDistribution(input: $input) {
      campaign {
        ...CampaignDistribution_campaign
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function CampaignDistributionForm({
  campaign: node,
}: {
  campaign: FragmentType<typeof CampaignDistributionFragment>;
}) {
  const { t } = useI18n();
  const id = useId();
  const campaign = getFragmentData(CampaignDistributionFragment, node);
  const stored = campaign.distribution;
  const [open, setOpen] = useState(false);
  const [clerkIds, setClerkIds] = useState<string[]>(stored?.clerks.map((clerk) => clerk.id) ?? []);
  const [strategy, setStrategy] = useState<DistributionStrategy>(
    stored?.strategy ?? "LEAST_LOADED",
  );
  const [automatic, setAutomatic] = useState(stored?.automatic ?? false);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [saved, setSaved] = useState(false);
  const [{ fetching }, save] = useMutation(SetCampaignDistributionDocument);
  const [clerks] = useQuery({
    query: DistributionClerksDocument,
    pause: !open,
  });
  const active = clerks.data?.users.filter((clerk) => clerk.active) ?? [];
  const formId = `${id}-form`;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    if (automatic && clerkIds.length === 0) {
      setErrors({
        clerkIds: { code: "REQUIRED", message: "", field: ["clerkIds"] },
      });
      return;
    }
    const result = await save({
      input: { campaignId: campaign.id, clerkIds, strategy, automatic },
    });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const userErrors = readUserErrors(result.data?.setCampaignDistribution.userErrors);
    setErrors(errorsByField(userErrors, ["clerkIds"]));
    setSaved(userErrors.length === 0);
  }

  function changed<T>(set: (value: T) => void) {
    return (value: T) => {
      set(value);
      setSaved(false);
    };
  }
  const chooseClerks = changed(setClerkIds);

  return (
    <div className="campaign-distribution">
      <p className="hint" data-testid="distribution-summary">
        {stored?.automatic
          ? t("campaignDistribution.automaticOn", {
              count: stored.clerks.length,
              strategy: t(`distribute.strategy.${stored.strategy}`),
            })
          : t("campaignDistribution.automaticOff")}
      </p>
      <button
        type="button"
        aria-expanded={open}
        aria-controls={formId}
        onClick={() => setOpen(!open)}
      >
        {t("campaignDistribution.open")}
      </button>
      {open && (
        <form id={formId} className="form" onSubmit={submit} noValidate>
          <fieldset aria-describedby={errors.clerkIds ? `${id}-clerks-error` : undefined}>
            <legend>{t("campaignDistribution.clerks", { name: campaign.name })}</legend>
            {clerks.fetching && <p role="status">{t("app.loading")}</p>}
            {active.map((clerk) => (
              <label key={clerk.id} className="choice">
                <input
                  type="checkbox"
                  checked={clerkIds.includes(clerk.id)}
                  onChange={(event) =>
                    chooseClerks(
                      event.target.checked
                        ? [...clerkIds, clerk.id]
                        : clerkIds.filter((one) => one !== clerk.id),
                    )
                  }
                />
                <span className="clerk-name">{clerk.name}</span>
                <ClerkLoad clerk={clerk} />
              </label>
            ))}
          </fieldset>
          <FieldError id={`${id}-clerks-error`} error={errors.clerkIds} />
          <label htmlFor={`${id}-strategy`}>{t("distribute.strategy")}</label>
          <select
            id={`${id}-strategy`}
            value={strategy}
            onChange={(event) => changed(setStrategy)(event.target.value as DistributionStrategy)}
          >
            {STRATEGIES.map((option) => (
              <option key={option} value={option}>
                {t(`distribute.strategy.${option}`)}
              </option>
            ))}
          </select>
          <label className="choice">
            <input
              type="checkbox"
              checked={automatic}
              onChange={(event) => changed(setAutomatic)(event.target.checked)}
            />
            <span>{t("campaignDistribution.automatic")}</span>
          </label>
          <FormError id={`${id}-error`} error={errors[FORM]} />
          <div className="actions">
            {saved && (
              <span className="saved" role="status">
                {t("campaignDistribution.saved")}
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
