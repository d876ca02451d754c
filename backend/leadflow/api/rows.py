"""The shapes the API reads rows in: value rows of a lead with its contact, campaign and
assignee joined (one query per page; building ORM models costs more than the query itself),
and the relations fetched with an opportunity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tortoise.models import Model

from leadflow.db.models import Lead

USER_COLUMNS = ("id", "name", "email", "role", "active")
CONTACT_COLUMNS = (
    "id",
    "salutation",
    "first_name",
    "last_name",
    "company",
    "email",
    "email_key",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "created_at",
    "opted_out",
    "opted_out_at",
    "opted_out_note",
    "erased_at",
)
CAMPAIGN_COLUMNS = ("id", "name", "description", "starts_on", "ends_on", "created_at")
LEAD_COLUMNS = (
    "id",
    "assignee_id",
    "assigned_at",
    "waiting_since",
    "next_due_at",
    "assignment_reason",
    "outcome",
    "close_reason",
    "close_note",
    "closed_at",
    "closed_by_id",
    "created_by_id",
    "created_at",
    *(f"contact__{column}" for column in CONTACT_COLUMNS),
    *(f"campaign__{column}" for column in CAMPAIGN_COLUMNS),
    *(f"assignee__{column}" for column in USER_COLUMNS),
)
# An opportunity is always shown with its contact and owner.
OPPORTUNITY_RELATIONS = ("contact", "owner")
# The value rows of the opportunity list: the opportunity with its contact and owner joined.
OPPORTUNITY_COLUMNS = (
    "id",
    "lead_id",
    "title",
    "stage",
    "expected_value",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "created_at",
    "next_due_at",
    *(f"contact__{column}" for column in CONTACT_COLUMNS),
    *(f"owner__{column}" for column in USER_COLUMNS),
)
# An activity with its assignee and creator.
ACTIVITY_RELATIONS = ("assignee", "created_by")

LeadRow = dict[str, Any]


class Values(Protocol):
    """What a type's `from_values` reads its columns from: a value row, or a model."""

    def __getitem__(self, column: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class ModelValues:
    """A loaded model read like a value row (`values["name"]` is `model.name`), so that each
    type maps its columns once, in `from_values`, for the value rows of lists and for the
    models of single objects alike."""

    model: Model

    def __getitem__(self, column: str) -> Any:
        return getattr(self.model, column)


async def lead_rows(lead_ids: Sequence[int]) -> dict[int, LeadRow]:
    """The value rows (LEAD_COLUMNS) of these leads, by id; missing ids are left out."""
    rows = await Lead.filter(id__in=list(lead_ids)).values(*LEAD_COLUMNS)
    return {row["id"]: row for row in rows}
