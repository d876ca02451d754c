// What the list and the detail page say about a webhook: events, campaigns, state, owner. The
// selection is written once, here, and spread by both screens' queries.
import { type FragmentType, getFragmentData, graphql } from "../gql";
import type { WebhookFacts_WebhookFragment } from "../gql/graphql";
import { useI18n } from "../I18n";
import { formatDateTime } from "../leadDetail";
import { campaignsText, eventLabel, webhookStateKind, webhookStateText } from "../webhooks";

export const WebhookFactsFragment = graphql(`
  fragment WebhookFacts_webhook on Webhook {
    id
    url
    description
    events
    campaigns {
      id
      name
    }
    owner {
      id
      name
    }
    active
    disabledAt
    disabledReason
    failingSince
    createdAt
    previousSecretExpiresAt
  }
`);

export type WebhookFacts = WebhookFacts_WebhookFragment;

export function readWebhookFacts(webhook: FragmentType<typeof WebhookFactsFragment>): WebhookFacts {
  return getFragmentData(WebhookFactsFragment, webhook);
}

/** "aktiv" / "schlägt seit … fehl" / "abgeschaltet am …: …", marked by its kind for the eye. */
export function WebhookState({ webhook }: { webhook: WebhookFacts }) {
  const { t, language } = useI18n();
  return (
    <span className={`status webhook-${webhookStateKind(webhook)}`} data-testid="webhook-state">
      {webhookStateText(t, language, webhook)}
    </span>
  );
}

export function WebhookFactList({ webhook }: { webhook: WebhookFacts }) {
  const { t, language } = useI18n();
  const now = Date.now();
  const previousValid =
    webhook.previousSecretExpiresAt && new Date(webhook.previousSecretExpiresAt).getTime() > now;
  return (
    <dl className="facts">
      {webhook.description && (
        <>
          <dt>{t("webhooks.descriptionColumn")}</dt>
          <dd>{webhook.description}</dd>
        </>
      )}
      <dt>{t("webhooks.events")}</dt>
      <dd>
        <ul className="plain">
          {webhook.events.map((eventType) => (
            <li key={eventType}>{eventLabel(t, eventType)}</li>
          ))}
        </ul>
      </dd>
      <dt>{t("webhooks.campaigns")}</dt>
      <dd>{campaignsText(t, webhook.campaigns)}</dd>
      <dt>{t("webhooks.state")}</dt>
      <dd>
        <WebhookState webhook={webhook} />
      </dd>
      <dt>{t("webhooks.owner")}</dt>
      <dd>{webhook.owner.name}</dd>
      <dt>{t("webhooks.createdAt")}</dt>
      <dd>{formatDateTime(language, webhook.createdAt)}</dd>
      {previousValid && webhook.previousSecretExpiresAt && (
        <>
          <dt>{t("webhooks.previousSecret")}</dt>
          <dd>{formatDateTime(language, webhook.previousSecretExpiresAt)}</dd>
        </>
      )}
    </dl>
  );
}
