"""Plain figures shown beside lists: a campaign's lead counts, the overview's tab counts and the
opportunity pipeline's stages."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

import strawberry

from leadflow.api.types.enums import OpportunityStage
from leadflow.services import campaigns, leads, opportunities


def counts_of(stats: campaigns.CampaignStats) -> dict[str, Any]:
    """A campaign's lead counts (the fields of `services.campaigns.CampaignStats`: total, new,
    active, done, successful, unsuccessful) as keyword arguments of the types that show them
    under the same names (`CampaignStats` here, `CampaignReport` of the reports)."""
    return asdict(stats)


@strawberry.type(description="Figures of a campaign over the leads the viewer may see.")
class CampaignStats:
    total: int
    new: int
    active: int
    done: int
    successful: int
    unsuccessful: int
    conversion_rate: float | None = strawberry.field(
        description="successful / done, between 0 and 1; null while no lead is done."
    )

    @classmethod
    def from_stats(cls, stats: campaigns.CampaignStats) -> CampaignStats:
        return cls(**counts_of(stats), conversion_rate=stats.conversion_rate)


@strawberry.type(description="Leads per tab of the overview.")
class LeadCounts:
    new: int
    active: int
    done: int

    @classmethod
    def from_counts(cls, counts: leads.LeadCounts) -> LeadCounts:
        return cls(new=counts.new, active=counts.active, done=counts.done)


@strawberry.type(description="One stage of the opportunity pipeline.")
class PipelineStage:
    stage: OpportunityStage
    count: int = strawberry.field(description="Opportunities in this stage.")
    total_value: Decimal = strawberry.field(
        description="The sum of their expected values (same currency; none counts as 0)."
    )

    @classmethod
    def from_figures(cls, figures: opportunities.PipelineStage) -> PipelineStage:
        return cls(stage=figures.stage, count=figures.count, total_value=figures.total_value)
