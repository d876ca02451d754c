"""Inputs about opportunities: the list filter, creation and hand-over."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from leadflow.api.ids import decode_optional_id
from leadflow.api.types.enums import OpportunityStage
from leadflow.services import opportunities


@strawberry.input(description="Narrows an opportunity list.")
class OpportunityFilter:
    owner_id: strawberry.ID | None = None
    stage: OpportunityStage | None = None

    @staticmethod
    def parse(raw: OpportunityFilter | None) -> opportunities.OpportunityFilter:
        raw = raw or OpportunityFilter()
        return opportunities.OpportunityFilter(
            owner_id=decode_optional_id(raw.owner_id, "User", ["filter", "ownerId"]),
            stage=raw.stage,
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
