"""Scheduled reminders: due activities and leads waiting longer than their campaign's limit.
A periodic job (`jobs.py`) runs `run_round` on every instance; a round runs on one instance at
a time (PostgreSQL: an advisory lock held by the round's one transaction; SQLite: one instance,
and an in-process lock keeps its rounds apart), and the notifications' `once_key` keeps a
second round from announcing the same thing again.

What a round announces, each thing once:
- ACTIVITY_DUE: an open activity whose due time has passed, to its assignee. The key holds the
  due time, so a rescheduled activity reminds again when its new time comes.
- LEADS_WAITING to the active managers: NEW leads of a campaign with `waiting_limit_hours`
  that have waited longer than the limit, one notification per campaign and manager with the
  count ("12 Leads in Messe Süd warten seit über 24 h auf Zuteilung").
- LEADS_WAITING to a clerk: their ACTIVE leads whose current wait (`waiting_since`) exceeds the
  campaign's limit, one notification per clerk with the count ("3 Leads warten seit über 24 h
  auf Ihre Rückmeldung").
A lead is counted once per wait: at the round after its wait crossed the limit. The crossing
moment (created_at or waiting_since, plus the limit) is compared with the recipient's previous
LEADS_WAITING notification of the same kind (its created_at is the round's moment, which
counted every crossing up to it), so no per-lead row is needed; a new wait (feedback moves
`waiting_since`) crosses again later and is counted again.

Nothing older than MAX_AGE is announced (the first round after an upgrade, or after the job
was off, does not announce weeks of history), and each kind looks at most at SCAN_LIMIT rows
per round.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.transactions import in_transaction

from leadflow import clock, i18n
from leadflow.db.enums import LeadStatus, NotificationKind, Role
from leadflow.db.lead_status import status_condition
from leadflow.db.models import Activity, Campaign, Contact, Lead, Notification, Opportunity, User
from leadflow.db.sql import is_postgres, try_job_lock
from leadflow.services import notifications
from leadflow.services.notifications import NewNotification

# The advisory lock of the reminder rounds (any constant no other job uses: "LF" 0001).
JOB_LOCK_KEY = 0x4C46_0001
MAX_AGE = timedelta(days=7)
SCAN_LIMIT = 5_000
ACTIVITY_DUE_PREFIX = "activity-due:"
NEW_WAITING_PREFIX = "leads-waiting-new:"
CLERK_WAITING_PREFIX = "leads-waiting:"

# SQLite: one instance, whose rounds (the job's, a test's) take turns here; PostgreSQL rounds
# take turns by the advisory lock alone, across instances and within one.
_in_process = asyncio.Lock()


@dataclass
class ReminderRound:
    ran: bool = False  # False: another instance's (or this one's) round was running
    activities_due: int = 0
    waiting_for_managers: int = 0
    waiting_for_clerks: int = 0


async def run_round() -> ReminderRound:
    """One round: everything due or waiting since the last one, announced in one transaction
    (notifications, their events and e-mails commit together)."""
    if is_postgres():
        return await _round()
    if _in_process.locked():
        return ReminderRound()
    async with _in_process:
        return await _round()


async def _round() -> ReminderRound:
    result = ReminderRound()
    async with in_transaction():
        if not await try_job_lock(JOB_LOCK_KEY):
            return result
        result.ran = True
        now = clock.now()
        result.activities_due = len(await notifications.create_notifications(await _due(now)))
        waiting = await _waiting_new(now)
        result.waiting_for_managers = len(await notifications.create_notifications(waiting))
        waiting = await _waiting_for_clerks(now)
        result.waiting_for_clerks = len(await notifications.create_notifications(waiting))
    return result


def _stamp(moment: datetime) -> str:
    # No colons: they separate a key's parts.
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(key: str, **values: object) -> str:
    return i18n.text(notifications.MESSAGE_LANGUAGE, key).format(**values)


def _counted(key: str, count: int, **values: object) -> str:
    forms = i18n.messages(notifications.MESSAGE_LANGUAGE)[key]
    assert isinstance(forms, dict), key
    return forms["one" if count == 1 else "other"].format(count=count, **values)


# ---------------------------------------------------------------------------------------------
# Due activities


async def _due(now: datetime) -> list[NewNotification]:
    """The due activities not yet announced at their current due time, newest first (the
    ones that just became due are never crowded out by old ones)."""
    due = list(
        await Activity.filter(
            done_at=None,
            due_at__lte=now,
            due_at__gt=now - MAX_AGE,
            assignee__active=True,
        )
        .order_by("-due_at", "-id")
        .limit(SCAN_LIMIT)
    )
    if not due:
        return []
    # Announced ones were announced after their due time, so within MAX_AGE.
    announced = {
        str(key)
        for key in await Notification.filter(
            kind=NotificationKind.ACTIVITY_DUE,
            activity_id__in=[activity.id for activity in due],
            created_at__gt=now - MAX_AGE,
        ).values_list("once_key", flat=True)
    }
    keyed = [(f"{ACTIVITY_DUE_PREFIX}{a.id}:{_stamp(a.due_at)}", a) for a in due]
    fresh = [(key, activity) for key, activity in keyed if key not in announced]
    subjects = await _subjects([activity for _, activity in fresh])
    return [
        NewNotification(
            activity.assignee_id,
            NotificationKind.ACTIVITY_DUE,
            _text(
                "notification.activityDue",
                kind=i18n.text(notifications.MESSAGE_LANGUAGE, f"activityKind.{activity.kind}"),
                subject=subjects[activity.id],
            ),
            lead_id=activity.lead_id,
            opportunity_id=activity.opportunity_id,
            activity_id=activity.id,
            once_key=key,
        )
        for key, activity in fresh
    ]


async def _subjects(activities: Sequence[Activity]) -> dict[int, str]:
    """What each activity is about, as a notification names it: the lead (its company or
    person) or the opportunity's title.

    Read under the row locks of the subjects' contacts (PostgreSQL: FOR NO KEY UPDATE, in id
    order, inside the round's transaction), the rule of `activities.lock_contact`: an erasure
    either runs first (the round waits, then reads the blanked contact and the marker title)
    or waits for the round (and then blanks the notifications it stored). A name read
    without the lock could be stored after the erasure blanked the notifications."""
    lead_ids = {a.lead_id for a in activities if a.lead_id is not None}
    opportunity_ids = {a.opportunity_id for a in activities if a.opportunity_id is not None}
    leads = {lead.id: lead for lead in await Lead.filter(id__in=lead_ids)}
    opportunity_contacts = await Opportunity.filter(id__in=opportunity_ids).values_list(
        "contact_id", flat=True
    )
    # flat=True: the ids themselves (Tortoise types them as tuples)
    contact_ids = {lead.contact_id for lead in leads.values()}
    contact_ids.update(cast(list[int], opportunity_contacts))
    contacts = await _locked_contacts(contact_ids)
    # After the locks: an erasure that ran meanwhile has replaced the titles.
    titles = dict(await Opportunity.filter(id__in=opportunity_ids).values_list("id", "title"))
    subjects: dict[int, str] = {}
    for activity in activities:
        if activity.lead_id is not None:
            lead = leads[activity.lead_id]
            subjects[activity.id] = notifications.lead_label(contacts[lead.contact_id])
        else:
            subjects[activity.id] = str(titles.get(activity.opportunity_id, ""))
    return subjects


async def _locked_contacts(contact_ids: set[int]) -> dict[int, Contact]:
    """The contacts as they are now, under their row locks, taken in id order (as every
    multi-contact lock is: intakes, suppression) so two such transactions cannot deadlock."""
    if not contact_ids:
        return {}
    locked = (
        Contact.filter(id__in=sorted(contact_ids)).order_by("id").select_for_update(no_key=True)
    )
    return {contact.id: contact for contact in await locked}


# ---------------------------------------------------------------------------------------------
# Waiting leads


async def _limited_campaigns() -> list[Campaign]:
    return list(await Campaign.filter(waiting_limit_hours__gt=0).order_by("id"))


async def _last_announced(now: datetime, prefix: str) -> dict[tuple[int, str], datetime]:
    """(recipient, scope: the key's first part after the prefix) -> when they were last told,
    for the LEADS_WAITING notifications of one kind within MAX_AGE."""
    rows = await Notification.filter(
        kind=NotificationKind.LEADS_WAITING,
        created_at__gt=now - MAX_AGE,
        once_key__startswith=prefix,
    ).values_list("user_id", "once_key", "created_at")
    last: dict[tuple[int, str], datetime] = {}
    for user_id, key, created_at in rows:
        scope = str(key).removeprefix(prefix).partition(":")[0]
        mark = (int(user_id), scope)
        if mark not in last or created_at > last[mark]:
            last[mark] = created_at
    return last


async def _waiting_new(now: datetime) -> list[NewNotification]:
    """Per campaign with a limit and per active manager: the NEW leads whose wait crossed the
    limit since the manager was last told about the campaign."""
    managers = list(await User.filter(role=Role.MANAGER, active=True).order_by("id"))
    if not managers:
        return []
    last = await _last_announced(now, NEW_WAITING_PREFIX)
    rows: list[NewNotification] = []
    for campaign in await _limited_campaigns():
        limit = timedelta(hours=campaign.waiting_limit_hours or 0)
        crossings = [
            lead.created_at + limit
            for lead in await Lead.filter(
                status_condition(LeadStatus.NEW),
                campaign_id=campaign.id,
                created_at__lte=now - limit,
                created_at__gt=now - limit - MAX_AGE,
            )
            .order_by("-created_at")
            .limit(SCAN_LIMIT)
            .only("id", "created_at")
        ]
        for manager in managers:
            since = last.get((manager.id, str(campaign.id)), now - MAX_AGE)
            count = sum(1 for crossed in crossings if crossed > since)
            if not count:
                continue
            message = _counted(
                "notification.leadsWaitingNew",
                count,
                campaign=campaign.name,
                hours=campaign.waiting_limit_hours,
            )
            key = f"{NEW_WAITING_PREFIX}{campaign.id}:{manager.id}:{_stamp(now)}"
            rows.append(
                NewNotification(manager.id, NotificationKind.LEADS_WAITING, message, once_key=key)
            )
    return rows


async def _waiting_for_clerks(now: datetime) -> list[NewNotification]:
    """Per clerk: their ACTIVE leads whose current wait crossed the campaign's limit since the
    clerk was last told; one notification per clerk (per limit, when their campaigns' limits
    differ), linked to the lead when it is one."""
    last = await _last_announced(now, CLERK_WAITING_PREFIX)
    # clerk -> hours -> the crossing leads' ids
    crossed: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for campaign in await _limited_campaigns():
        hours = campaign.waiting_limit_hours or 0
        limit = timedelta(hours=hours)
        waits = await (
            Lead.filter(
                status_condition(LeadStatus.ACTIVE),
                campaign_id=campaign.id,
                waiting_since__lte=now - limit,
                waiting_since__gt=now - limit - MAX_AGE,
                assignee__active=True,
            )
            .order_by("-waiting_since")
            .limit(SCAN_LIMIT)
            .values_list("id", "assignee_id", "waiting_since")
        )
        for lead_id, clerk_id, waiting_since in waits:
            since = last.get((int(clerk_id), str(clerk_id)), now - MAX_AGE)
            if waiting_since + limit > since:
                crossed[int(clerk_id)][hours].append(int(lead_id))
    rows: list[NewNotification] = []
    for clerk_id, by_hours in sorted(crossed.items()):
        for hours, lead_ids in sorted(by_hours.items()):
            message = _counted("notification.leadsWaitingClerk", len(lead_ids), hours=hours)
            rows.append(
                NewNotification(
                    clerk_id,
                    NotificationKind.LEADS_WAITING,
                    message,
                    lead_id=lead_ids[0] if len(lead_ids) == 1 else None,
                    once_key=f"{CLERK_WAITING_PREFIX}{clerk_id}:{hours}h:{_stamp(now)}",
                )
            )
    return rows
