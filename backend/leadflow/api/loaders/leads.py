"""Loaders of what hangs off a lead: its row, feedback, history and opportunity."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.api.loaders.activities import EVENT_ACTIVITY
from leadflow.api.loaders.grouping import children_of
from leadflow.api.rows import OPPORTUNITY_RELATIONS, LeadRow, lead_rows
from leadflow.db.models import Feedback, LeadEvent, Opportunity


async def lead_by_id(lead_ids: Sequence[int]) -> list[LeadRow | None]:
    found = await lead_rows(lead_ids)
    return [found.get(lead_id) for lead_id in lead_ids]


async def opportunity_by_lead(lead_ids: Sequence[int]) -> list[Opportunity | None]:
    # The opportunity a successful close created is the lead's first one.
    found: dict[int, Opportunity] = {}
    rows = (
        await Opportunity.filter(lead_id__in=list(lead_ids))
        .select_related(*OPPORTUNITY_RELATIONS)
        .order_by("id")
    )
    for opportunity in rows:
        if opportunity.lead_id is not None:
            found.setdefault(opportunity.lead_id, opportunity)
    return [found.get(lead_id) for lead_id in lead_ids]


async def feedback_by_lead(lead_ids: Sequence[int]) -> list[list[Feedback]]:
    return await children_of(Feedback, "lead_id", lead_ids, "author")


async def history_by_lead(lead_ids: Sequence[int]) -> list[list[LeadEvent]]:
    return await children_of(
        LeadEvent, "lead_id", lead_ids, "actor", "assignee", "previous_assignee", *EVENT_ACTIVITY
    )
