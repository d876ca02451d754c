"""Input types of queries and mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from leadflow.api.types.enums import Channel, CloseReason, LeadStatus, OpportunityStage, Outcome


@strawberry.input(description="Narrows a lead list. All given conditions must hold.")
class LeadFilter:
    status: LeadStatus | None = None
    campaign_id: strawberry.ID | None = None
    assignee_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Words matched against contact name, company and email."
    )


@strawberry.input(description="Narrows an opportunity list.")
class OpportunityFilter:
    owner_id: strawberry.ID | None = None
    stage: OpportunityStage | None = None


@strawberry.input
class CreateCampaignInput:
    name: str = strawberry.field(description="Unique name, at most 200 characters.")
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.input(description="The contact details of one new lead.")
class LeadInput:
    last_name: str = strawberry.field(description="Required.")
    first_name: str | None = None
    salutation: str | None = None
    company: str | None = None
    email: str | None = strawberry.field(
        default=None,
        description="An existing contact with this email (any case) is reused. "
        "Email or phone is required.",
    )
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


@strawberry.input
class CreateLeadsInput:
    campaign_id: strawberry.ID
    leads: list[LeadInput] = strawberry.field(description="1 to 1000 leads, all or nothing.")


@strawberry.input
class AssignLeadsInput:
    lead_ids: list[strawberry.ID] = strawberry.field(description="1 to 1000 NEW leads.")
    assignee_id: strawberry.ID = strawberry.field(description="An active clerk.")


@strawberry.input
class ReassignLeadInput:
    lead_id: strawberry.ID
    assignee_id: strawberry.ID


@strawberry.input
class RecordFeedbackInput:
    lead_id: strawberry.ID
    channel: Channel
    note: str


@strawberry.input(description="Details of the opportunity a successful close creates.")
class OpportunityDraftInput:
    title: str | None = strawberry.field(
        default=None, description="Defaults to campaign name and contact name."
    )
    expected_value: Decimal | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the lead's assignee."
    )


@strawberry.input
class CloseLeadInput:
    lead_id: strawberry.ID
    outcome: Outcome
    reason: CloseReason | None = strawberry.field(
        default=None, description="Required when the outcome is UNSUCCESSFUL."
    )
    note: str | None = None
    opportunity: OpportunityDraftInput | None = None


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
