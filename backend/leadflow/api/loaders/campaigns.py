"""Loaders of campaign figures, over the leads the viewer may see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from leadflow.db.models import User
from leadflow.services.campaigns import CampaignStats, campaign_stats


def campaign_stats_loader(
    viewer: User | None,
) -> Callable[[Sequence[int]], Awaitable[list[CampaignStats]]]:
    """The stats of campaigns as `viewer` sees them (the figures depend on who asks)."""

    async def load(campaign_ids: Sequence[int]) -> list[CampaignStats]:
        assert viewer is not None  # resolvers check authentication first
        stats = await campaign_stats(viewer, campaign_ids)
        return [stats[campaign_id] for campaign_id in campaign_ids]

    return load
