"""Inputs about campaigns."""

from __future__ import annotations

from datetime import date

import strawberry

from leadflow.services.campaigns import CampaignChanges


@strawberry.input
class CreateCampaignInput:
    name: str = strawberry.field(description="Unique name, at most 200 characters.")
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    waiting_limit_hours: int | None = strawberry.field(
        default=None,
        description="Hours a lead may wait (NEW for a clerk, ACTIVE for feedback) before the "
        "clerk and the managers are reminded, 1 to 8784; null: no reminders.",
    )
    retention_days: int | None = strawberry.field(
        default=None,
        description="Days after their close that unsuccessful leads keep their person's data "
        "(a person with no open or successful lead and no opportunity is then erased), 1 to "
        "36500; null: the instance's LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL applies.",
    )


@strawberry.input
class UpdateCampaignInput:
    campaign_id: strawberry.ID
    waiting_limit_hours: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Hours a lead may wait before the reminders (1 to 8784); null switches "
        "them off; left out: unchanged.",
    )
    retention_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Days after their close that unsuccessful leads keep their person's data "
        "(1 to 36500); null: the instance's setting applies; left out: unchanged.",
    )

    def changes(self) -> CampaignChanges:
        given = frozenset(
            name
            for name in ("waiting_limit_hours", "retention_days")
            if getattr(self, name) is not strawberry.UNSET
        )
        hours = self.waiting_limit_hours if "waiting_limit_hours" in given else None
        days = self.retention_days if "retention_days" in given else None
        return CampaignChanges(given=given, waiting_limit_hours=hours, retention_days=days)
