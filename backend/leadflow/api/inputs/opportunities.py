"""Inputs about opportunities: the list and pipeline filters, creation, hand-over, moves and
edits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from leadflow.api.ids import decode_optional_id
from leadflow.api.types.enums import OpportunityLostReason, OpportunityStage
from leadflow.services import opportunities


@strawberry.input(description="Narrows an opportunity list.")
class OpportunityFilter:
    owner_id: strawberry.ID | None = None
    stage: OpportunityStage | None = None
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only opportunities from leads of this campaign."
    )

    @staticmethod
    def parse(raw: OpportunityFilter | None) -> opportunities.OpportunityFilter:
        raw = raw or OpportunityFilter()
        return opportunities.OpportunityFilter(
            owner_id=decode_optional_id(raw.owner_id, "User", ["filter", "ownerId"]),
            stage=raw.stage,
            campaign_id=decode_optional_id(raw.campaign_id, "Campaign", ["filter", "campaignId"]),
        )


@strawberry.input
class CreateOpportunityInput:
    contact_id: strawberry.ID
    title: str
    expected_value: Decimal | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the acting clerk."
    )
    lead_id: strawberry.ID | None = strawberry.field(
        default=None, description="The lead it came from, if any (same contact)."
    )


@strawberry.input
class HandOverOpportunityInput:
    opportunity_id: strawberry.ID
    owner_id: strawberry.ID
    note: str | None = None


@strawberry.input(description="Narrows the pipeline's figures.")
class PipelineFilter:
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this clerk's opportunities."
    )
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only opportunities from leads of this campaign."
    )

    @staticmethod
    def parse(raw: PipelineFilter | None) -> opportunities.PipelineFilter:
        raw = raw or PipelineFilter()
        return opportunities.PipelineFilter(
            owner_id=decode_optional_id(raw.owner_id, "User", ["filter", "ownerId"]),
            campaign_id=decode_optional_id(raw.campaign_id, "Campaign", ["filter", "campaignId"]),
        )


@strawberry.input
class MoveOpportunityInput:
    opportunity_id: strawberry.ID
    stage: OpportunityStage = strawberry.field(
        description="WON and LOST close it; moving a closed one back is for managers."
    )
    lost_reason: OpportunityLostReason | None = strawberry.field(
        default=None, description="Required with LOST, not allowed otherwise."
    )
    note: str | None = None


@strawberry.input
class UpdateOpportunityInput:
    opportunity_id: strawberry.ID
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged."
    )
    expected_value: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged; null: no value."
    )
    expected_close_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged; null: no date."
    )

    def parse(self) -> opportunities.OpportunityChanges:
        values = {
            "title": self.title,
            "expected_value": self.expected_value,
            "expected_close_date": self.expected_close_date,
        }
        given = frozenset(name for name, value in values.items() if value is not strawberry.UNSET)
        return opportunities.OpportunityChanges(
            given=given,
            title=None if self.title is strawberry.UNSET else self.title,
            expected_value=None if self.expected_value is strawberry.UNSET else self.expected_value,
            expected_close_date=(
                None if self.expected_close_date is strawberry.UNSET else self.expected_close_date
            ),
        )
