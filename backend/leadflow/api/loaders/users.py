"""Loaders of users and their current load."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.db.models import User
from leadflow.services.users import open_lead_counts


async def user_by_id(user_ids: Sequence[int]) -> list[User | None]:
    by_id = {user.id: user for user in await User.filter(id__in=list(user_ids))}
    return [by_id.get(user_id) for user_id in user_ids]


async def open_lead_count(user_ids: Sequence[int]) -> list[int]:
    counts = await open_lead_counts(user_ids)
    return [counts[user_id] for user_id in user_ids]
