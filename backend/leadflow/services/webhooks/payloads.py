"""Webhook bodies: thin JSON, built once per event and audience at fan-out and stored as sent
(the signature covers these exact bytes, on every attempt).

    {"type":"lead.assigned","id":"evt_123","timestamp":"2026-12-06T17:50:14.123Z","data":{...}}

`data` names the object by the API's global ID and carries a few of its fields as they stand at
fan-out (read in bulk for the batch: `Subjects`), plus what the event itself recorded (the
previous clerk, stage or owner; the corrected field names). Every field is listed with the
GraphQL type and field the API reads it as, and a partner's webhook gets only the fields the
API's field policy lets a partner read (`auth.field_rules.partner_may_read`): a field added
here is filtered by the same table, never sent to a partner by default. An object deleted
since the event is sent as `{"id": ...}` alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from leadflow.auth.field_rules import partner_may_read
from leadflow.db.lead_status import lead_status
from leadflow.db.models import Feedback, Lead, Opportunity
from leadflow.global_ids import encode_id
from leadflow.live.cursor import LiveEvent
from leadflow.services import outbox

Row = Mapping[str, Any]


class _Absent:
    """A value the event did not record (its key is left out of `data`, not sent as null)."""


ABSENT = _Absent()


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # in `data`
    type_name: str  # the GraphQL type and field the API reads it as (the partner filter's words)
    field_name: str
    read: Callable[[Row], object]


def _column(name: str) -> Callable[[Row], object]:
    return lambda row: _json_value(row[name]) if name in row else ABSENT


def _global_id(type_name: str, name: str) -> Callable[[Row], object]:
    def read(row: Row) -> object:
        value = row.get(name, ABSENT)
        if value is None or value is ABSENT:
            return value
        # Anything but a key (a payload some future publisher shaped otherwise) is left out
        # rather than failing the round, which would hold every later event back.
        return encode_id(type_name, value) if isinstance(value, int) else ABSENT

    return read


def _lead_status(row: Row) -> object:
    return lead_status(row["closed_at"], row["assignee_id"]).value


LEAD_FIELDS: tuple[_Field, ...] = (
    _Field("id", "Lead", "id", _global_id("Lead", "id")),
    _Field("campaignId", "Lead", "campaign", _global_id("Campaign", "campaign_id")),
    _Field("status", "Lead", "status", _lead_status),
    _Field("assigneeId", "Lead", "assignee", _global_id("User", "assignee_id")),
    _Field("assignedAt", "Lead", "assignedAt", _column("assigned_at")),
    _Field("outcome", "Lead", "outcome", _column("outcome")),
    _Field("closeReason", "Lead", "closeReason", _column("close_reason")),
    _Field("closedAt", "Lead", "closedAt", _column("closed_at")),
    _Field("createdAt", "Lead", "createdAt", _column("created_at")),
)
# What a lead event recorded itself (read from its payload, left out when it has none). The
# feedback's channel is read from the feedback row (Feedback has no global ID to send).
LEAD_EVENT_FIELDS: tuple[_Field, ...] = (
    _Field(
        "previousAssigneeId",
        "LeadEvent",
        "previousAssignee",
        _global_id("User", "previousAssigneeId"),
    ),
    _Field("channel", "Feedback", "channel", _column("channel")),
)
OPPORTUNITY_FIELDS: tuple[_Field, ...] = (
    _Field("id", "Opportunity", "id", _global_id("Opportunity", "id")),
    _Field("leadId", "Opportunity", "lead", _global_id("Lead", "lead_id")),
    _Field("ownerId", "Opportunity", "owner", _global_id("User", "owner_id")),
    _Field("stage", "Opportunity", "stage", _column("stage")),
)
OPPORTUNITY_EVENT_FIELDS: tuple[_Field, ...] = (
    _Field("previousStage", "OpportunityEvent", "previousStage", _column("previousStage")),
    _Field(
        "previousOwnerId",
        "OpportunityEvent",
        "previousOwner",
        _global_id("User", "previousOwnerId"),
    ),
)
CONTACT_FIELDS: tuple[_Field, ...] = (_Field("id", "Contact", "id", _global_id("Contact", "id")),)
CONTACT_EVENT_FIELDS: tuple[_Field, ...] = (
    _Field("fields", "ContactChange", "field", _column("fields")),
)

_LEAD_COLUMNS = (
    "id",
    "campaign_id",
    "assignee_id",
    "assigned_at",
    "outcome",
    "close_reason",
    "closed_at",
    "created_at",
    "created_by_id",
)
_OPPORTUNITY_COLUMNS = ("id", "lead_id", "owner_id", "stage")


@dataclass(frozen=True, slots=True)
class Subjects:
    """What one batch of events is about, as it stands at fan-out: leads (with the columns
    the policy decides by: `created_by_id`, `campaign_id`), opportunities, and the channels of
    recorded feedback, each read once for the batch."""

    leads: dict[int, dict[str, Any]]
    opportunities: dict[int, dict[str, Any]]
    feedback_channels: dict[int, str]

    def lead_of(self, event: LiveEvent) -> dict[str, Any] | None:
        """The event's lead, or its opportunity's (None: about no lead, or it is gone)."""
        lead_id = event.lead_id
        if lead_id is None and event.opportunity_id is not None:
            opportunity = self.opportunities.get(event.opportunity_id)
            lead_id = opportunity["lead_id"] if opportunity else None
        return self.leads.get(lead_id) if lead_id is not None else None

    def campaign_of(self, event: LiveEvent) -> int | None:
        if event.campaign_id is not None:
            return event.campaign_id
        lead = self.lead_of(event)
        return lead["campaign_id"] if lead else None


async def load_subjects(events: Sequence[LiveEvent]) -> Subjects:
    """The objects of `events`, in at most three queries whatever their number."""
    opportunity_ids = {e.opportunity_id for e in events if e.opportunity_id is not None}
    opportunities: dict[int, dict[str, Any]] = {}
    if opportunity_ids:
        rows = await Opportunity.filter(id__in=opportunity_ids).values(*_OPPORTUNITY_COLUMNS)
        opportunities = {row["id"]: row for row in rows}
    lead_ids = {e.lead_id for e in events if e.lead_id is not None}
    lead_ids |= {row["lead_id"] for row in opportunities.values() if row["lead_id"] is not None}
    leads: dict[int, dict[str, Any]] = {}
    if lead_ids:
        rows = await Lead.filter(id__in=lead_ids).values(*_LEAD_COLUMNS)
        leads = {row["id"]: row for row in rows}
    feedback_ids = {
        feedback_id
        for e in events
        if e.topic == outbox.LEAD_FEEDBACK_RECORDED
        and isinstance(feedback_id := e.payload.get("feedbackId"), int)
    }
    channels: dict[int, str] = {}
    if feedback_ids:
        rows = await Feedback.filter(id__in=feedback_ids).values("id", "channel")
        channels = {row["id"]: str(_json_value(row["channel"])) for row in rows}
    return Subjects(leads, opportunities, channels)


def message_id(event: LiveEvent) -> str:
    """The `webhook-id` of an event's deliveries (the body's `id`): the receivers' idempotency
    key, the same for every webhook, attempt and redelivery."""
    return f"evt_{event.id}"


def body(event: LiveEvent, subjects: Subjects, *, partner: bool) -> str:
    """The JSON body of `event` for a webhook of a partner (`partner`) or of a manager."""
    fields = _data(event, subjects)
    data = {
        field.key: value
        for field, value in fields
        if not partner or partner_may_read(field.type_name, field.field_name)
    }
    document = {
        "type": event.topic,
        "id": message_id(event),
        "timestamp": _timestamp(event.created_at),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"))


def _data(event: LiveEvent, subjects: Subjects) -> list[tuple[_Field, object]]:
    """The fields of the event's object and of the event, with their values, in table order."""
    family = event.topic.partition(".")[0]
    if family == "lead":
        own, recorded = LEAD_FIELDS, LEAD_EVENT_FIELDS
        subject_id, row = event.lead_id, subjects.leads.get(event.lead_id or 0)
        payload = _with_channel(event, subjects)
    elif family == "opportunity":
        own, recorded = OPPORTUNITY_FIELDS, OPPORTUNITY_EVENT_FIELDS
        subject_id = event.opportunity_id
        row = subjects.opportunities.get(event.opportunity_id or 0)
        payload = event.payload
    else:  # contact.*: the id and the corrected fields are the event's own
        own, recorded = CONTACT_FIELDS, CONTACT_EVENT_FIELDS
        subject_id = contact_id_of(event)
        row = {"id": subject_id} if subject_id is not None else None
        payload = event.payload
    if row is None:
        # Deleted since (or an event naming no object): its id alone, if it has one.
        return [(own[0], own[0].read({"id": subject_id}))] if subject_id is not None else []
    values = [(field, field.read(row)) for field in own]
    values += [(field, field.read(payload)) for field in recorded]
    return [(field, value) for field, value in values if value is not ABSENT]


def data_id_of(body: str) -> object:
    """The `data.id` of a stored delivery body (the global ID of the object the event is
    about), None when the body has none: how the erasure and the data export find the
    deliveries about a person beyond their leads'."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    data = document.get("data") if isinstance(document, dict) else None
    return data.get("id") if isinstance(data, dict) else None


def contact_id_of(event: LiveEvent) -> int | None:
    """The contact a contact event is about (its payload's `contactId`), if it names one."""
    contact_id = event.payload.get("contactId")
    return contact_id if isinstance(contact_id, int) else None


def _with_channel(event: LiveEvent, subjects: Subjects) -> Row:
    feedback_id = event.payload.get("feedbackId")
    channel = subjects.feedback_channels.get(feedback_id) if isinstance(feedback_id, int) else None
    return {**event.payload, "channel": channel} if channel is not None else event.payload


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a Z: 2026-12-06T17:50:14.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
