"""Loaders of what hangs off a contact: its corrections."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.api.loaders.grouping import group_by
from leadflow.db.models import ContactChange


async def history_by_contact(contact_ids: Sequence[int]) -> list[list[ContactChange]]:
    """Each contact's corrections with their authors, newest first (one query for a page)."""
    changes = (
        await ContactChange.filter(contact_id__in=list(contact_ids))
        .select_related("actor")
        .order_by("-id")
    )
    return group_by(changes, contact_ids, key="contact_id")
