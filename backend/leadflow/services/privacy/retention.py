"""Retention (DSGVO Art. 5(1)(e), storage limitation): people kept only for leads that came to
nothing are erased once their leads have been closed long enough.

The rule: a contact is due when
- it is not erased yet and has at least one lead;
- EVERY lead of it is closed with outcome UNSUCCESSFUL, each longer ago than its campaign's
  limit: `closed_at < now - N days`, N being the campaign's `retention_days`, else the setting
  LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL (a lead whose campaign has neither keeps the contact);
- it has no opportunity (neither its own nor one through any of its leads).
An open lead, a successful lead or an opportunity keeps the person. The rule is written once,
in `_expired` (a lead past its limit) and `_due_ids` (two statements per batch, no loop over
contacts); the listing and the re-check before each erasure both use it.

A round (`run`, from the periodic job and `leadflow retention run`) lists the due contacts
in pages of BATCH_SIZE (plain reads) and erases each in a transaction of its own with
`erasure.erase_contact(..., suppress=False)` as the system actor `RETENTION` (audited like an
admin's erasure; no suppression entry: a prospect who did not buy made no objection, and a
keyed hash kept for ever would itself go against storage limitation). One transaction per
contact: an erasure scrubs the person's traces (import rows, audit details), which takes
about half a second with a big history, so a batch's transaction would hold its locks (and
SQLite's only writer) for most of a minute. A contact whose erasure raises is logged, counted
in `failed` and skipped (its transaction is rolled back); the round goes on past it and the
next round tries it again. Between two contacts the round checks `stopping` (the app's
shutdown, jobs.py) and ends there. The database unavailable is no broken contact: the round
ends at the first such failure and returns its report with the error in `unavailable` (not
raised: the erasures committed before it must reach the job's log and the command's output).

One instance at a time: each contact's transaction first takes the job's advisory lock
(PostgreSQL, `try_job_lock`, `pg_try_advisory_xact_lock`), and the round stops (`ran` False)
when another instance holds it. A session-level lock held for the whole round is not used:
Tortoise hands each statement outside a transaction any pooled connection, so the lock and
its unlock could land on different connections, and a connection going back to the pool with
the lock would keep it for good. The per-transaction lock is sound because the lock guards no
correctness (each erasure re-checks the rule under the contact's row locks and is
idempotent): it keeps two instances from doing the same work, and whichever finds it taken
leaves the rest to the other. SQLite serves one instance, whose rounds take turns in-process
(as reminders.py's).

Races: a lead reopened, a new lead or an opportunity created for the person between the
listing and the erasure must keep them. Before erasing, the contact's row is locked FOR UPDATE
(which waits for any transaction that inserted a lead or an opportunity pointing at it: their
foreign-key check holds FOR KEY SHARE on it until they commit) and its leads' rows too (which
waits for a reopen or a close in progress), and then the rule is checked again for that
contact; erasure is idempotent, so two rounds erase each person once. The locks are taken in
the erasure's order (the contact, then its leads); a step planned on a just-reopened lead locks
the lead, then the contact (activities' consent check), so in a narrow window the two can
deadlock: PostgreSQL aborts one, and a contact so aborted is tried again by the next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth.actors import SystemActor
from leadflow.db.availability import database_unavailable
from leadflow.db.enums import Outcome
from leadflow.db.lead_status import count_when
from leadflow.db.models import Campaign, Contact, Lead, Opportunity
from leadflow.db.sql import is_postgres, purge_contact_search, try_job_lock
from leadflow.services.privacy import config, erasure

log = logging.getLogger("leadflow.retention")

# The advisory lock of the retention rounds (a constant no other job uses: "LF" 0015).
JOB_LOCK_KEY = 0x4C46_0015
# Due contacts listed per statement (each then erased in a transaction of its own).
BATCH_SIZE = 100
# At most this many erasures per scheduled round (the rest in the next); a shutdown ends a
# round between two contacts (`stopping`).
ROUND_LIMIT = 2 * BATCH_SIZE
# The job acting on its own: the audit log names it as system:retention.
RETENTION = SystemActor("retention")

# SQLite: one instance, whose rounds (the job's, the command's, a test's) take turns here.
_in_process = asyncio.Lock()


@dataclass(frozen=True, slots=True)
class DueContact:
    """A contact the retention erases (or would): no personal data, only what an admin needs
    to see why."""

    contact_id: int
    leads: int
    latest_close: datetime
    # The longest limit among its leads' campaigns: the one that made it due last.
    retention_days: int
    campaigns: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The erasure's reason in the audit log."""
        days = "1 Tag" if self.retention_days == 1 else f"{self.retention_days} Tage"
        return f"Aufbewahrungsfrist abgelaufen ({days})"


