// "Webhooks" (managers and admins): every webhook with its events, campaigns, state and owner,
// each leading to its page with the delivery log; above, "Webhook anlegen", whose answer shows
// the secret this once.
import { useCallback, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { readUserErrors } from "../components/FieldError";
import { Link } from "../components/Link";
import { QueryState } from "../components/QueryState";
import { WebhookFactList, readWebhookFacts } from "../components/WebhookFacts";
import { WebhookForm } from "../components/WebhookForm";
import { WebhookSecret } from "../components/WebhookSecret";
import { errorText } from "../errorText";
import { graphql } from "../gql";
import { useI18n } from "../I18n";
import { FORM, type UserErrorLike, errorsByField } from "../leadDetail";
import { usePageTitle } from "../pageTitle";
import { webhookPath } from "../routes";
import "../webhooks.css";
import {
  EMPTY_WEBHOOK,
  WEBHOOK_FIELDS,
  type WebhookDraft,
  toFormField,
  webhookInput,
} from "../webhooks";

const WebhooksDocument = graphql(`
  query Webhooks {
    webhooks {
      id
      ...WebhookFacts_webhook
    }
    webhookEventTypes
  }
`);

const CreateWebhookDocument = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook {
        id
        url
        secret
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function Webhooks() {
  const { t } = useI18n();
  usePageTitle(t("webhooks.title"));
  const [{ data, fetching, error }, refresh] = useQuery({
    query: WebhooksDocument,
    requestPolicy: "cache-and-network",
  });
  // A new webhook is in no list the document cache knows of: read the list again.
  const reload = useCallback(() => refresh({ requestPolicy: "network-only" }), [refresh]);
  const webhooks = (data?.webhooks ?? []).map(readWebhookFacts);
  return (
    <section aria-labelledby="webhooks-title" className="webhooks">
      <h1 id="webhooks-title">{t("webhooks.title")}</h1>
      <p className="hint">{t("webhooks.intro")}</p>
      <NewWebhook eventTypes={data?.webhookEventTypes ?? []} onCreated={reload} />
      <QueryState
        fetching={fetching}
        hasData={Boolean(data)}
        error={error}
        isEmpty={webhooks.length === 0}
        empty={t("webhooks.empty")}
      />
      {webhooks.length > 0 && (
        <ul className="plain webhook-list">
          {webhooks.map((webhook) => (
            <li key={webhook.id}>
              <article className="card" aria-labelledby={`webhook-${webhook.id}`} data-testid="webhook-card">
                <h2 id={`webhook-${webhook.id}`} className="webhook-url">
                  <Link href={webhookPath(webhook.id)}>{webhook.url}</Link>
                </h2>
                <WebhookFactList webhook={webhook} />
              </article>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface Created {
  url: string;
  secret: string;
}

/** "Webhook anlegen …" opens the form; once created, the form closes and the secret shows. */
function NewWebhook({
  eventTypes,
  onCreated,
}: {
  eventTypes: readonly string[];
  onCreated: () => void;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [errors, setErrors] = useState<Record<string, UserErrorLike>>({});
  const [{ fetching }, createWebhook] = useMutation(CreateWebhookDocument);
  const toggle = useRef<HTMLButtonElement>(null);

  async function create(draft: WebhookDraft) {
    const result = await createWebhook({ input: webhookInput(draft) });
    if (result.error) {
      setErrors({ [FORM]: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const payload = result.data?.createWebhook;
    const userErrors = readUserErrors(payload?.userErrors).map(toFormField);
    setErrors(errorsByField(userErrors, WEBHOOK_FIELDS));
    if (payload?.webhook && userErrors.length === 0) {
      setOpen(false);
      setCreated({ url: payload.webhook.url, secret: payload.webhook.secret ?? "" });
      onCreated();
    }
  }

  return (
    <>
      <div className="notices" aria-live="polite">
        {created && (
          <p className="success" role="status">
            {t("webhooks.created", { url: created.url })}
          </p>
        )}
      </div>
      {created?.secret && (
        <WebhookSecret
          secret={created.secret}
          onHide={() => {
            setCreated(null);
            toggle.current?.focus();
          }}
        />
      )}
      <p>
        <button
          ref={toggle}
          type="button"
          aria-expanded={open}
          aria-controls="new-webhook"
          onClick={() => {
            setOpen(!open);
            setErrors({});
            setCreated(null);
          }}
        >
          {t("webhooks.open")}
        </button>
      </p>
      {open && (
        <section id="new-webhook" className="card" aria-labelledby="new-webhook-title">
          <h2 id="new-webhook-title">{t("webhooks.createTitle")}</h2>
          <WebhookForm
            idPrefix="new-webhook"
            initial={EMPTY_WEBHOOK}
            eventTypes={eventTypes}
            errors={errors}
            busy={fetching}
            submitLabel={t("webhooks.create")}
            busyLabel={t("webhooks.creating")}
            onSubmit={create}
            onCancel={() => {
              setOpen(false);
              setErrors({});
              toggle.current?.focus();
            }}
          />
        </section>
      )}
    </>
  );
}
