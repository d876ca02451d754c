// A webhook's delivery log, newest first: each delivery's time, event, status, attempts, last
// HTTP status and error, and on demand every attempt and the message as sent; "Erneut senden"
// on a finished one. Paged by "Mehr laden"; the first page reads itself again every few
// seconds (and on "Aktualisieren"), so a delivery shows up without a reload.
import { useEffect, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorText } from "../errorText";
import { type FragmentType, getFragmentData, graphql } from "../gql";
import type { WebhookDeliveryStatus } from "../gql/graphql";
import { useI18n } from "../I18n";
import type { UserErrorLike } from "../leadDetail";
import { navigate, useLocation } from "../router";
import {
  DELIVERY_STATUSES,
  deliveriesUrl,
  deliveryStatusText,
  eventLabel,
  formatDuration,
  formatLogTime,
  parseDeliveryStatus,
  readablePayload,
} from "../webhooks";
import { readUserErrors } from "./FieldError";
import { FormError } from "./FormError";

const PAGE_SIZE = 20;
/** How often the newest page reads itself again while it is the only one shown. */
const REFRESH_MS = 4_000;

const WebhookDeliveryFragment = graphql(`
  fragment WebhookDelivery_delivery on WebhookDelivery {
    id
    eventId
    eventType
    status
    createdAt
    finishedAt
    attemptCount
    nextAttemptAt
    lastHttpStatus
    lastError
    payload
    redeliveryOf
    attempts {
      at
      httpStatus
      durationMs
      error
      nextAttemptAt
    }
  }
`);

