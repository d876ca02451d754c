"""Pruning the webhook delivery log: finished deliveries (and their attempts) are kept
`LEADFLOW_WEBHOOK_LOG_DAYS` days, successful ones included; pending ones always stay."""

from __future__ import annotations

from datetime import timedelta

from leadflow import clock
from leadflow.db.enums import WebhookDeliveryStatus
from leadflow.db.models import WebhookDelivery
from leadflow.services.webhooks import config

# Deleted a bounded batch at a time: a large backlog never becomes one long statement holding
# locks over millions of rows (and their attempts, deleted by the foreign key's cascade).
PRUNE_BATCH = 1_000
FINISHED = (WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED)


async def prune_deliveries(log_days: int | None = None) -> int:
    """Delete the finished deliveries created more than `log_days` days ago (default: the
    configured log days), their attempts with them; returns how many deliveries."""
    days = config.current().log_days if log_days is None else log_days
    cutoff = clock.now() - timedelta(days=days)
    pruned = 0
    while True:
        # Oldest first through the created_at index; the statuses are a filter on few rows.
        batch = (
            await WebhookDelivery.filter(created_at__lt=cutoff, status__in=FINISHED)
            .order_by("created_at")
            .limit(PRUNE_BATCH)
            .values_list("id", flat=True)
        )
        if not batch:
            return pruned
        pruned += await WebhookDelivery.filter(id__in=batch).delete()
        if len(batch) < PRUNE_BATCH:
            return pruned
