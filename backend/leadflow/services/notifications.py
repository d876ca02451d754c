"""Notifications ("Benachrichtigungen"): what a user should know, written by the service that
makes the change, inside its transaction, so a notification exists exactly when what it
announces committed (a rolled-back assignment leaves none).

The functions here open no transaction of their own: call them inside the caller's
`in_transaction()`, after the change itself. Each notification also writes one
`notification.added` outbox event for its recipient (live updates) and is queued for e-mail.

The message is stored rendered, in German (the product's language, i18n `notification.*`),
not rendered per viewer: a notification is a record of what was said at the time, and the
e-mail queue sends the same words. The kind and the lead/opportunity/activity links let a
client render its own text if it ever wants one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from leadflow import clock, i18n
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import NotificationKind
from leadflow.db.models import (
    Activity,
    Campaign,
    Contact,
    Lead,
    Notification,
    Opportunity,
    User,
)
from leadflow.db.sql import next_ids
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import emails, outbox

# The language the stored messages are written in (see the module's docstring).
MESSAGE_LANGUAGE = "de"

# A page of the list; the API caps `first` at the same number.
MAX_PAGE = 100
# markNotificationsRead(ids:) takes at most this many ids per call.
MAX_MARK = 1000


@dataclass(frozen=True, slots=True)
class NewNotification:
    """One notification to create. `once_key` makes a scheduled one unique (see
    `Notification.once_key`): a second row with the same key is skipped, not an error."""

    user_id: int
    kind: NotificationKind
    message: str
    lead_id: int | None = None
    opportunity_id: int | None = None
    activity_id: int | None = None
    once_key: str | None = None


# ---------------------------------------------------------------------------------------------
# Writing (inside the caller's transaction)


async def create_notifications(rows: Sequence[NewNotification]) -> list[Notification]:
    """Insert `rows` in bulk with one `notification.added` event each. Rows whose `once_key`
    exists already (or repeats within `rows`) are left out; the created ones are returned.
    Call it inside the transaction of the change the notifications announce."""
    fresh = await _without_sent_once_keys(rows)
    if not fresh:
        return []
    ids = await next_ids(Notification, len(fresh))
    at = clock.now()
    notifications = [
        Notification(
            id=notification_id,
            user_id=row.user_id,
            kind=row.kind,
            message=row.message,
            lead_id=row.lead_id,
            opportunity_id=row.opportunity_id,
            activity_id=row.activity_id,
            once_key=row.once_key,
            created_at=at,
        )
        for notification_id, row in zip(ids, fresh, strict=True)
    ]
    await Notification.bulk_create(notifications)
    await outbox.publish(
        outbox.Event(
            outbox.NOTIFICATION_ADDED,
            lead_id=notification.lead_id,
            opportunity_id=notification.opportunity_id,
            user_ids=[notification.user_id],
            payload={"notificationId": notification.id, "kind": notification.kind.value},
        )
        for notification in notifications
    )
    # The e-mails are queued with them (and so exist exactly when they do); sent after commit.
    await emails.enqueue_for(notifications)
    return notifications


async def _without_sent_once_keys(rows: Sequence[NewNotification]) -> list[NewNotification]:
    """The rows to insert: once-keyed ones only when their key is new. The unique index on
    `once_key` stays the arbiter when two instances race (the loser's transaction fails)."""
    keys = {row.once_key for row in rows if row.once_key is not None}
    taken: set[str] = set()
    if keys:
        found = await Notification.filter(once_key__in=keys).values_list("once_key", flat=True)
        taken = {str(key) for key in found}
    fresh: list[NewNotification] = []
    for row in rows:
        if row.once_key is not None:
            if row.once_key in taken:
                continue
            taken.add(row.once_key)
        fresh.append(row)
    return fresh


class LeadRef(Protocol):
    """What the assignment notifications read of a lead (a Lead, or the row an assignment
    returned: building a thousand Lead models costs more than the assignment's SQL)."""

    @property
    def id(self) -> int: ...

    @property
    def campaign_id(self) -> int: ...

    @property
    def contact_id(self) -> int: ...


async def notify_leads_assigned(
    actor: Actor, leads_by_clerk: Mapping[int, Sequence[LeadRef]]
) -> list[Notification]:
    """LEAD_ASSIGNED: one notification per clerk for a whole batch ("5 neue Leads aus Messe
    Süd"; one lead is named and linked: "Neuer Lead: Müller GmbH"). A clerk who assigned
    leads to themself is not told."""
    batches = {
        clerk_id: leads
        for clerk_id, leads in leads_by_clerk.items()
        if leads and not _is_actor(actor, clerk_id)
    }
    if not batches:
        return []
    all_leads = [lead for leads in batches.values() for lead in leads]
    campaign_names = await _campaign_names({lead.campaign_id for lead in all_leads})
    single = [leads[0] for leads in batches.values() if len(leads) == 1]
    lead_names = await _lead_names(single)
    rows: list[NewNotification] = []
    for clerk_id, leads in batches.items():
        if len(leads) == 1:
            lead = leads[0]
            message = _text("notification.leadAssigned", lead=lead_names[lead.id])
            rows.append(NewNotification(clerk_id, NotificationKind.LEAD_ASSIGNED, message, lead.id))
            continue
        campaign_ids = {lead.campaign_id for lead in leads}
        if len(campaign_ids) == 1:
            campaign = campaign_names.get(next(iter(campaign_ids)), "")
            message = _text("notification.leadsAssigned", count=len(leads), campaign=campaign)
        else:
            message = _text(
                "notification.leadsAssignedCampaigns",
                count=len(leads),
                campaigns=len(campaign_ids),
            )
        rows.append(NewNotification(clerk_id, NotificationKind.LEAD_ASSIGNED, message))
    return await create_notifications(rows)


async def notify_lead_reassigned(
    actor: Actor, lead: Lead, previous_clerk_id: int | None, new_clerk_id: int
) -> list[Notification]:
    """LEAD_REASSIGNED_AWAY to the clerk the lead came from ("Lead Müller GmbH wurde an Anna
    übertragen") and LEAD_ASSIGNED to the one it went to ("Neuer Lead: Müller GmbH")."""
    name = (await _lead_names([lead]))[lead.id]
    rows: list[NewNotification] = []
    if previous_clerk_id is not None and not _is_actor(actor, previous_clerk_id):
        new_clerk = await User.get(id=new_clerk_id)
        rows.append(
            NewNotification(
                previous_clerk_id,
                NotificationKind.LEAD_REASSIGNED_AWAY,
                _text("notification.leadReassignedAway", lead=name, clerk=new_clerk.name),
                lead.id,
            )
        )
    if not _is_actor(actor, new_clerk_id):
        rows.append(
            NewNotification(
                new_clerk_id,
                NotificationKind.LEAD_ASSIGNED,
                _text("notification.leadAssigned", lead=name),
                lead.id,
            )
        )
    return await create_notifications(rows)


async def notify_opportunity_handed_over(
    actor: Actor, opportunity: Opportunity, previous_owner_id: int, new_owner_id: int
) -> list[Notification]:
    """OPPORTUNITY_HANDED_OVER to the new owner ("Verkaufschance Ausbau 2027 von Ben
    übergeben")."""
    if _is_actor(actor, new_owner_id):
        return []
    previous_owner = await User.get(id=previous_owner_id)
    message = _text(
        "notification.opportunityHandedOver", title=opportunity.title, clerk=previous_owner.name
    )
    return await create_notifications(
        [
            NewNotification(
                new_owner_id,
                NotificationKind.OPPORTUNITY_HANDED_OVER,
                message,
                opportunity_id=opportunity.id,
            )
        ]
    )


def _is_actor(actor: Actor, user_id: int) -> bool:
    user = actor_user(actor)
    return user is not None and user.id == user_id


def _text(key: str, **values: object) -> str:
    return i18n.text(MESSAGE_LANGUAGE, key).format(**values)


async def _campaign_names(campaign_ids: set[int]) -> dict[int, str]:
    rows = await Campaign.filter(id__in=campaign_ids).values_list("id", "name")
    return {int(campaign_id): str(name) for campaign_id, name in rows}


async def _lead_names(leads: Sequence[LeadRef]) -> dict[int, str]:
    """How a notification names a lead: the company, else the person."""
    if not leads:  # a batch's notification names none: no query
        return {}
    contact_ids = {lead.contact_id for lead in leads}
    contacts = {contact.id: contact for contact in await Contact.filter(id__in=contact_ids)}
    return {lead.id: lead_label(contacts[lead.contact_id]) for lead in leads}


def lead_label(contact: Contact) -> str:
    if contact.company:
        return contact.company
    return " ".join(part for part in (contact.first_name, contact.last_name) if part)


# ---------------------------------------------------------------------------------------------
# Reading and marking (the recipient's own only)


def own_notifications(actor: Actor) -> QuerySet[Notification]:
    """The actor's own notifications; the system has none."""
    user = actor_user(actor)
    if user is None:
        return Notification.filter(id__in=[])
    return Notification.filter(user_id=user.id)


async def unread_count(actor: Actor) -> int:
    return await own_notifications(actor).filter(read_at=None).count()


async def get_notification(actor: Actor, notification_id: int) -> Notification:
    """One notification, for its recipient only: NOT_FOUND when it does not exist, AccessDenied
    when it is someone else's (as `node(id:)` treats every other object out of sight)."""
    found = await own_notifications(actor).get_or_none(id=notification_id)
    if found is not None:
        return found
    if await Notification.filter(id=notification_id).exists():
        raise AccessDenied("This notification is someone else's.")
    raise DomainError(ErrorCode.NOT_FOUND, "This notification does not exist.", ["id"])


async def mark_read(
    actor: Actor, notification_ids: Sequence[int] | None, everything: bool
) -> list[Notification]:
    """Mark the given notifications (or all unread ones) of the actor read; returns the ones
    named (all: the ones it marked). A foreign or unknown id refuses the whole call."""
    user = actor_user(actor)
    if user is None:
        raise DomainError(ErrorCode.INVALID, "The system has no notifications.", ["input"])
    if everything == (notification_ids is not None):
        raise DomainError(
            ErrorCode.INVALID, "Give either the notification ids or all: true.", ["ids"]
        )
    at = clock.now()
    if everything:
        return await _mark_all_read(user, at)
    ids = list(dict.fromkeys(notification_ids or ()))
    if not ids:
        raise DomainError(ErrorCode.REQUIRED, "Name at least one notification.", ["ids"])
    if len(ids) > MAX_MARK:
        raise DomainError(
            ErrorCode.TOO_MANY, f"At most {MAX_MARK} notifications per call.", ["ids"]
        )
    own = {row.id for row in await Notification.filter(user_id=user.id, id__in=ids).only("id")}
    for position, notification_id in enumerate(ids):
        if notification_id not in own:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                "This notification does not exist.",
                ["ids", str(position)],
            )
    # Read once stays read at its first time: only unread rows get a time.
    await Notification.filter(user_id=user.id, id__in=ids, read_at=None).update(read_at=at)
    by_id = {row.id: row for row in await Notification.filter(id__in=ids)}
    return [by_id[notification_id] for notification_id in ids]


