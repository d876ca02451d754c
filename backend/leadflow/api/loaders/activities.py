"""Loaders of the activities of leads and opportunities: all of them (open first by due time,
then the done ones, latest done first) and the next open one, one query per page."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.api.loaders.grouping import group_by
from leadflow.api.rows import ACTIVITY_RELATIONS
from leadflow.db.models import Activity

# A history event's activity, joined with what it is shown with (NULL for other events).
EVENT_ACTIVITY = ("activity", *(f"activity__{relation}" for relation in ACTIVITY_RELATIONS))


def _listing_order(activity: Activity) -> tuple[bool, float, int]:
    """Open ones by due time (then as planned), then done ones, the latest done first."""
    if activity.done_at is None:
        return (False, activity.due_at.timestamp(), activity.id)
    return (True, -activity.done_at.timestamp(), -activity.id)


async def _all_of(key: str, subject_ids: Sequence[int]) -> list[list[Activity]]:
    of_subjects = Activity.filter(**{f"{key}__in": list(subject_ids)})
    rows = await of_subjects.select_related(*ACTIVITY_RELATIONS)
    return [sorted(found, key=_listing_order) for found in group_by(rows, subject_ids, key=key)]


async def _next_of(key: str, subject_ids: Sequence[int]) -> list[Activity | None]:
    rows = (
        await Activity.filter(**{f"{key}__in": list(subject_ids)}, done_at=None)
        .select_related(*ACTIVITY_RELATIONS)
        .order_by("due_at", "id")
    )
    return [found[0] if found else None for found in group_by(rows, subject_ids, key=key)]


async def activities_by_lead(lead_ids: Sequence[int]) -> list[list[Activity]]:
    return await _all_of("lead_id", lead_ids)


async def activities_by_opportunity(opportunity_ids: Sequence[int]) -> list[list[Activity]]:
    return await _all_of("opportunity_id", opportunity_ids)


async def next_activity_by_lead(lead_ids: Sequence[int]) -> list[Activity | None]:
    return await _next_of("lead_id", lead_ids)


async def next_activity_by_opportunity(opportunity_ids: Sequence[int]) -> list[Activity | None]:
    return await _next_of("opportunity_id", opportunity_ids)
