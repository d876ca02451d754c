"""Loaders of campaign figures, over the leads the viewer may see, and of what each campaign in a
list shows besides (its latest imports, its distribution, its managers-only settings): one
statement per kind for the whole list, not one per campaign."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from itertools import groupby

from leadflow.db.models import CampaignDistribution, LeadImport, User
from leadflow.services.campaigns import (
    CampaignStats,
    ManagersSettings,
    campaign_stats,
    managers_settings,
)
from leadflow.services.distribution import campaign_distributions
from leadflow.services.imports import latest_imports


def campaign_stats_loader(
    viewer: User | None,
) -> Callable[[Sequence[int]], Awaitable[list[CampaignStats]]]:
    """The stats of campaigns as `viewer` sees them (the figures depend on who asks)."""

    async def load(campaign_ids: Sequence[int]) -> list[CampaignStats]:
        assert viewer is not None  # resolvers check authentication first
        stats = await campaign_stats(viewer, campaign_ids)
        return [stats[campaign_id] for campaign_id in campaign_ids]

    return load


# A campaign and how many of its latest imports are asked for.
ImportsKey = tuple[int, int]


def campaign_imports_loader(
    viewer: User | None,
) -> Callable[[Sequence[ImportsKey]], Awaitable[list[list[LeadImport]]]]:
    """Each campaign's latest imports, newest first (managers; others are refused): one read
    per distinct count asked for (a list asks the same for every campaign)."""

    async def load(keys: Sequence[ImportsKey]) -> list[list[LeadImport]]:
        assert viewer is not None  # resolvers check authentication first
        found: dict[ImportsKey, list[LeadImport]] = {}
        for limit, same_limit in groupby(sorted(set(keys), key=_limit), key=_limit):
            campaign_ids = [campaign_id for campaign_id, _ in same_limit]
            by_campaign = await latest_imports(viewer, campaign_ids, limit)
            found.update(
                {(campaign_id, limit): by_campaign[campaign_id] for campaign_id in campaign_ids}
            )
        return [found[key] for key in keys]

    return load


def _limit(key: ImportsKey) -> int:
    return key[1]


def campaign_distribution_loader(
    viewer: User | None,
) -> Callable[[Sequence[int]], Awaitable[list[CampaignDistribution | None]]]:
    """Each campaign's distribution settings (managers; None for others and unset ones)."""

    async def load(campaign_ids: Sequence[int]) -> list[CampaignDistribution | None]:
        assert viewer is not None  # resolvers check authentication first
        found = await campaign_distributions(viewer, campaign_ids)
        return [found.get(campaign_id) for campaign_id in campaign_ids]

    return load


def managers_settings_loader(
    viewer: User | None,
) -> Callable[[Sequence[int]], Awaitable[list[ManagersSettings | None]]]:
    """Each campaign's managers-only settings (None for everyone else)."""

    async def load(campaign_ids: Sequence[int]) -> list[ManagersSettings | None]:
        assert viewer is not None  # resolvers check authentication first
        found = await managers_settings(viewer, campaign_ids)
        return [found.get(campaign_id) for campaign_id in campaign_ids]

    return load