async def _mark_all_read(user: User, at: datetime) -> list[Notification]:
    unread = Notification.filter(Q(user_id=user.id) & Q(read_at=None))
    ids = list(await unread.values_list("id", flat=True))
    if ids:
        await Notification.filter(id__in=ids, read_at=None).update(read_at=at)
    # The payload shows the newest page of them; the count says the rest.
    return list(await Notification.filter(id__in=ids).order_by("-id").limit(MAX_PAGE))


# What a notification links to is shown only while the recipient may still see it (a lead
# taken away since must not leak): the same rules as the lists, at the time of reading.


def may_see_lead_row(actor: Actor, lead: Mapping[str, Any]) -> bool:
    """A lead's value row (with `assignee_id` and `created_by_id`) against the lead rule."""
    try:
        return policy.may_see_lead(actor, lead)
    except AccessDenied:  # the role sees no leads at all
        return False


async def visible_opportunities_by_id(
    actor: Actor, opportunity_ids: Sequence[int], *related: str
) -> dict[int, Opportunity]:
    """Those of `opportunity_ids` the actor may see, by id (one query; `related` joined)."""
    try:
        visible = policy.visible_opportunities(actor)
    except AccessDenied:  # the role sees no opportunities at all
        return {}
    rows = await visible.filter(id__in=list(opportunity_ids)).select_related(*related)
    return {row.id: row for row in rows}


async def visible_activities_by_id(
    actor: Actor, activity_ids: Sequence[int], *related: str
) -> dict[int, Activity]:
    """Those of `activity_ids` the actor may see, by id (one query; `related` joined)."""
    try:
        visible = policy.activity_scope(actor).apply(Activity.all())
    except AccessDenied:
        return {}
    rows = await visible.filter(id__in=list(activity_ids)).select_related(*related)
    return {row.id: row for row in rows}