@dataclass(slots=True)
class RetentionReport:
    dry_run: bool
    # False: another instance's (or this one's) round was running, or took over during this
    # one; `contacts` holds what this one erased before that.
    ran: bool = True
    # Listed (dry run) or erased, in contact id order.
    contacts: list[DueContact] = field(default_factory=list)
    # Listed but found no longer due under the lock (reopened, a new lead or opportunity).
    kept: int = 0
    # Contacts whose erasure raised (logged, rolled back, tried again by the next round): the
    # contact id -> the error in one line.
    failed: dict[int, str] = field(default_factory=dict)
    # The round ended early because the app is shutting down.
    stopped: bool = False
    # The round ended early because the database became unavailable (the error): everyone
    # after would fail the same way. What was erased before is in `contacts`.
    unavailable: BaseException | None = None


@dataclass(frozen=True, slots=True)
class _Limits:
    """The retention limits in force: the campaigns' own (campaign id -> days) and the setting
    for the other campaigns (None: off)."""

    setting: int | None
    campaigns: dict[int, int]

    @property
    def any(self) -> bool:
        return self.setting is not None or bool(self.campaigns)

    def of(self, campaign_id: int) -> int | None:
        return self.campaigns.get(campaign_id, self.setting)


async def _limits() -> _Limits:
    """One statement: the campaigns with a retention of their own (a few hundred at most)."""
    rows = await Campaign.filter(retention_days__not_isnull=True).values_list(
        "id", "retention_days"
    )
    return _Limits(
        setting=config.current().retention_days_unsuccessful,
        campaigns={int(campaign_id): int(days) for campaign_id, days in rows},
    )


def _expired(now: datetime, limits: _Limits) -> Q:
    """The leads past retention: closed UNSUCCESSFUL longer ago than their campaign's limit.
    No part of it is ever NULL (closed_at's NULL check comes first in the AND, campaign_id is
    never NULL), so its negation is exactly the leads that keep their contact, the open ones
    included."""
    by_days: dict[int, list[int]] = defaultdict(list)
    for campaign_id, days in limits.campaigns.items():
        by_days[days].append(campaign_id)
    within = [
        Q(campaign_id__in=sorted(campaign_ids), closed_at__lt=now - timedelta(days=days))
        for days, campaign_ids in sorted(by_days.items())
    ]
    if limits.setting is not None:
        # An empty id list is written 1=0 by Tortoise: NOT of it holds for every campaign.
        within.append(
            ~Q(campaign_id__in=sorted(limits.campaigns))
            & Q(closed_at__lt=now - timedelta(days=limits.setting))
        )
    return (
        Q(closed_at__not_isnull=True) & Q(outcome=Outcome.UNSUCCESSFUL) & Q(*within, join_type=Q.OR)
    )


async def due_contacts(
    now: datetime, *, after: int = 0, limit: int = BATCH_SIZE
) -> list[DueContact]:
    """Up to `limit` due contacts with ids above `after`, in id order; a few statements per
    call, whatever the number of contacts."""
    limits = await _limits()
    return await _described((await _due_ids(now, limits, after, limit)).due, now, limits)