const WebhookDeliveriesDocument = graphql(`
  query WebhookDeliveries(
    $id: ID!
    $first: Int!
    $after: String
    $status: WebhookDeliveryStatus
  ) {
    webhook(id: $id) {
      id
      deliveries(first: $first, after: $after, status: $status) {
        edges {
          node {
            id
            ...WebhookDelivery_delivery
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const RedeliverDocument = graphql(`
  mutation RedeliverWebhookEvent($input: RedeliverWebhookEventInput!) {
    redeliverWebhookEvent(input: $input) {
      delivery {
        id
        ...WebhookDelivery_delivery
      }
      userErrors {
        ...FieldError_userError
      }
    }
  }
`);

export function WebhookDeliveries({ webhookId }: { webhookId: string }) {
  const { t } = useI18n();
  const { search } = useLocation();
  const status = parseDeliveryStatus(search);
  const filterId = useId();
  // "Aktualisieren" starts the log afresh, at its newest page.
  const [generation, setGeneration] = useState(0);

  return (
    <section className="card" aria-labelledby="webhook-log-title">
      <h2 id="webhook-log-title">{t("webhooks.log")}</h2>
      <p className="hint">{t("webhooks.logHint")}</p>
      <div className="filters">
        <label htmlFor={filterId}>{t("webhooks.logFilter")}</label>
        <select
          id={filterId}
          value={status ?? ""}
          onChange={(event) =>
            navigate(
              deliveriesUrl(
                webhookId,
                (event.target.value || undefined) as WebhookDeliveryStatus | undefined,
              ),
              { replace: true },
            )
          }
        >
          <option value="">{t("webhooks.logAll")}</option>
          {DELIVERY_STATUSES.map((one) => (
            <option key={one} value={one}>
              {t(`webhooks.delivery.${one}`)}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setGeneration(generation + 1)}>
          {t("webhooks.refresh")}
        </button>
      </div>
      <DeliveryPages key={`${status ?? ""}-${generation}`} webhookId={webhookId} status={status} />
    </section>
  );
}

/** The pages shown so far: the `after` cursor of each (null: the newest page). */
function DeliveryPages({
  webhookId,
  status,
}: {
  webhookId: string;
  status: WebhookDeliveryStatus | undefined;
}) {
  const [pages, setPages] = useState<(string | null)[]>([null]);
  return (
    <>
      {pages.map((after, index) => (
        <DeliveryPage
          key={after ?? ""}
          webhookId={webhookId}
          status={status}
          after={after}
          first={index === 0}
          refreshing={pages.length === 1}
          last={index === pages.length - 1}
          onMore={(cursor) => setPages([...pages, cursor])}
        />
      ))}
    </>
  );
}

function DeliveryPage({
  webhookId,
  status,
  after,
  first,
  refreshing,
  last,
  onMore,
}: {
  webhookId: string;
  status: WebhookDeliveryStatus | undefined;
  after: string | null;
  first: boolean;
  refreshing: boolean;
  last: boolean;
  onMore: (cursor: string) => void;
}) {
  const { t } = useI18n();
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: WebhookDeliveriesDocument,
    variables: { id: webhookId, first: PAGE_SIZE, after, status: status ?? null },
    requestPolicy: "cache-and-network",
  });

  useEffect(() => {
    if (!first || !refreshing) return undefined;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") reexecute({ requestPolicy: "network-only" });
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [first, refreshing, reexecute]);

  const connection = data?.webhook?.deliveries;
  const deliveries = connection?.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      {error && <p role="alert">{errorText(t, error)}</p>}
      {!data && fetching && <p role="status">{t("app.loading")}</p>}
      {first && connection && deliveries.length === 0 && (
        <p className="empty">{t(status ? "webhooks.logEmptyFiltered" : "webhooks.logEmpty")}</p>
      )}
      {deliveries.length > 0 && (
        <ol className="plain delivery-log">
          {deliveries.map((delivery) => (
            <Delivery key={delivery.id} delivery={delivery} />
          ))}
        </ol>
      )}
      {last && connection?.pageInfo.hasNextPage && connection.pageInfo.endCursor && (
        <p>
          <button type="button" onClick={() => onMore(connection.pageInfo.endCursor ?? "")}>
            {t("webhooks.more")}
          </button>
        </p>
      )}
    </>
  );
}

function Delivery({ delivery: reference }: { delivery: FragmentType<typeof WebhookDeliveryFragment> }) {
  const { t, language } = useI18n();
  const delivery = getFragmentData(WebhookDeliveryFragment, reference);
  const none = t("webhooks.none");
  return (
    <li className="delivery" data-testid="webhook-delivery">
      <dl className="facts delivery-facts">
        <dt>{t("webhooks.time")}</dt>
        <dd>
          <time dateTime={delivery.createdAt}>{formatLogTime(language, delivery.createdAt)}</time>
          {delivery.redeliveryOf && <> ({t("webhooks.redelivery")})</>}
        </dd>
        <dt>{t("webhooks.event")}</dt>
        <dd>{eventLabel(t, delivery.eventType)}</dd>
        <dt>{t("webhooks.status")}</dt>
        <dd>
          <span
            className={`status delivery-${delivery.status.toLowerCase()}`}
            data-testid="delivery-status"
          >
            {deliveryStatusText(t, language, delivery)}
          </span>
        </dd>
        <dt>{t("webhooks.attempts")}</dt>
        <dd data-testid="delivery-attempts">{delivery.attemptCount}</dd>
        <dt>{t("webhooks.httpStatus")}</dt>
        <dd data-testid="delivery-http-status">{delivery.lastHttpStatus ?? none}</dd>
        {delivery.lastError && (
          <>
            <dt>{t("webhooks.error")}</dt>
            <dd className="delivery-error">{delivery.lastError}</dd>
          </>
        )}
      </dl>
      <details>
        <summary>{t("webhooks.details")}</summary>
        <dl className="facts">
          <dt>{t("webhooks.eventId")}</dt>
          <dd>
            <code data-testid="delivery-event-id">{delivery.eventId}</code>
          </dd>
        </dl>
        <Attempts attempts={delivery.attempts} />
        <h3 className="payload-title">{t("webhooks.payload")}</h3>
        <pre className="payload" tabIndex={0}>
          {readablePayload(delivery.payload)}
        </pre>
      </details>
      {delivery.status !== "PENDING" && <Redeliver deliveryId={delivery.id} />}
    </li>
  );
}

interface Attempt {
  at: string;
  httpStatus?: number | null;
  durationMs: number;
  error?: string | null;
  nextAttemptAt?: string | null;
}

function Attempts({ attempts }: { attempts: readonly Attempt[] }) {
  const { t, language } = useI18n();
  const titleId = useId();
  const none = t("webhooks.none");
  if (attempts.length === 0) return <p className="empty">{t("webhooks.noAttempts")}</p>;
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={titleId}>
      <table>
        <caption id={titleId}>{t("webhooks.attempts")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("webhooks.time")}</th>
            <th scope="col">{t("webhooks.httpStatus")}</th>
            <th scope="col">{t("webhooks.duration")}</th>
            <th scope="col">{t("webhooks.error")}</th>
            <th scope="col">{t("webhooks.nextAttempt")}</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((attempt, index) => (
            <tr key={`${attempt.at}-${index}`}>
              <td>{formatLogTime(language, attempt.at)}</td>
              <td>{attempt.httpStatus ?? none}</td>
              <td>{formatDuration(language, attempt.durationMs)}</td>
              <td>{attempt.error || none}</td>
              <td>{attempt.nextAttemptAt ? formatLogTime(language, attempt.nextAttemptAt) : none}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Erneut senden": a new delivery of the same message (same event id), and the answer. */
function Redeliver({ deliveryId }: { deliveryId: string }) {
  const { t } = useI18n();
  const [{ fetching }, redeliver] = useMutation(RedeliverDocument);
  const [answer, setAnswer] = useState<{ sent: true } | { error: UserErrorLike } | null>(null);
  const errorId = useId();

  async function send() {
    const result = await redeliver({ input: { deliveryId } });
    if (result.error) {
      setAnswer({ error: { code: "", message: errorText(t, result.error) } });
      return;
    }
    const userErrors = readUserErrors(result.data?.redeliverWebhookEvent.userErrors);
    setAnswer(userErrors.length ? { error: userErrors[0] } : { sent: true });
  }

  return (
    <div className="redeliver">
      <button type="button" onClick={send} disabled={fetching}>
        {t("webhooks.redeliver")}
      </button>
      <div aria-live="polite">
        {answer && "sent" in answer && (
          <p className="success" role="status">
            {t("webhooks.redelivered")}
          </p>
        )}
      </div>
      {answer && "error" in answer && <FormError id={errorId} error={answer.error} />}
    </div>
  );
}
