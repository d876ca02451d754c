"""The Standard Webhooks headers of one request: `webhook-id`, `webhook-timestamp` and
`webhook-signature`, signed with the `standardwebhooks` package (never by hand). During a
secret's rotation the previous secret signs too, so a receiver still holding it verifies; the
signatures are space-separated, as the specification has it."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook as Signer

from leadflow.db.models import Webhook

USER_AGENT = "Leadflow-Webhooks/1"


def signing_secrets(webhook: Webhook, at: datetime) -> list[str]:
    """The secrets that sign at `at`: the current one, and the previous one until it expires."""
    secrets = [webhook.secret]
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > at:
        secrets.append(webhook.previous_secret)
    return secrets


def request_headers(webhook: Webhook, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The headers of a request sent at `at` (whole seconds: the timestamp header has no
    fractions, and the signature covers the header's value)."""
    timestamp = datetime.fromtimestamp(int(at.timestamp()), UTC)
    signatures = [
        Signer(secret).sign(message_id, timestamp, body) for secret in signing_secrets(webhook, at)
    ]
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
