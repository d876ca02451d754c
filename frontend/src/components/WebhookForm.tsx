// The fields of a webhook, for "Webhook anlegen" and "Bearbeiten": URL, description, the events
// (checkboxes in the contract's order) and the campaigns (none chosen is every campaign). The
// refusals come from the parent's mutation, each next to its field.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { focusFirstProblem } from "../formFocus";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike } from "../leadDetail";
import { type WebhookDraft, eventLabel, toggled } from "../webhooks";
import { CampaignOptionsDocument } from "./CampaignSelect";
import { FieldError, invalidProps } from "./FieldError";
import { FormError } from "./FormError";

export function WebhookForm({
  idPrefix,
  initial,
  eventTypes,
  errors,
  busy,
  submitLabel,
  busyLabel,
  onSubmit,
  onCancel,
}: {
  /** Keeps the ids of two forms on one screen apart ("new-webhook", "edit-webhook"). */
  idPrefix: string;
  initial: WebhookDraft;
  eventTypes: readonly string[];
  errors: Record<string, UserErrorLike>;
  busy: boolean;
  submitLabel: string;
  busyLabel: string;
  onSubmit: (draft: WebhookDraft) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<WebhookDraft>(initial);
  const [campaignOptions] = useQuery({ query: CampaignOptionsDocument });
  const campaigns = campaignOptions.data?.campaigns.edges.map((edge) => edge.node) ?? [];
  const campaignOrder = campaigns.map((campaign) => campaign.id);
  const formRef = useRef<HTMLFormElement>(null);
  const errorId = `${idPrefix}-error`;

  // A refusal takes the focus to what to fix (the first invalid field, else the message).
  useEffect(() => {
    if (Object.keys(errors).length > 0) focusFirstProblem(formRef.current, errorId);
  }, [errors, errorId]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onSubmit(draft);
  }

  const urlId = `${idPrefix}-url`;
  const descriptionId = `${idPrefix}-description`;
  return (
    <form ref={formRef} className="form webhook-form" onSubmit={submit} noValidate>
      <label htmlFor={urlId}>{t("webhooks.url")}</label>
      <input
        id={urlId}
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://"
        // Opened by its button: the address is what to type first.
        autoFocus
        required
        value={draft.url}
        onChange={(event) => setDraft({ ...draft, url: event.target.value })}
        aria-describedby={errors.url ? `${urlId}-error` : `${urlId}-hint`}
        aria-invalid={errors.url ? true : undefined}
      />
      <span id={`${urlId}-hint`} className="hint">
        {t("webhooks.urlHint")}
      </span>
      <FieldError id={`${urlId}-error`} error={errors.url} />

      <label htmlFor={descriptionId}>{t("webhooks.description")}</label>
      <textarea
        id={descriptionId}
        rows={2}
        value={draft.description}
        onChange={(event) => setDraft({ ...draft, description: event.target.value })}
        {...invalidProps(`${descriptionId}-error`, errors.description)}
      />
      <FieldError id={`${descriptionId}-error`} error={errors.description} />

      <fieldset {...invalidProps(`${idPrefix}-events-error`, errors.events)}>
        <legend>{t("webhooks.events")}</legend>
        {eventTypes.map((eventType) => (
          <label key={eventType} className="choice">
            <input
              type="checkbox"
              name="events"
              value={eventType}
              checked={draft.events.includes(eventType)}
              onChange={(event) =>
                setDraft({
                  ...draft,
                  events: toggled(draft.events, eventType, event.target.checked, eventTypes),
                })
              }
            />
            {eventLabel(t, eventType)}
          </label>
        ))}
      </fieldset>
      <FieldError id={`${idPrefix}-events-error`} error={errors.events} />

      <fieldset
        className="webhook-campaigns"
        aria-describedby={errors.campaignIds ? undefined : `${idPrefix}-campaigns-hint`}
        {...invalidProps(`${idPrefix}-campaigns-error`, errors.campaignIds)}
      >
        <legend>{t("webhooks.campaigns")}</legend>
        <p id={`${idPrefix}-campaigns-hint`} className="hint">
          {t("webhooks.campaignsHint")}
        </p>
        {campaigns.map((campaign) => (
          <label key={campaign.id} className="choice">
            <input
              type="checkbox"
              name="campaigns"
              value={campaign.id}
              checked={draft.campaignIds.includes(campaign.id)}
              onChange={(event) =>
                setDraft({
                  ...draft,
                  campaignIds: toggled(
                    draft.campaignIds,
                    campaign.id,
                    event.target.checked,
                    campaignOrder,
                  ),
                })
              }
            />
            {campaign.name}
          </label>
        ))}
      </fieldset>
      <FieldError id={`${idPrefix}-campaigns-error`} error={errors.campaignIds} />

      <FormError id={errorId} error={errors[FORM]} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          {t("webhooks.cancel")}
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
      </div>
    </form>
  );
}
