"""The report rollup tables (CampaignDayFigures, ClerkDayFigures, kept by triggers) as stored and
as they must be, computed in Python from every lead: for tests that compare the two."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import (
    CampaignDayFigures,
    ClerkDayFigures,
    Lead,
)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


async def expected_rollups() -> tuple[Counter, Counter, Counter]:
    """The three rollup tables as they must be, computed from every lead."""
    campaign_days: Counter = Counter()
    reasons: Counter = Counter()
    clerk_days: Counter = Counter()
    for lead in await Lead.all():
        cohort = (lead.campaign_id, _utc_day(lead.created_at))
        campaign_days[(*cohort, "created")] += 1
        campaign_days[(*cohort, lead.status.value.lower())] += 1
        if lead.outcome is not None:
            campaign_days[(*cohort, lead.outcome.value.lower())] += 1
        if lead.closed_at is not None:
            closed_on = (lead.campaign_id, _utc_day(lead.closed_at))
            campaign_days[(*closed_on, f"closed_{lead.outcome.value.lower()}")] += 1
            if lead.assignee_id is not None:
                clerk_on = (lead.assignee_id, _utc_day(lead.closed_at))
                clerk_days[(*clerk_on, "closed")] += 1
                if lead.outcome is Outcome.SUCCESSFUL:
                    clerk_days[(*clerk_on, "successful")] += 1
        if lead.outcome is Outcome.UNSUCCESSFUL and lead.close_reason is not None:
            reasons[(*cohort, lead.close_reason)] += 1
    return campaign_days, reasons, clerk_days


async def stored_rollups() -> tuple[Counter, Counter, Counter]:
    """The rollup tables as stored, zeros left out."""
    campaign_days: Counter = Counter()
    for row in await CampaignDayFigures.all():
        for column in (
            "created",
            "new",
            "active",
            "done",
            "successful",
            "unsuccessful",
            "closed_successful",
            "closed_unsuccessful",
        ):
            campaign_days[(row.campaign_id, row.day, column)] += getattr(row, column)
    reasons: Counter = Counter()
    for row in await CampaignDayFigures.all():
        for reason in CloseReason:
            reasons[(row.campaign_id, row.day, reason)] += getattr(
                row, f"reason_{reason.value.lower()}"
            )
    clerk_days: Counter = Counter()
    for row in await ClerkDayFigures.all():
        clerk_days[(row.assignee_id, row.day, "closed")] += row.closed
        clerk_days[(row.assignee_id, row.day, "successful")] += row.successful
    # Counter's unary plus drops zero and negative entries; negatives must not exist at all.
    for counter in (campaign_days, reasons, clerk_days):
        assert all(value >= 0 for value in counter.values()), counter
    return +campaign_days, +reasons, +clerk_days
