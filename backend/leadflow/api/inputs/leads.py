"""Inputs about leads: the lead filter, intake, distribution, feedback and close."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from leadflow.api.ids import decode_optional_id
from leadflow.api.types.enums import Channel, CloseReason, DueState, LeadStatus, Outcome
from leadflow.services import lead_lists, leads

SEARCH_DESCRIPTION = (
    "Words that must all match, in any letter case, part of the contact's first name, last "
    "name, company or email. Digits are also looked up in the phone number: '0511 123', "
    "'(0511) 123' and '+49 511 123' find '+49 511 1234567' and '0511 1234567' alike (a leading "
    "0 is a German area code). Partners search the email only. Words shorter than three "
    "characters are matched too, but without the search index (slower)."
)


@strawberry.input(description="Narrows a lead list. All given conditions must hold.")
class LeadFilter:
    status: LeadStatus | None = None
    campaign_id: strawberry.ID | None = None
    assignee_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description=SEARCH_DESCRIPTION)
    outcome: Outcome | None = strawberry.field(default=None, description="How it was closed.")
    close_reason: CloseReason | None = strawberry.field(
        default=None, description="Why it was closed unsuccessfully."
    )
    created_after: datetime | None = strawberry.field(
        default=None,
        description="Created at or after this moment (UTC without an offset: 2026-12-01 is "
        "UTC's midnight; the Time-Zone header does not move it).",
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Created before this moment (excluded; UTC without an offset)."
    )
    due: DueState | None = strawberry.field(
        default=None,
        description="Open leads whose next activity is in this due state (by the viewer's "
        "today); NONE: open leads with nothing scheduled. Not for partners.",
    )

    @staticmethod
    def parse(raw: LeadFilter | None, *, campaign_pk: int | None = None) -> lead_lists.LeadFilter:
        """The service's filter; `campaign_pk` (a campaign's own lead list) wins over the
        filter's campaign."""
        raw = raw or LeadFilter()
        campaign_id = decode_optional_id(raw.campaign_id, "Campaign", ["filter", "campaignId"])
        return lead_lists.LeadFilter(
            status=raw.status,
            campaign_id=campaign_pk if campaign_pk is not None else campaign_id,
            assignee_id=decode_optional_id(raw.assignee_id, "User", ["filter", "assigneeId"]),
            search=raw.search,
            outcome=raw.outcome,
            close_reason=raw.close_reason,
            created_after=raw.created_after,
            created_before=raw.created_before,
            due=raw.due,
        )


@strawberry.input(description="Narrows the task list. All given conditions must hold.")
class TaskFilter:
    due: DueState | None = strawberry.field(
        default=None, description="Only leads whose next activity is in this due state."
    )
    campaign_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description=SEARCH_DESCRIPTION)

    @staticmethod
    def parse(raw: TaskFilter | None) -> lead_lists.TaskFilter:
        raw = raw or TaskFilter()
        return lead_lists.TaskFilter(
            due=raw.due,
            campaign_id=decode_optional_id(raw.campaign_id, "Campaign", ["filter", "campaignId"]),
            search=raw.search,
        )


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

    def intake(self) -> leads.LeadIntake:
        return leads.LeadIntake(
            last_name=self.last_name,
            first_name=self.first_name,
            salutation=self.salutation,
            company=self.company,
            email=self.email,
            phone=self.phone,
            street=self.street,
            postal_code=self.postal_code,
            city=self.city,
            country=self.country,
        )


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

    def draft(self) -> leads.OpportunityDraft:
        return leads.OpportunityDraft(
            title=self.title,
            expected_value=self.expected_value,
            owner_id=decode_optional_id(self.owner_id, "User", ["opportunity", "ownerId"]),
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
class ReopenLeadInput:
    lead_id: strawberry.ID = strawberry.field(description="A DONE lead.")
    note: str | None = strawberry.field(default=None, description="Why it is reopened.")
