"""The time series of leads: created, closed successfully and closed unsuccessfully per UTC
day or week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.enums import Outcome
from leadflow.db.models import CampaignDayFigures, Lead
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.campaigns import get_campaign
from leadflow.services.reports.periods import DaySplit, Period, make_period

# A daily series of about three years; weekly series may span as many weeks.
MAX_SERIES_POINTS = 1100


class ReportInterval(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"


@dataclass(frozen=True, slots=True)
class TimeSeriesPoint:
    start: date  # the bucket's first day (a Monday for weeks), UTC
    created: int
    successful: int
    unsuccessful: int


async def lead_time_series(
    actor: Actor,
    interval: ReportInterval,
    start: date | datetime,
    end: date | datetime,
    campaign_id: int | None = None,
) -> list[TimeSeriesPoint]:
    """Leads created, closed successfully and closed unsuccessfully per day or week (UTC;
    weeks start on Monday), counting only what happened within [start, end). Every bucket
    the period touches is listed, empty ones with zeros; the first and last may be partial.
    One statement."""
    period = make_period(start, end, required=True)
    assert period.start is not None and period.end is not None
    buckets = _buckets(interval, period.start, period.end)
    scope = policy.report_leads(actor)
    if campaign_id is not None:
        await get_campaign(actor, campaign_id, ["campaignId"])
        scope = scope.filter(campaign_id=campaign_id)
    if policy.reads_every_lead(actor):
        counted = await _rolled_up_events(scope, interval, DaySplit.of(period), campaign_id)
    else:
        counted = await _events_by_bucket(scope, interval, period)
    return [TimeSeriesPoint(bucket, *counted.get(bucket, (0, 0, 0))) for bucket in buckets]


_Events = tuple[int, int, int]  # created, closed successful, closed unsuccessful


async def _rolled_up_events(
    scope: QuerySet[Lead], interval: ReportInterval, split: DaySplit, campaign_id: int | None
) -> dict[date, _Events]:
    """As `_events_by_bucket`: the rollups' whole days plus the partial days' leads."""
    counted: dict[date, _Events] = {}

    def add(bucket: date, events: _Events) -> None:
        before = counted.get(bucket, (0, 0, 0))
        counted[bucket] = (before[0] + events[0], before[1] + events[1], before[2] + events[2])

    if split.whole_days:
        days = CampaignDayFigures.filter(**split.day_filters())
        if campaign_id is not None:
            days = days.filter(campaign_id=campaign_id)
        rows = (
            await days.group_by("day")
            .annotate(
                created_sum=Sum("created"),
                successful_sum=Sum("closed_successful"),
                unsuccessful_sum=Sum("closed_unsuccessful"),
            )
            .values_list("day", "created_sum", "successful_sum", "unsuccessful_sum")
        )
        for day, created, successful, unsuccessful in rows:
            events = (int(created or 0), int(successful or 0), int(unsuccessful or 0))
            add(bucket_of(interval, _as_date(day)), events)
    for edge in split.edges:
        for bucket, edge_events in (await _events_by_bucket(scope, interval, edge)).items():
            add(bucket, edge_events)
    return counted


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


async def _events_by_bucket(
    scope: QuerySet[Lead], interval: ReportInterval, period: Period
) -> dict[date, _Events]:
    """Leads created and closed within the period per bucket, from the leads; one statement."""
    counted = await sql.counts_by_bucket(
        scope.filter(**period.filters("created_at")).values("created_at"),
        scope.filter(**period.filters("closed_at")).values("closed_at", "outcome"),
        weekly=interval is ReportInterval.WEEK,
        successful=Outcome.SUCCESSFUL.value,
        unsuccessful=Outcome.UNSUCCESSFUL.value,
    )
    return {
        bucket: (counts.created, counts.successful, counts.unsuccessful)
        for bucket, counts in counted.items()
    }


def _buckets(interval: ReportInterval, start: datetime, end: datetime) -> list[date]:
    step = 7 if interval is ReportInterval.WEEK else 1
    first = bucket_of(interval, start.date())
    last = bucket_of(interval, (end - timedelta(microseconds=1)).date())
    count = (last - first).days // step + 1
    if count > MAX_SERIES_POINTS:
        unit = "weeks" if interval is ReportInterval.WEEK else "days"
        raise DomainError(
            ErrorCode.TOO_MANY,
            f"The period spans {count} {unit}; a series has at most {MAX_SERIES_POINTS} "
            "points (about three years of days). Choose a shorter period or weeks.",
            ["to"],
        )
    return [first + timedelta(days=step * index) for index in range(count)]


def bucket_of(interval: ReportInterval, day: date) -> date:
    if interval is ReportInterval.WEEK:
        return day - timedelta(days=day.weekday())
    return day
