"""DataLoaders, one set per request: each batches the lookups of a page into one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from leadflow.db.models import Feedback, Lead, LeadEvent, Opportunity, OpportunityEvent, User
from leadflow.services.campaigns import CampaignStats, campaign_stats
from leadflow.services.users import open_lead_counts

RowT = TypeVar("RowT")

OPPORTUNITY_RELATIONS = ("contact", "owner")


class Loaders:
    def __init__(self, viewer: User | None) -> None:
        self.viewer = viewer
        self.opportunity_by_lead = DataLoader(load_fn=self._opportunity_by_lead)
        self.feedback_by_lead = DataLoader(load_fn=self._feedback_by_lead)
        self.history_by_lead = DataLoader(load_fn=self._history_by_lead)
        self.history_by_opportunity = DataLoader(load_fn=self._history_by_opportunity)
        self.campaign_stats = DataLoader(load_fn=self._campaign_stats)
        self.open_lead_count = DataLoader(load_fn=self._open_lead_count)
        self.lead = DataLoader(load_fn=self._lead)
        self.user = DataLoader(load_fn=self._user)

    async def _opportunity_by_lead(self, lead_ids: Sequence[int]) -> list[Opportunity | None]:
        # The opportunity a successful close created is the lead's first one.
        found: dict[int, Opportunity] = {}
        rows = (
            await Opportunity.filter(lead_id__in=list(lead_ids))
            .select_related(*OPPORTUNITY_RELATIONS)
            .order_by("id")
        )
        for opportunity in rows:
            found.setdefault(opportunity.lead_id, opportunity)
        return [found.get(lead_id) for lead_id in lead_ids]

    async def _feedback_by_lead(self, lead_ids: Sequence[int]) -> list[list[Feedback]]:
        rows = (
            await Feedback.filter(lead_id__in=list(lead_ids))
            .select_related("author")
            .order_by("id")
        )
        return _group(rows, lead_ids, key="lead_id")

    async def _history_by_lead(self, lead_ids: Sequence[int]) -> list[list[LeadEvent]]:
        rows = (
            await LeadEvent.filter(lead_id__in=list(lead_ids))
            .select_related("actor", "assignee", "previous_assignee")
            .order_by("id")
        )
        return _group(rows, lead_ids, key="lead_id")

    async def _history_by_opportunity(self, ids: Sequence[int]) -> list[list[OpportunityEvent]]:
        rows = (
            await OpportunityEvent.filter(opportunity_id__in=list(ids))
            .select_related("actor", "owner", "previous_owner")
            .order_by("id")
        )
        return _group(rows, ids, key="opportunity_id")

    async def _campaign_stats(self, campaign_ids: Sequence[int]) -> list[CampaignStats]:
        assert self.viewer is not None  # resolvers check authentication first
        stats = await campaign_stats(self.viewer, campaign_ids)
        return [stats[campaign_id] for campaign_id in campaign_ids]

    async def _open_lead_count(self, user_ids: Sequence[int]) -> list[int]:
        counts = await open_lead_counts(user_ids)
        return [counts[user_id] for user_id in user_ids]

    async def _lead(self, lead_ids: Sequence[int]) -> list[dict[str, Any] | None]:
        from leadflow.api.types.nodes import LEAD_COLUMNS

        rows = await Lead.filter(id__in=list(lead_ids)).values(*LEAD_COLUMNS)
        by_id = {row["id"]: row for row in rows}
        return [by_id.get(lead_id) for lead_id in lead_ids]

    async def _user(self, user_ids: Sequence[int]) -> list[User | None]:
        by_id = {user.id: user for user in await User.filter(id__in=list(user_ids))}
        return [by_id.get(user_id) for user_id in user_ids]


def _group(rows: list[RowT], keys: Sequence[int], *, key: str) -> list[list[RowT]]:
    grouped: dict[int, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(k, []) for k in keys]