@dataclass(frozen=True, slots=True)
class _Page:
    due: list[int]
    # Where the next page starts; None: this was the last one.
    next_after: int | None


async def _due_ids(
    now: datetime, limits: _Limits, after: int, limit: int, *, only: int | None = None
) -> _Page:
    """The module's rule: up to `limit` due contacts with ids above `after` (or just `only`).
    One grouped statement over the leads (a contact with no lead is in no group) keeps the
    contacts none of whose leads keeps them, a second one drops those with an opportunity
    (a few ids each: no NOT IN over a whole table, which PostgreSQL cannot hash when it is
    big and then scans once per row)."""
    if not limits.any or limit <= 0:
        return _Page([], None)
    leads = Lead.filter(contact__erased_at=None, contact_id__gt=after)
    if only is not None:
        leads = leads.filter(contact_id=only)
    candidates = cast(
        list[int],  # flat=True: the ids themselves, not 1-tuples
        await leads.annotate(keeping=count_when(~_expired(now, limits)))
        .group_by("contact_id")
        .filter(keeping=0)
        .order_by("contact_id")
        .limit(limit)
        .values_list("contact_id", flat=True),
    )
    with_opportunity = await _with_opportunity(candidates)
    return _Page(
        due=[contact_id for contact_id in candidates if contact_id not in with_opportunity],
        # A full page of candidates: there may be more, even when some had an opportunity.
        next_after=candidates[-1] if len(candidates) == limit else None,
    )


async def _with_opportunity(contact_ids: list[int]) -> set[int]:
    """Which of the contacts have an opportunity, their own or through one of their leads."""
    own = await Opportunity.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True)
    lead_ids = Subquery(Lead.filter(contact_id__in=contact_ids).values("id"))
    through_leads = await Opportunity.filter(lead_id__in=lead_ids).values_list(
        "lead__contact_id", flat=True
    )
    # flat=True: the ids themselves, not 1-tuples
    return set(cast(list[int], [*own, *through_leads]))


async def _described(contact_ids: list[int], now: datetime, limits: _Limits) -> list[DueContact]:
    """Each contact's leads summed up: count, latest close, longest limit, campaign names. Read
    through the rule's lead condition, so a lead reopened since the listing (no lock guards a
    dry run's) is left out, and a contact left with none is too."""
    leads = await (
        Lead.filter(_expired(now, limits), contact_id__in=contact_ids)
        .order_by("contact_id", "campaign__name")
        .values_list("contact_id", "closed_at", "campaign__name", "campaign_id")
    )
    by_contact: dict[int, list[tuple[datetime, str, int]]] = defaultdict(list)
    for contact_id, closed_at, campaign_name, campaign_id in leads:
        # Past a limit: closed, and under the campaign's limit or the setting.
        days = limits.of(int(campaign_id)) or 0
        by_contact[int(contact_id)].append((closed_at, str(campaign_name), days))
    return [
        DueContact(
            contact_id=contact_id,
            leads=len(by_contact[contact_id]),
            latest_close=max(closed for closed, _, _ in by_contact[contact_id]),
            retention_days=max(days for _, _, days in by_contact[contact_id]),
            campaigns=tuple(dict.fromkeys(name for _, name, _ in by_contact[contact_id])),
        )
        for contact_id in contact_ids
        if contact_id in by_contact
    ]


async def run(
    *, dry_run: bool, limit: int | None = None, stopping: Callable[[], bool] = lambda: False
) -> RetentionReport:
    """One retention round at `clock.now()`: list (dry run) or erase the due contacts, at most
    `limit` of them, ending between two contacts once `stopping()` says so. Nothing happens
    when neither the setting nor any campaign sets a limit."""
    if is_postgres():
        return await _round(dry_run, limit, stopping)
    if _in_process.locked():
        return RetentionReport(dry_run=dry_run, ran=False)
    async with _in_process:
        return await _round(dry_run, limit, stopping)


