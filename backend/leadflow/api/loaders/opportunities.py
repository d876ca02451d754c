"""Loaders of what hangs off an opportunity: its history."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.api.loaders.activities import EVENT_ACTIVITY
from leadflow.api.loaders.grouping import children_of
from leadflow.db.models import OpportunityEvent


async def history_by_opportunity(opportunity_ids: Sequence[int]) -> list[list[OpportunityEvent]]:
    return await children_of(
        OpportunityEvent,
        "opportunity_id",
        opportunity_ids,
        "actor",
        "owner",
        "previous_owner",
        *EVENT_ACTIVITY,
    )
