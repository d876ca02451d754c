"""Campaigns and their figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.enums import Outcome
from leadflow.db.lead_status import count_when, status_counts
from leadflow.db.models import NAME_MAX, TEXT_MAX, Campaign, CampaignDayFigures, Lead
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import audit
from leadflow.services.validation import clean_text

# A campaign's waiting limit is at most a year.
MAX_WAITING_LIMIT_HOURS = 24 * 366
# A campaign's retention (DSGVO storage limitation) is at most a hundred years.
MAX_RETENTION_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class CampaignStats:
    total: int = 0
    new: int = 0
    active: int = 0
    done: int = 0
    successful: int = 0
    unsuccessful: int = 0

    @property
    def conversion_rate(self) -> float | None:
        """Successful share of the closed leads; None while nothing is closed."""
        return success_rate(self.successful, self.done)

    def __add__(self, other: CampaignStats) -> CampaignStats:
        """The figures of two disjoint sets of leads together."""
        return CampaignStats(
            *(getattr(self, name) + getattr(other, name) for name in self.__slots__)
        )


def success_rate(successful: int, closed: int) -> float | None:
    """`successful / closed`, rounded to four places; None while nothing is closed. The one
    definition of a campaign's conversion rate and a clerk's success rate."""
    if closed == 0:
        return None
    rate = Decimal(successful) / Decimal(closed)
    return float(rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


async def create_campaign(
    actor: Actor,
    name: str,
    description: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    waiting_limit_hours: int | None = None,
    retention_days: int | None = None,
) -> Campaign:
    policy.require_manager(actor, "create campaigns")
    if retention_days is not None:
        policy.require_may_set_retention(actor)
    clean_name = clean_text(name, ["name"], max_length=NAME_MAX, required=True)
    clean_description = clean_text(description, ["description"], max_length=TEXT_MAX)
    clean_waiting_limit(waiting_limit_hours, ["waitingLimitHours"])
    clean_retention_days(retention_days, ["retentionDays"])
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(
            ErrorCode.INVALID, "The campaign cannot end before it starts.", ["endsOn"]
        )
    if await Campaign.filter(name=clean_name).exists():
        raise _duplicate_name(clean_name)
    try:
        async with in_transaction():
            campaign = await Campaign.create(
                name=clean_name,
                description=clean_description,
                starts_on=starts_on,
                ends_on=ends_on,
                waiting_limit_hours=waiting_limit_hours,
                retention_days=retention_days,
                created_at=clock.now(),
            )
            if retention_days is not None:
                await _audit_retention(actor, campaign.id, None, retention_days)
            return campaign
    except IntegrityError:  # a concurrent create with the same name won
        raise _duplicate_name(clean_name) from None


def clean_waiting_limit(hours: int | None, field: Sequence[str]) -> int | None:
    """How long a campaign's leads may wait (NEW for a clerk, ACTIVE for feedback) before the
    reminders job tells the clerk and the managers: 1 hour to a year; None: no reminders."""
    if hours is not None and not 1 <= hours <= MAX_WAITING_LIMIT_HOURS:
        raise DomainError(
            ErrorCode.INVALID,
            f"The waiting limit is 1 to {MAX_WAITING_LIMIT_HOURS} hours, got {hours}.",
            field,
        )
    return hours


def clean_retention_days(days: int | None, field: Sequence[str]) -> int | None:
    """How many days after their close unsuccessful leads keep their person's data (the
    retention, services/privacy/retention.py): 1 day to 100 years; None: the instance's
    LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL applies."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise DomainError(
            ErrorCode.INVALID,
            f"The retention is 1 to {MAX_RETENTION_DAYS} days, got {days}.",
            field,
        )
    return days


async def waiting_limit_of(actor: Actor, campaign_id: int) -> int | None:
    """The campaign's waiting limit, for managers (None for everyone else)."""
    return await _managers_setting(actor, campaign_id, "waiting_limit_hours")


async def retention_days_of(actor: Actor, campaign_id: int) -> int | None:
    """The campaign's own retention in days, for managers (None for everyone else)."""
    return await _managers_setting(actor, campaign_id, "retention_days")


async def _managers_setting(actor: Actor, campaign_id: int, column: str) -> int | None:
    """A campaign setting only managers read."""
    found = (await managers_settings(actor, [campaign_id])).get(campaign_id)
    return cast(int | None, getattr(found, column)) if found is not None else None


@dataclass(frozen=True, slots=True)
class ManagersSettings:
    """A campaign's settings that only managers read."""

    waiting_limit_hours: int | None
    retention_days: int | None


