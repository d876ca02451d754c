"""Loaders of the webhook pages: a page's delivery attempts and its webhooks' campaigns, each
in one query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from leadflow.db.models import Campaign, User, WebhookAttempt
from leadflow.services import campaigns
from leadflow.services.webhooks import manage


async def attempts_by_delivery(delivery_ids: Sequence[int]) -> list[list[WebhookAttempt]]:
    attempts = await manage.attempts_of(delivery_ids)
    return [attempts[delivery_id] for delivery_id in delivery_ids]


def visible_campaign_loader(
    viewer: User | None,
) -> Callable[[Sequence[int]], Awaitable[list[Campaign | None]]]:
    """Campaigns by id as the viewer may see them (None: missing, or out of sight)."""

    async def load(campaign_ids: Sequence[int]) -> list[Campaign | None]:
        if viewer is None:
            return [None for _ in campaign_ids]
        found = campaigns.visible_campaigns(viewer).filter(id__in=list(campaign_ids))
        by_id = {campaign.id: campaign for campaign in await found}
        return [by_id.get(campaign_id) for campaign_id in campaign_ids]

    return load
