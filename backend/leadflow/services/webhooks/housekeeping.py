"""Pruning the webhook delivery log: finished deliveries (and their attempts) are kept
`LEADFLOW_WEBHOOK_LOG_DAYS` days, successful ones included. Pending deliveries of an active
webhook stay until they finish (with a long retry schedule they may outlive the log's days);
those of a switched-off webhook are pruned at the same age as finished ones, so a webhook left
off does not keep a backlog forever. Re-enabling it resumes its pending deliveries younger than
the log's days."""

from __future__ import annotations

from datetime import timedelta

from tortoise.expressions import Q, Subquery

from leadflow import clock
from leadflow.db.enums import WebhookDeliveryStatus
from leadflow.db.models import Webhook, WebhookDelivery
from leadflow.services.webhooks import config

# Deleted a bounded batch at a time: a large backlog never becomes one long statement holding
# locks over millions of rows (and their attempts, deleted by the foreign key's cascade).
PRUNE_BATCH = 1_000
FINISHED = (WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED)


async def prune_deliveries(log_days: int | None = None) -> int:
    """Delete the deliveries created more than `log_days` days ago (default: the configured log
    days) that are finished or wait for a switched-off webhook, their attempts with them;
    returns how many deliveries."""
    days = config.current().log_days if log_days is None else log_days
    cutoff = clock.now() - timedelta(days=days)
    switched_off = Subquery(Webhook.filter(active=False).values("id"))
    prunable = Q(status__in=FINISHED) | Q(
        status=WebhookDeliveryStatus.PENDING, webhook_id__in=switched_off
    )
    pruned = 0
    while True:
        # Oldest first through the created_at index; the rest is a filter on few rows.
        batch = (
            await WebhookDelivery.filter(prunable, created_at__lt=cutoff)
            .order_by("created_at")
            .limit(PRUNE_BATCH)
            .values_list("id", flat=True)
        )
        if not batch:
            return pruned
        pruned += await WebhookDelivery.filter(id__in=batch).delete()
        if len(batch) < PRUNE_BATCH:
            return pruned