async def managers_settings(
    actor: Actor, campaign_ids: Sequence[int]
) -> dict[int, ManagersSettings]:
    """The managers-only settings of campaigns, for managers (none for everyone else): one
    statement for any number of campaigns (a list of campaigns shows each one's)."""
    if not policy.is_manager(actor) or not campaign_ids:
        return {}
    rows = await Campaign.filter(id__in=list(campaign_ids)).values(
        "id", "waiting_limit_hours", "retention_days"
    )
    return {
        row["id"]: ManagersSettings(row["waiting_limit_hours"], row["retention_days"])
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class CampaignChanges:
    """An edit of a campaign: only the settings named in `given` change."""

    given: frozenset[str]
    waiting_limit_hours: int | None = None
    retention_days: int | None = None


async def update_campaign(actor: Actor, campaign_id: int, changes: CampaignChanges) -> Campaign:
    """Change a campaign's settings (managers); a waiting limit of None switches the
    reminders off, a retention of None leaves the campaign to the instance's setting. The
    retention (given at all, None too) is an admin's (`policy.require_may_set_retention`) and
    audited with its old and new value, read under the campaign's row lock so that two admins
    at once each record what they really replaced."""
    policy.require_manager(actor, "change campaigns")
    if "retention_days" in changes.given:
        policy.require_may_set_retention(actor)
    campaign = await campaign_by_id(campaign_id, ["campaignId"])
    hours = clean_waiting_limit(changes.waiting_limit_hours, ["waitingLimitHours"])
    days = clean_retention_days(changes.retention_days, ["retentionDays"])
    async with in_transaction():
        if "waiting_limit_hours" in changes.given:
            await Campaign.filter(id=campaign.id).update(waiting_limit_hours=hours)
        if "retention_days" in changes.given:
            [old_days] = cast(
                list[int | None],  # flat=True: the values themselves, not 1-tuples
                await Campaign.filter(id=campaign.id)
                .select_for_update()
                .values_list("retention_days", flat=True),
            )
            if old_days != days:
                await Campaign.filter(id=campaign.id).update(retention_days=days)
                await _audit_retention(actor, campaign.id, old_days, days)
    return await Campaign.get(id=campaign.id)


async def _audit_retention(
    actor: Actor, campaign_id: int, old_days: int | None, new_days: int | None
) -> None:
    """Who set which campaign's retention from what to what ('none': the instance's setting)."""

    def told(days: int | None) -> str:
        return "none" if days is None else f"{days} day" + ("" if days == 1 else "s")

    await audit.record(
        audit.AuditAction.CAMPAIGN_RETENTION_CHANGED,
        actor=actor,
        detail=f"campaign {campaign_id}: retention {told(old_days)} -> {told(new_days)}",
    )


def _duplicate_name(name: str) -> DomainError:
    return DomainError(ErrorCode.DUPLICATE, f"A campaign named {name!r} exists already.", ["name"])


def visible_campaigns(actor: Actor) -> QuerySet[Campaign]:
    return policy.visible_campaigns(actor)


async def get_campaign(actor: Actor, campaign_id: int, field: Sequence[str] = ("id",)) -> Campaign:
    """One campaign by ID, under the rule of `visible_campaigns`; `field` names the input in
    the NOT_FOUND error."""
    return await policy.find_campaign(actor, campaign_id, _missing(field))


async def campaign_by_id(campaign_id: int, field: Sequence[str]) -> Campaign:
    """One campaign by ID for a use case that has checked the actor's right already (or checks
    it on the campaign itself): NOT_FOUND under `field` when it does not exist."""
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise _missing(field)
    return campaign


async def campaign_named(name: str) -> Campaign | None:
    """The campaign of this name (names are unique; surrounding blanks do not count), or None:
    the command line names campaigns, each command says in its words when one is missing."""
    return await Campaign.get_or_none(name=name.strip())


def _missing(field: Sequence[str]) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "This campaign does not exist.", field)


async def campaign_stats(actor: Actor, campaign_ids: Iterable[int]) -> dict[int, CampaignStats]:
    """Figures per campaign over the leads the actor may see, in one GROUP BY query: over the
    report rollups (one row per campaign and day) for those who see every lead, else over
    their leads."""
    if policy.reads_every_lead(actor):
        return await rolled_up_stats(list(campaign_ids))
    return await stats_by_campaign(policy.visible_leads(actor), campaign_ids)


# CampaignDayFigures' cohort columns in CampaignStats' order.
COHORT_COLUMNS = ("created", "new", "active", "done", "successful", "unsuccessful")


async def rolled_up_stats(
    campaign_ids: list[int], days: dict[str, date] | None = None
) -> dict[int, CampaignStats]:
    """Figures per campaign of the leads created on the given days (Tortoise filters on `day`;
    all days without), summed from the rollups that the triggers on `leads` keep exact."""
    stats = {campaign_id: CampaignStats() for campaign_id in campaign_ids}
    if not campaign_ids:
        return stats
    rows = (
        await CampaignDayFigures.filter(campaign_id__in=campaign_ids, **(days or {}))
        .group_by("campaign_id")
        .annotate(**{f"{name}_sum": Sum(name) for name in COHORT_COLUMNS})
        .values_list("campaign_id", *(f"{name}_sum" for name in COHORT_COLUMNS))
    )
    for campaign_id, *counts in rows:
        stats[campaign_id] = CampaignStats(*(int(count or 0) for count in counts))
    return stats


async def stats_by_campaign(
    leads: QuerySet[Lead], campaign_ids: Iterable[int]
) -> dict[int, CampaignStats]:
    """Figures per campaign over `leads` (already narrowed to what the actor may see, and to a
    period if any), in one GROUP BY query; campaigns without leads get zeros."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = (
        await leads.filter(campaign_id__in=ids)
        .group_by("campaign_id")
        .annotate(
            total=Count("id"),
            **status_counts(),
            successful=count_when(Q(outcome=Outcome.SUCCESSFUL)),
            unsuccessful=count_when(Q(outcome=Outcome.UNSUCCESSFUL)),
        )
        .values("campaign_id", "total", "new", "active", "done", "successful", "unsuccessful")
    )
    stats = {campaign_id: CampaignStats() for campaign_id in ids}
    for row in rows:
        campaign_id = row.pop("campaign_id")
        stats[campaign_id] = CampaignStats(**{key: int(value or 0) for key, value in row.items()})
    return stats
