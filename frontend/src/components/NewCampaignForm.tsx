// "Neue Kampagne" (managers): name, description, start and end, and for admins the retention
// days; the server's refusals (a name that exists already, an end before the start) next to
// their fields.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { CAMPAIGN_FIELDS, type CampaignDraft, EMPTY_CAMPAIGN, campaignInput } from "../leadIntake";
import { mayDecideRetention } from "../privacy";
import type { Viewer } from "../viewer";
import { FieldError, invalidProps, readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

const CreateCampaignDocument = graphql(`
  mutation CreateCampaign($input: CreateCampaignInput!) {
    createCampaign(input: $input) {
      campaign {
        id
        name
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

/** "Neue Kampagne": the button opens the form (the figures stay at the top of the screen); once
 * the campaign is there, the form closes and the message takes the focus. */
export function NewCampaign({ viewer, onCreated }: { viewer: Viewer; onCreated: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<{ name: string } | null>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const message = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (created) message.current?.focus();
  }, [created]);

  return (
    <>
      <div className="notices" aria-live="polite">
        {created && (
          <p ref={message} tabIndex={-1} className="success" role="status">
            {t("campaignForm.created", { name: created.name })}
          </p>
        )}
      </div>
      <p>
        <button
          ref={toggle}
          type="button"
          aria-expanded={open}
          aria-controls="new-campaign"
          onClick={() => {
            setOpen(!open);
            setCreated(null);
          }}
        >
          {t("campaignForm.open")}
        </button>
      </p>
      {open && (
        <NewCampaignForm
          withRetention={mayDecideRetention(viewer)}
          onCreated={(name) => {
            setOpen(false);
            setCreated({ name });
            onCreated();
          }}
          onCancel={() => {
            setOpen(false);
            toggle.current?.focus();
          }}
        />
      )}
    </>
  );
}

export function NewCampaignForm({
  withRetention,
  onCreated,
  onCancel,
}: {
  /** Shows "Aufbewahrung (Tage)" and sends it: admins only (how soon people are erased). */
  withRetention: boolean;
  onCreated: (name: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<CampaignDraft>(EMPTY_CAMPAIGN);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [{ fetching }, createCampaign] = useMutation(CreateCampaignDocument);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = campaignInput(draft, withRetention);
    if ("error" in checked) {
      setErrors(errorsByField([checked.error], CAMPAIGN_FIELDS));
      return;
    }
    const result = await createCampaign({ input: checked.input });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const payload = result.data?.createCampaign;
    const userErrors = readUserErrors(payload?.userErrors);
    setErrors(errorsByField(userErrors, CAMPAIGN_FIELDS));
    if (payload?.campaign && userErrors.length === 0) {
      setDraft(EMPTY_CAMPAIGN);
      onCreated(payload.campaign.name);
    }
  }

  function field(name: keyof CampaignDraft, label: string, type = "text") {
    const id = `new-campaign-${name}`;
    return (
      <>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type={type}
          // Opened by its button: the name is what to type first.
          autoFocus={name === "name"}
          value={draft[name]}
          required={name === "name"}
          onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
          {...invalidProps(`${id}-error`, errors[name])}
        />
        <FieldError id={`${id}-error`} error={errors[name]} />
      </>
    );
  }

  return (
    <section id="new-campaign" className="card" aria-labelledby="new-campaign-title">
      <h2 id="new-campaign-title">{t("campaignForm.title")}</h2>
      <form className="form" onSubmit={submit} noValidate>
        {field("name", t("campaignForm.name"))}
        <label htmlFor="new-campaign-description">{t("campaignForm.description")}</label>
        <textarea
          id="new-campaign-description"
          rows={2}
          value={draft.description}
          onChange={(event) => setDraft({ ...draft, description: event.target.value })}
          {...invalidProps("new-campaign-description-error", errors.description)}
        />
        <FieldError id="new-campaign-description-error" error={errors.description} />
        <div className="form-row">
          <div className="form">{field("startsOn", t("campaignForm.startsOn"), "date")}</div>
          <div className="form">{field("endsOn", t("campaignForm.endsOn"), "date")}</div>
        </div>
        {withRetention && (
          <>
            <label htmlFor="new-campaign-retentionDays">{t("campaignForm.retentionDays")}</label>
            <input
              id="new-campaign-retentionDays"
              className="retention-days"
              inputMode="numeric"
              value={draft.retentionDays}
              onChange={(event) => setDraft({ ...draft, retentionDays: event.target.value })}
              aria-describedby="new-campaign-retentionDays-hint"
              {...invalidProps("new-campaign-retentionDays-error", errors.retentionDays)}
            />
            <p id="new-campaign-retentionDays-hint" className="hint">
              {t("campaignForm.retentionHint")}
            </p>
            <FieldError id="new-campaign-retentionDays-error" error={errors.retentionDays} />
          </>
        )}
        <FormError error={errors[FORM]} id="new-campaign-error" />
        <div className="actions">
          <button type="button" onClick={onCancel}>
            {t("board.cancel")}
          </button>
          <button type="submit" className="primary" disabled={fetching}>
            {fetching ? t("campaignForm.busy") : t("campaignForm.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
