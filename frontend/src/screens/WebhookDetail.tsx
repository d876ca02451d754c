// One webhook's page: what it hears and its state, "Bearbeiten", "Abschalten" / "Wieder
// einschalten", "Geheimnis erneuern" (the new secret shown once), "Löschen" after a question,
// and its delivery log.
import { type ReactNode, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { DetailFallback } from "../components/DetailFallback";
import { readUserErrors } from "../components/FieldError";
import { FormError } from "../components/FormError";
import { Link } from "../components/Link";
import { WebhookDeliveries } from "../components/WebhookDeliveries";
import {
  type WebhookFacts,
  WebhookFactList,
  readWebhookFacts,
} from "../components/WebhookFacts";
import { WebhookForm } from "../components/WebhookForm";
import { WebhookSecret } from "../components/WebhookSecret";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { usePageTitle } from "../pageTitle";
import { navigate } from "../router";
import { WEBHOOKS_PATH } from "../routes";
import "../webhooks.css";
import { WEBHOOK_FIELDS, type WebhookDraft, toFormField, webhookInput } from "../webhooks";

const WebhookDetailDocument = graphql(`
  query WebhookDetail($id: ID!) {
    webhook(id: $id) {
      id
      ...WebhookFacts_webhook
    }
    webhookEventTypes
  }
`);

const UpdateWebhookDocument = graphql(`
  mutation UpdateWebhook($input: UpdateWebhookInput!) {
    updateWebhook(input: $input) {
      webhook {
        id
        ...WebhookFacts_webhook
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const RotateWebhookSecretDocument = graphql(`
  mutation RotateWebhookSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      webhook {
        id
        secret
        previousSecretExpiresAt
        ...WebhookFacts_webhook
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

const DeleteWebhookDocument = graphql(`
  mutation DeleteWebhook($input: DeleteWebhookInput!) {
    deleteWebhook(input: $input) {
      deletedWebhookId
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function WebhookDetail({ webhookId }: { webhookId: string }) {
  const { t } = useI18n();
  const [{ data, fetching, error }] = useQuery({
    query: WebhookDetailDocument,
    variables: { id: webhookId },
    requestPolicy: "cache-and-network",
  });
  const back = (
    <p>
      <Link href={WEBHOOKS_PATH}>{t("webhooks.back")}</Link>
    </p>
  );
  const webhook = data?.webhook ? readWebhookFacts(data.webhook) : null;
  usePageTitle(webhook ? t("webhooks.detailTitle", { url: webhook.url }) : null);
  if (data && !data.webhook) return <NotFound back={back} />;
  if (!webhook) {
    return (
      <DetailFallback
        prefix="webhook"
        titleId="webhook-title"
        back={back}
        error={error}
        fetching={fetching}
      />
    );
  }
  return (
    <section aria-labelledby="webhook-title" className="webhooks">
      {back}
      <h1 id="webhook-title">
        {t("webhook.title")}
        <span className="subtitle webhook-url">{webhook.url}</span>
      </h1>
      <Settings webhook={webhook} eventTypes={data?.webhookEventTypes ?? []} />
      <WebhookDeliveries webhookId={webhook.id} />
    </section>
  );
}

function NotFound({ back }: { back: ReactNode }) {
  const { t } = useI18n();
  usePageTitle(t("webhook.notFoundTitle"));
  return (
    <section aria-labelledby="webhook-title">
      {back}
      <h1 id="webhook-title">{t("webhook.notFoundTitle")}</h1>
      <p className="problem" role="alert">
        {t("webhook.notFound")}
      </p>
    </section>
  );
}

type Notice = "saved" | "disabled" | "enabled";

function Settings({ webhook, eventTypes }: { webhook: WebhookFacts; eventTypes: readonly string[] }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [secret, setSecret] = useState<{ value: string; previousUntil: string | null } | null>(
    null,
  );
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [actionError, setActionError] = useState<UserErrorLike | undefined>(undefined);
  const [update, updateWebhook] = useMutation(UpdateWebhookDocument);
  const [rotation, rotateSecret] = useMutation(RotateWebhookSecretDocument);
  const [deletion, deleteWebhook] = useMutation(DeleteWebhookDocument);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);

  function failed(error: Parameters<typeof errorText>[1]) {
    setActionError({ code: "", message: errorText(t, error) });
  }

  function start() {
    setNotice(null);
    setActionError(undefined);
  }

  async function save(draft: WebhookDraft) {
    start();
    const result = await updateWebhook({ input: { webhookId: webhook.id, ...webhookInput(draft) } });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const userErrors = readUserErrors(result.data?.updateWebhook.userErrors).map(toFormField);
    setErrors(errorsByField(userErrors, WEBHOOK_FIELDS));
    if (userErrors.length === 0) {
      setEditing(false);
      setNotice("saved");
      editButton.current?.focus();
    }
  }

  async function switchActive() {
    start();
    const active = !webhook.active;
    const result = await updateWebhook({ input: { webhookId: webhook.id, active } });
    if (result.error) return failed(result.error);
    const userErrors = readUserErrors(result.data?.updateWebhook.userErrors);
    if (userErrors.length) return setActionError(userErrors[0]);
    setNotice(active ? "enabled" : "disabled");
  }

  async function rotate() {
    start();
    const result = await rotateSecret({ input: { webhookId: webhook.id } });
    if (result.error) return failed(result.error);
    const payload = result.data?.rotateWebhookSecret;
    const userErrors = readUserErrors(payload?.userErrors);
    if (userErrors.length) return setActionError(userErrors[0]);
    if (payload?.webhook?.secret) {
      setSecret({
        value: payload.webhook.secret,
        previousUntil: payload.webhook.previousSecretExpiresAt ?? null,
      });
    }
  }

  async function remove() {
    start();
    const result = await deleteWebhook({ input: { webhookId: webhook.id } });
    if (result.error) return failed(result.error);
    const userErrors = readUserErrors(result.data?.deleteWebhook.userErrors);
    if (userErrors.length) return setActionError(userErrors[0]);
    navigate(WEBHOOKS_PATH);
  }

  const busy = update.fetching || rotation.fetching || deletion.fetching;
  return (
    <>
      <div className="notices" aria-live="polite">
        {notice && (
          <p className="success" role="status">
            {t(
              notice === "saved"
                ? "webhooks.saved"
                : notice === "disabled"
                  ? "webhooks.disabledNow"
                  : "webhooks.enabledNow",
            )}
          </p>
        )}
      </div>
      {secret && (
        <WebhookSecret
          secret={secret.value}
          previousSecretExpiresAt={secret.previousUntil}
          onHide={() => setSecret(null)}
        />
      )}
      <section className="card" aria-labelledby="webhook-settings-title">
        <h2 id="webhook-settings-title">{t("webhooks.settings")}</h2>
        <WebhookFactList webhook={webhook} />
        <div className="actions webhook-actions">
          <button
            ref={editButton}
            type="button"
            aria-expanded={editing}
            aria-controls="edit-webhook"
            onClick={() => {
              setEditing(!editing);
              setErrors({});
            }}
          >
            {t("webhooks.edit")}
          </button>
          <button type="button" onClick={switchActive} disabled={busy}>
            {t(webhook.active ? "webhooks.disable" : "webhooks.enable")}
          </button>
          <button type="button" onClick={rotate} disabled={busy}>
            {t("webhooks.rotate")}
          </button>
          <button
            ref={deleteButton}
            type="button"
            className="danger"
            onClick={() => setConfirmDelete(true)}
            disabled={busy}
          >
            {t("webhooks.delete")}
          </button>
        </div>
        {confirmDelete && (
          <div className="confirm" role="group" aria-labelledby="webhook-delete-question">
            <p id="webhook-delete-question">{t("webhooks.deleteConfirm", { url: webhook.url })}</p>
            <div className="actions">
              {/* The question takes the focus to the harmless answer: Enter twice deletes nothing. */}
              <button
                type="button"
                autoFocus
                onClick={() => {
                  setConfirmDelete(false);
                  deleteButton.current?.focus();
                }}
              >
                {t("webhooks.cancel")}
              </button>
              <button type="button" className="primary danger" onClick={remove}>
                {t("webhooks.deleteYes")}
              </button>
            </div>
          </div>
        )}
        <FormError id="webhook-action-error" error={actionError} />
        {editing && (
          <section id="edit-webhook" aria-labelledby="edit-webhook-title">
            <h3 id="edit-webhook-title">{t("webhooks.editTitle")}</h3>
            <WebhookForm
              idPrefix="edit-webhook"
              initial={{
                url: webhook.url,
                description: webhook.description,
                events: webhook.events,
                campaignIds: (webhook.campaigns ?? []).map((campaign) => campaign.id),
              }}
              eventTypes={eventTypes}
              errors={errors}
              busy={update.fetching}
              submitLabel={t("webhooks.save")}
              busyLabel={t("webhooks.saving")}
              onSubmit={save}
              onCancel={() => {
                setEditing(false);
                setErrors({});
                editButton.current?.focus();
              }}
            />
          </section>
        )}
      </section>
    </>
  );
}
