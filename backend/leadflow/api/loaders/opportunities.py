"""Loaders of what hangs off an opportunity: its history."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.api.loaders.grouping import group_by
from leadflow.db.models import OpportunityEvent


async def history_by_opportunity(opportunity_ids: Sequence[int]) -> list[list[OpportunityEvent]]:
    rows = (
        await OpportunityEvent.filter(opportunity_id__in=list(opportunity_ids))
        .select_related("actor", "owner", "previous_owner")
        .order_by("id")
    )
    return group_by(rows, opportunity_ids, key="opportunity_id")