async def run_round(stopping: Callable[[], bool] = lambda: False) -> RetentionReport:
    """The periodic job's round: erase what is due, at most ROUND_LIMIT contacts."""
    return await run(dry_run=False, limit=ROUND_LIMIT, stopping=stopping)


async def _round(dry_run: bool, limit: int | None, stopping: Callable[[], bool]) -> RetentionReport:
    report = RetentionReport(dry_run=dry_run)
    try:
        await _pages(report, limit, stopping)
    except Exception as error:
        if not database_unavailable(error):
            raise
        # Not raised: the caller must still learn of the erasures committed before it.
        report.unavailable = error
    return report


async def _pages(report: RetentionReport, limit: int | None, stopping: Callable[[], bool]) -> None:
    dry_run = report.dry_run
    now = clock.now()
    limits = await _limits()
    after: int | None = 0
    while after is not None and limits.any and (limit is None or len(report.contacts) < limit):
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - len(report.contacts))
        page = await _due_ids(now, limits, after, size)
        if dry_run:
            report.contacts.extend(await _described(page.due, now, limits))
        elif not await _erase_page(report, page.due, now, limits, stopping):
            break
        after = page.next_after


async def _erase_page(
    report: RetentionReport,
    contact_ids: list[int],
    now: datetime,
    limits: _Limits,
    stopping: Callable[[], bool],
) -> bool:
    """Erase the listed contacts, each in its own transaction; False when the round must end
    (shutting down, another instance holds the job lock, or the database is unavailable).
    SQLite's search index is purged of the erased ones' values once for the page, however the
    page ended (`erasure.erase_contact`'s `purge_search`)."""
    erased_before = len(report.contacts)
    going_on = await _erase_each(report, contact_ids, now, limits, stopping)
    if len(report.contacts) > erased_before:
        await purge_contact_search()
    return going_on


async def _erase_each(
    report: RetentionReport,
    contact_ids: list[int],
    now: datetime,
    limits: _Limits,
    stopping: Callable[[], bool],
) -> bool:
    for contact_id in contact_ids:
        if stopping():
            report.stopped = True
            return False
        try:
            if not await _erase_one(report, contact_id, now, limits):
                report.ran = False
                return False
        except Exception as error:
            if database_unavailable(error):
                # Everyone after it would fail too: the round ends here, without raising, so
                # that the report of the contacts erased before reaches the caller.
                report.unavailable = error
                return False
            # Rolled back; the next round tries again. One broken contact must not hold up
            # the erasure of everyone after it.
            log.exception("Retention: erasing contact %d failed; skipped", contact_id)
            report.failed[contact_id] = f"{type(error).__name__}: {error}"
    return True


async def _erase_one(
    report: RetentionReport, contact_id: int, now: datetime, limits: _Limits
) -> bool:
    """Erase one contact if it is still due, in one transaction under the job lock; False when
    another instance holds the lock (nothing done)."""
    async with in_transaction():
        if not await try_job_lock(JOB_LOCK_KEY):
            return False
        due = await _still_due(contact_id, now, limits)
        if due is None:
            report.kept += 1
            return True
        await erasure.erase_contact(
            RETENTION, contact_id, due.reason, suppress=False, purge_search=False
        )
    report.contacts.append(due)
    return True


async def _still_due(contact_id: int, now: datetime, limits: _Limits) -> DueContact | None:
    """The rule again for one contact, under its row lock and its leads' (see the module's
    doc: what committed before the locks were granted is seen, what comes after waits)."""
    await Contact.filter(id=contact_id).select_for_update().only("id")
    await Lead.filter(contact_id=contact_id).order_by("id").select_for_update().only("id")
    if not (await _due_ids(now, limits, 0, 1, only=contact_id)).due:
        return None
    [due] = await _described([contact_id], now, limits)
    return due
