"""The data export of one person (DSGVO Art. 15): everything stored about a contact, with where
it came from, as one JSON-ready document (`contactDataExport`, GET /files/contacts/<id>/
export.json).

The document holds the person's own rows and the rows hanging on their leads and opportunities,
never a row of another contact: every table is read by the person's contact id or by the ids of
their leads, opportunities and activities. `recipients` lists the webhook deliveries that sent
their data out (who received which event when), not the bodies. Staff appear by name (and role,
for who created a lead), never by their e-mail.

Two parts are found by value, as the erasure finds them (no id links them to the contact):
`importRows`, the rows an import rejected that are the person's by the erasure's own rule
(`traces.persons_rejected_rows` over `erasure.person_of`: their current and former values), and
`failedLogins`, logins tried with one of their emails. The person's own rows cost one statement
per table, however many leads they have; the rejected rows cost about three statements per
1,000 rejected rows in the whole database (every one is read: stored JSON cannot be searched
alike on both databases), so that part grows with the instance's imports, not with the person.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from tortoise.expressions import Q
from tortoise.models import Model

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.models import (
    Activity,
    Campaign,
    Contact,
    ContactChange,
    Feedback,
    ImportIssue,
    Lead,
    LeadEvent,
    LeadImport,
    LoginFailure,
    Notification,
    Opportunity,
    OpportunityEvent,
    User,
    WebhookDelivery,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.global_ids import encode_id
from leadflow.services import audit
from leadflow.services.privacy import config, erasure, traces
from leadflow.services.webhooks import payloads

FORMAT = "leadflow.contact-export/1"

ModelT = TypeVar("ModelT", bound=Model)
RowT = TypeVar("RowT")

Document = dict[str, object]


async def contact_data_export(actor: Actor, contact_id: int, *, address: str = "") -> Document:
    """The export of one contact: admins, and managers when the instance allows it
    (LEADFLOW_CONTACT_EXPORT_MANAGERS); NOT_FOUND for an unknown contact. An erased contact's
    export is its tombstone: the markers erasure left, and the leads' figures.

    Each export is recorded in the audit log (who exported which contact id, never the
    person's data), after the document was read: a failed read exported nothing."""
    require_may_export(actor)
    contact = await Contact.get_or_none(id=contact_id)
    if contact is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such contact.", ["contactId"])
    document = await _document(contact)
    await audit.record(
        audit.AuditAction.CONTACT_DATA_EXPORTED,
        actor=actor,
        detail=f"contact {contact.id}",
        address=address,
    )
    return document


def require_may_export(actor: Actor) -> None:
    """The permission alone, for callers that check it before reading the client's input (the
    download's path), so that a refusal never depends on what the client sent."""
    policy.require_may_export_contact(
        actor, managers_allowed=config.current().contact_export_managers
    )


def may_export(actor: Actor) -> bool:
    """Whether the actor may export a person's data (the web app offers the download by it)."""
    return policy.may_export_contact(
        actor, managers_allowed=config.current().contact_export_managers
    )


def as_json(document: Document) -> str:
    """The document as the API and the download give it: UTF-8 text, names as written."""
    return json.dumps(document, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------------------------------------
# Reading: one statement per table


@dataclass(frozen=True, slots=True)
class _Rows:
    """Every row the document shows, read by the person's ids; users, campaigns and imports by
    the ids those rows name."""

    changes: list[ContactChange]
    leads: list[Lead]
    feedback: list[Feedback]
    lead_events: list[LeadEvent]
    opportunities: list[Opportunity]
    opportunity_events: list[OpportunityEvent]
    activities: list[Activity]
    notifications: list[Notification]
    deliveries: list[WebhookDelivery]
    import_rows: list[ImportIssue]
    failed_logins: list[LoginFailure]
    users: dict[int, User]
    campaigns: dict[int, Campaign]
    imports: dict[int, LeadImport]


async def _read(contact: Contact) -> _Rows:
    changes = await ContactChange.filter(contact_id=contact.id).order_by("at", "id")
    leads = await Lead.filter(contact_id=contact.id).order_by("created_at", "id")
    lead_ids = [lead.id for lead in leads]
    # An opportunity belongs to the lead's contact; by contact id, so one made without a lead
    # is included too.
    opportunities = await Opportunity.filter(contact_id=contact.id).order_by("created_at", "id")
    opportunity_ids = [opportunity.id for opportunity in opportunities]
    activities = await Activity.filter(
        Q(lead_id__in=lead_ids) | Q(opportunity_id__in=opportunity_ids)
    ).order_by("due_at", "id")
    import_rows, failed_logins = await _found_by_value(contact)
    rows = _Rows(
        changes=list(changes),
        leads=list(leads),
        feedback=list(await Feedback.filter(lead_id__in=lead_ids).order_by("created_at", "id")),
        lead_events=list(await LeadEvent.filter(lead_id__in=lead_ids).order_by("at", "id")),
        opportunities=list(opportunities),
        opportunity_events=list(
            await OpportunityEvent.filter(opportunity_id__in=opportunity_ids).order_by("at", "id")
        ),
        activities=list(activities),
        notifications=list(
            await _notifications(lead_ids, opportunity_ids, [a.id for a in activities])
        ),
        deliveries=await _deliveries(contact.id, lead_ids),
        import_rows=import_rows,
        failed_logins=failed_logins,
        users={},
        campaigns={},
        imports={},
    )
    rows.users.update(await _by_id(User, _user_ids(rows)))
    rows.campaigns.update(await _by_id(Campaign, {lead.campaign_id for lead in leads}))
    import_ids = {lead.lead_import_id for lead in leads if lead.lead_import_id is not None}
    import_ids |= {issue.lead_import_id for issue in rows.import_rows}
    rows.imports.update(await _by_id(LeadImport, import_ids))
    return rows


async def _found_by_value(contact: Contact) -> tuple[list[ImportIssue], list[LoginFailure]]:
    """The rows that name the person without an id: their rejected import rows, by the rule
    the erasure empties them by (one rule, in traces.py), and the failed logins with one of
    their emails (the email typed, when; the address stays out: it is whoever typed it).
    An erased person's were emptied with the erasure: the tombstone has none."""
    if contact.erased_at is not None:
        return [], []
    person = await erasure.person_of(contact)
    failed_logins: list[LoginFailure] = []
    if person.email_keys:
        failed_logins = list(
            await LoginFailure.filter(email__in=person.email_keys).order_by("at", "id")
        )
    return await traces.persons_rejected_rows(person), failed_logins


async def _notifications(
    lead_ids: list[int], opportunity_ids: list[int], activity_ids: list[int]
) -> list[Notification]:
    """The notifications linked to one of the person's leads, opportunities or activities:
    their messages name the person (or the opportunity's title). A notification about several
    leads at once ("5 neue Leads") links none and names no one, so it is not theirs."""
    return list(
        await Notification.filter(
            Q(lead_id__in=lead_ids)
            | Q(opportunity_id__in=opportunity_ids)
            | Q(activity_id__in=activity_ids)
        ).order_by("created_at", "id")
    )


async def _deliveries(contact_id: int, lead_ids: list[int]) -> list[WebhookDelivery]:
    """The webhook deliveries that carried the person's data out (Art. 15(1)(c): to whom it
    was disclosed): the events of their leads (and of the leads' opportunities), and the
    events about the contact itself (contact.updated, contact.erased), found by the contact's
    ID in the body. `contains` only narrows: "Contact:8" is a prefix of "Contact:80" in
    base64 as well, the parsed id decides."""
    contact_gid = encode_id("Contact", contact_id)
    about = Q(body__contains=contact_gid)
    if lead_ids:
        about |= Q(lead_id__in=lead_ids)
    deliveries = await WebhookDelivery.filter(about).select_related("webhook").order_by("id")
    return [
        delivery
        for delivery in deliveries
        if delivery.lead_id in lead_ids or payloads.data_id_of(delivery.body) == contact_gid
    ]


def _user_ids(rows: _Rows) -> set[int]:
    named: list[int | None] = []
    named += [change.actor_id for change in rows.changes]
    for lead in rows.leads:
        named += [lead.created_by_id, lead.assignee_id, lead.closed_by_id]
    named += [entry.author_id for entry in rows.feedback]
    for event in rows.lead_events:
        named += [event.actor_id, event.assignee_id, event.previous_assignee_id]
    named += [opportunity.owner_id for opportunity in rows.opportunities]
    for opportunity_event in rows.opportunity_events:
        named += [
            opportunity_event.actor_id,
            opportunity_event.owner_id,
            opportunity_event.previous_owner_id,
        ]
    for activity in rows.activities:
        named += [activity.assignee_id, activity.created_by_id, activity.done_by_id]
    named += [notification.user_id for notification in rows.notifications]
    named += [delivery.webhook.owner_id for delivery in rows.deliveries]
    return {user_id for user_id in named if user_id is not None}


async def _by_id(model: type[ModelT], ids: Iterable[int]) -> dict[int, ModelT]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {int(row.pk): row for row in await model.filter(id__in=wanted)}


# ---------------------------------------------------------------------------------------------
# Shaping: the API's names (camelCase) and global IDs, dates in ISO 8601 UTC


async def _document(contact: Contact) -> Document:
    rows = await _read(contact)
    shape = _Shape(rows)
    return {
        "exportedAt": _iso(clock.now()),
        "format": FORMAT,
        "contact": _contact(contact),
        "history": [shape.change(change) for change in rows.changes],
        "leads": [shape.lead(lead) for lead in rows.leads],
        "opportunities": [shape.opportunity(opportunity) for opportunity in rows.opportunities],
        "notifications": [shape.notification(notification) for notification in rows.notifications],
        "recipients": [shape.delivery(delivery) for delivery in rows.deliveries],
        "importRows": [shape.import_row(issue) for issue in rows.import_rows],
        "failedLogins": [
            {"email": failure.email, "at": _iso(failure.at)} for failure in rows.failed_logins
        ],
    }


def _contact(contact: Contact) -> Document:
    return {
        "id": encode_id("Contact", contact.id),
        "salutation": contact.salutation,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "company": contact.company,
        "email": contact.email,
        "phone": contact.phone,
        "street": contact.street,
        "postalCode": contact.postal_code,
        "city": contact.city,
        "country": contact.country,
        "createdAt": _iso(contact.created_at),
        "optedOut": contact.opted_out,
        "optedOutAt": _iso(contact.opted_out_at),
        "optedOutNote": contact.opted_out_note,
        "erasedAt": _iso(contact.erased_at),
    }


class _Shape:
    """Turns the rows into the document's parts, looking users, campaigns and imports up in
    what `_read` fetched, and grouping children by their lead or opportunity once."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.feedback = _grouped((entry.lead_id, entry) for entry in rows.feedback)
        self.lead_events = _grouped((event.lead_id, event) for event in rows.lead_events)
        self.opportunity_events = _grouped(
            (event.opportunity_id, event) for event in rows.opportunity_events
        )
        self.lead_activities = _grouped(
            (activity.lead_id, activity)
            for activity in rows.activities
            if activity.lead_id is not None
        )
        self.opportunity_activities = _grouped(
            (activity.opportunity_id, activity)
            for activity in rows.activities
            if activity.opportunity_id is not None
        )

    def user(self, user_id: int | None) -> str | None:
        """A member of staff by name only (their e-mail is not the person's data)."""
        return None if user_id is None else self.rows.users[user_id].name

    def change(self, change: ContactChange) -> Document:
        return {
            "field": change.field,
            "old": change.old_value,
            "new": change.new_value,
            "by": self.user(change.actor_id),
            "at": _iso(change.at),
        }

    def lead(self, lead: Lead) -> Document:
        campaign = self.rows.campaigns[lead.campaign_id]
        creator = self.rows.users.get(lead.created_by_id) if lead.created_by_id else None
        return {
            "id": encode_id("Lead", lead.id),
            "campaign": {"id": encode_id("Campaign", campaign.id), "name": campaign.name},
            "status": lead.status.value,
            "createdAt": _iso(lead.created_at),
            "createdBy": None
            if creator is None
            else {"name": creator.name, "role": creator.role.value},
            "source": self.source(lead, creator),
            "assignee": self.user(lead.assignee_id),
            "assignedAt": _iso(lead.assigned_at),
            "outcome": _value(lead.outcome),
            "closeReason": _value(lead.close_reason),
            "closeNote": lead.close_note,
            "closedAt": _iso(lead.closed_at),
            "closedBy": self.user(lead.closed_by_id),
            "feedback": [self.feedback_entry(entry) for entry in self.feedback.get(lead.id, [])],
            "activities": [self.activity(a) for a in self.lead_activities.get(lead.id, [])],
            "events": [self.lead_event(event) for event in self.lead_events.get(lead.id, [])],
        }

    def source(self, lead: Lead, creator: User | None) -> Document:
        """Where the person's data came from: the import that created the lead, else the
        partner who sent it, else entered by hand (createdBy says by whom)."""
        if lead.lead_import_id is not None:
            lead_import = self.rows.imports[lead.lead_import_id]
            return {
                "kind": "import",
                "import": {
                    "id": encode_id("LeadImport", lead_import.id),
                    "fileName": lead_import.file_name,
                    "startedAt": _iso(lead_import.started_at),
                },
                "partner": None,
            }
        if creator is not None and policy.is_partner(creator):
            return {"kind": "partner", "import": None, "partner": {"name": creator.name}}
        return {"kind": "manual", "import": None, "partner": None}

    def feedback_entry(self, entry: Feedback) -> Document:
        return {
            "channel": entry.channel.value,
            "note": entry.note,
            "by": self.user(entry.author_id),
            "at": _iso(entry.created_at),
        }

    def activity(self, activity: Activity) -> Document:
        return {
            "id": encode_id("Activity", activity.id),
            "kind": activity.kind.value,
            "dueAt": _iso(activity.due_at),
            "note": activity.note,
            "assignee": self.user(activity.assignee_id),
            "createdBy": self.user(activity.created_by_id),
            "createdAt": _iso(activity.created_at),
            "done": activity.done_at is not None,
            "doneAt": _iso(activity.done_at),
            "doneNote": activity.done_note,
            "doneBy": self.user(activity.done_by_id),
        }

    def lead_event(self, event: LeadEvent) -> Document:
        return {
            "kind": event.kind.value,
            "at": _iso(event.at),
            "actor": self.user(event.actor_id),
            "assignee": self.user(event.assignee_id),
            "previousAssignee": self.user(event.previous_assignee_id),
            "outcome": _value(event.outcome),
            "closeReason": _value(event.close_reason),
            "note": event.note,
            "opportunity": _optional_id("Opportunity", event.opportunity_id),
            "activity": _optional_id("Activity", event.activity_id),
        }

    def opportunity(self, opportunity: Opportunity) -> Document:
        return {
            "id": encode_id("Opportunity", opportunity.id),
            "lead": _optional_id("Lead", opportunity.lead_id),
            "title": opportunity.title,
            "stage": opportunity.stage.value,
            "expectedValue": _decimal(opportunity.expected_value),
            "expectedCloseDate": _day(opportunity.expected_close_date),
            "lostReason": _value(opportunity.lost_reason),
            "owner": self.user(opportunity.owner_id),
            "createdAt": _iso(opportunity.created_at),
            "closedAt": _iso(opportunity.closed_at),
            "activities": [
                self.activity(activity)
                for activity in self.opportunity_activities.get(opportunity.id, [])
            ],
            "events": [
                self.opportunity_event(event)
                for event in self.opportunity_events.get(opportunity.id, [])
            ],
        }

    def opportunity_event(self, event: OpportunityEvent) -> Document:
        return {
            "kind": event.kind.value,
            "at": _iso(event.at),
            "actor": self.user(event.actor_id),
            "owner": self.user(event.owner_id),
            "previousOwner": self.user(event.previous_owner_id),
            "stage": _value(event.stage),
            "previousStage": _value(event.previous_stage),
            "note": event.note,
            "activity": _optional_id("Activity", event.activity_id),
        }

    def notification(self, notification: Notification) -> Document:
        return {
            "kind": notification.kind.value,
            "recipient": self.user(notification.user_id),
            "message": notification.message,
            "createdAt": _iso(notification.created_at),
            "lead": _optional_id("Lead", notification.lead_id),
            "opportunity": _optional_id("Opportunity", notification.opportunity_id),
        }

    def delivery(self, delivery: WebhookDelivery) -> Document:
        """One event sent to a webhook: whose endpoint received it (the owner, by name; a
        partner's or the company's own), which event, when, and whether it arrived. The URL
        and the body stay out: the body is the data this export already holds."""
        return {
            "recipient": self.user(delivery.webhook.owner_id),
            "eventType": delivery.event_type,
            "at": _iso(delivery.created_at),
            "status": delivery.status.value,
            "lead": _optional_id("Lead", delivery.lead_id),
        }

    def import_row(self, issue: ImportIssue) -> Document:
        """A row an import rejected (kept so it can be fixed and imported again): which file,
        which row, what was wrong, and the row's cells under the file's column names."""
        lead_import = self.rows.imports[issue.lead_import_id]
        return {
            "import": encode_id("LeadImport", lead_import.id),
            "fileName": lead_import.file_name,
            "rowNumber": issue.row_number,
            "field": issue.field,
            "code": issue.code.value,
            "message": issue.message,
            "values": _by_column(list(lead_import.header), list(issue.values)),
        }


def _by_column(header: list[str], cells: list[str]) -> dict[str, str]:
    """The cells under their column's name; a column without a name, or with one an earlier
    column has, under its number too ("Spalte 5"), so that no cell is lost."""
    named: dict[str, str] = {}
    for index, cell in enumerate(cells):
        name = header[index].strip() if index < len(header) else ""
        if not name or name in named:
            name = f"{name} (Spalte {index + 1})".strip() if name else f"Spalte {index + 1}"
        named[name] = cell
    return named


def _grouped(pairs: Iterable[tuple[int | None, RowT]]) -> dict[int, list[RowT]]:
    """Rows by their parent's id, in the order read."""
    groups: dict[int, list[RowT]] = {}
    for parent_id, row in pairs:
        if parent_id is not None:
            groups.setdefault(parent_id, []).append(row)
    return groups


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _decimal(amount: Decimal | None) -> str | None:
    """As text, so no reader rounds it through a float."""
    return None if amount is None else str(amount)


def _value(member: object | None) -> str | None:
    """An enum member's value (outcomes, reasons, stages), None when unset."""
    return None if member is None else str(getattr(member, "value", member))


def _optional_id(type_name: str, pk: int | None) -> str | None:
    return None if pk is None else encode_id(type_name, pk)
