"""Loaders of users and their current load."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.db.models import Absence, User
from leadflow.services.users import open_lead_counts


async def user_by_id(user_ids: Sequence[int]) -> list[User | None]:
    by_id = {user.id: user for user in await User.filter(id__in=list(user_ids))}
    return [by_id.get(user_id) for user_id in user_ids]


async def open_lead_count(user_ids: Sequence[int]) -> list[int]:
    counts = await open_lead_counts(user_ids)
    return [counts[user_id] for user_id in user_ids]


async def absences_by_user(user_ids: Sequence[int]) -> list[list[Absence]]:
    """Each user's absences by first day: one query for a list of clerks."""
    by_user: dict[int, list[Absence]] = {user_id: [] for user_id in user_ids}
    found = Absence.filter(user_id__in=list(user_ids)).order_by("starts_on", "ends_on", "id")
    for absence in await found:
        by_user[absence.user_id].append(absence)
    return [by_user[user_id] for user_id in user_ids]
