"""Inputs of distribution: distributeLeads, clerk settings, a campaign's distribution."""

from __future__ import annotations

from datetime import date

import strawberry

from leadflow.api.inputs.leads import LeadFilter
from leadflow.api.types.distribution import DistributionStrategy
from leadflow.services.clerk_settings import Period


@strawberry.input(
    description="Distribute NEW leads over several clerks. Exactly one of leadIds (at most "
    "1,000) and filter (the first 10,000 NEW leads matching it, oldest first; the rest stay "
    "NEW for the next call)."
)
class DistributeLeadsInput:
    lead_ids: list[strawberry.ID] | None = None
    filter: LeadFilter | None = strawberry.field(
        default=None, description="Every NEW lead matching it (its status is ignored)."
    )
    clerk_ids: list[strawberry.ID] = strawberry.field(description="Active clerks.")
    strategy: DistributionStrategy = DistributionStrategy.LEAST_LOADED
    preview: bool | None = strawberry.field(
        default=False,
        description="Only plan: what the same call would do now, nothing is written.",
    )


@strawberry.input(description="Days (inclusive) a clerk gets no new leads.")
class AbsenceInput:
    from_: date = strawberry.field(name="from")
    to: date

    def period(self) -> Period:
        return Period(self.from_, self.to)


@strawberry.input(
    description="A clerk's distribution settings; an omitted field stays as it is. Managers "
    "for any clerk; a clerk only their own absences."
)
class UpdateClerkSettingsInput:
    user_id: strawberry.ID
    capacity: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The most open leads (0 to 100,000); null: no limit.",
    )
    absences: list[AbsenceInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the list (at most 50)."
    )


@strawberry.input(description="A campaign's distribution (managers).")
class SetCampaignDistributionInput:
    campaign_id: strawberry.ID
    clerk_ids: list[strawberry.ID]
    strategy: DistributionStrategy = DistributionStrategy.LEAST_LOADED
    automatic: bool
