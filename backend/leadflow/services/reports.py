"""Reports: figures per campaign and per clerk, aging lists and a time series of leads.

Every figure is computed by the database (GROUP BY, window functions, percentile_cont) over the
leads the actor may read (`policy.report_leads`); leads are never loaded into Python to be
counted. Each report costs a fixed number of SQL statements, however many leads there are.

Definitions (durations in seconds, rounded to milliseconds):

- time to assignment: the lead's first assignment (`leads.first_assigned_at`, the time of its
  ASSIGNED event) minus its `created_at`. A reassignment does not restart it.
- time to first feedback: the lead's first feedback (`leads.first_feedback_at`, the earliest
  `feedback.created_at`) minus that first assignment. Leads without feedback are left out (not
  counted as zero).
- time to close: `closed_at` minus `created_at`.
- median: the middle duration; of an even number, the mean of the two middle ones (what
  PostgreSQL's `percentile_cont(0.5)` computes). None when there is no duration to take it of.
- conversion rate (campaigns) and success rate (clerks): successful / closed, None while
  nothing is closed (`campaigns.success_rate`).
- a period is [from, to): `from` included, `to` excluded; either may be open. "Closed in a
  period" means `closed_at` within it.
- a campaign report with a period covers the leads *created* in it (a cohort: how the leads
  that came in then stand now: New/Active/Done, outcomes, durations).
- a clerk's figures belong to the leads assigned to the clerk now (a closed lead keeps its
  assignee). Their median time to first feedback covers the leads whose first feedback falls
  in the period.
- waiting: an ACTIVE lead's last activity is the later of its latest feedback and its current
  assignment (`assigned_at`, reset by a reassignment: the new clerk's clock starts then), kept
  on the lead as `leads.waiting_since` (written by `services.leads`). A
  clerk's oldest waiting lead is their ACTIVE lead with the oldest last activity; the aging
  list ACTIVE_WITHOUT_FEEDBACK holds the ACTIVE leads whose last activity is older than N days.

Long periods: for actors who read every lead (managers, admins, their read-only tokens), the
counts come from the rollup tables (`CampaignDayFigures` and friends, kept per UTC day by
triggers on `leads`, migration 0006) for the whole days of the period, plus the leads
themselves for a partial first or last day; they stay exact. A median needs every duration, so
it is exact while the groups (campaigns, clerks) hold at most `EXACT_MEDIAN_LIMIT` leads
together; beyond, the smallest groups holding at most `EXACT_BESIDE_SAMPLED` leads together
stay exact and the larger groups' medians are estimated from their leads whose id is a
multiple of `SAMPLE_EVERY` (a fixed sample, independent of the figures, read from
partial indexes), and their report says so (`medians_estimated`). A small campaign thus
keeps its exact medians beside big ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pypika_tortoise.terms import Parameterizer
from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.clock import now
from leadflow.db.enums import CloseReason, LeadStatus, Outcome
from leadflow.db.lead_status import count_when, status_condition
from leadflow.db.models import (
    Campaign,
    CampaignDayFigures,
    ClerkDayFigures,
    Lead,
    User,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import campaigns
from leadflow.services.campaigns import CampaignStats, success_rate

# Above this many leads in a report's scope, medians are estimated from a fixed sample ...
EXACT_MEDIAN_LIMIT = 50_000
# ... except for the smallest groups that hold at most this many leads together.
EXACT_BESIDE_SAMPLED = 10_000
# Every SAMPLE_EVERY-th lead by id: the predicate of migration 0006's partial indexes.
SAMPLE_EVERY = 16
MIN_AGING_DAYS = 1
MAX_AGING_DAYS = 3650
# A daily series of about three years; weekly series may span as many weeks.
MAX_SERIES_POINTS = 1100


class ReportInterval(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"


class AgingKind(StrEnum):
    NEW = "NEW"
    ACTIVE_WITHOUT_FEEDBACK = "ACTIVE_WITHOUT_FEEDBACK"


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def filters(self, column: str) -> dict[str, datetime]:
        """Tortoise filter arguments that keep `column` within the period."""
        bounds: dict[str, datetime] = {}
        if self.start is not None:
            bounds[f"{column}__gte"] = self.start
        if self.end is not None:
            bounds[f"{column}__lt"] = self.end
        return bounds


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A period cut at UTC midnights: whole days [first_day, end_day) that the rollups hold
    (None leaves a side open; `whole_days` False when there are none) and the partial days
    before and after them (`edges`), which are read from the leads."""

    first_day: date | None
    end_day: date | None
    whole_days: bool
    edges: tuple[Period, ...]

    @classmethod
    def of(cls, period: Period) -> DaySplit:
        start, end = period.start, period.end
        if start is not None and (
            (end is not None and _midnight(start) == _midnight(end))
            # Past midnight of 9999-12-31 no next midnight exists (a date overflow).
            or (start.date() == date.max and start != _midnight(start))
        ):
            return cls(None, None, False, (period,))
        edges: list[Period] = []
        first_day = end_day = None
        if start is not None:
            first = _midnight(start)
            if first != start:
                first += timedelta(days=1)
                edges.append(Period(start, first))
            first_day = first.date()
        if end is not None:
            last = _midnight(end)
            if last != end:
                edges.append(Period(last, end))
            end_day = last.date()
        whole = first_day is None or end_day is None or first_day < end_day
        return cls(first_day, end_day, whole, tuple(edges))

    def day_filters(self) -> dict[str, date]:
        """Tortoise filter arguments that keep a rollup's `day` within the whole days."""
        bounds: dict[str, date] = {}
        if self.first_day is not None:
            bounds["day__gte"] = self.first_day
        if self.end_day is not None:
            bounds["day__lt"] = self.end_day
        return bounds


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class ReasonCount:
    reason: CloseReason
    count: int


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: Campaign
    stats: CampaignStats
    # Every close reason in the enum's order, zeros included, so charts keep their shape.
    unsuccessful_by_reason: tuple[ReasonCount, ...]
    median_seconds_to_assignment: float | None
    median_seconds_to_first_feedback: float | None
    median_seconds_to_close: float | None
    # True when the medians were estimated from a sample (see the module's "Long periods").
    medians_estimated: bool = False

    @property
    def conversion_rate(self) -> float | None:
        return self.stats.conversion_rate


@dataclass(frozen=True, slots=True)
class ClerkReport:
    clerk: User
    open_leads: int
    closed_in_period: int
    successful_in_period: int
    median_seconds_to_first_feedback: float | None
    oldest_waiting_lead_id: int | None
    medians_estimated: bool = False

    @property
    def success_rate(self) -> float | None:
        return success_rate(self.successful_in_period, self.closed_in_period)


@dataclass(frozen=True, slots=True)
class TimeSeriesPoint:
    start: date  # the bucket's first day (a Monday for weeks), UTC
    created: int
    successful: int
    unsuccessful: int


# ---------------------------------------------------------------------------------------------
# Input


def make_period(
    start: date | datetime | None, end: date | datetime | None, *, required: bool = False
) -> Period:
    """A period from plain values: a date means its midnight in UTC, a naive datetime is taken
    as UTC, and either must lie within the years 1 to 9999 in UTC. `from` must come before
    `to`."""
    period = Period(_utc(start, "from"), _utc(end, "to"))
    if required:
        if period.start is None:
            raise DomainError(ErrorCode.REQUIRED, "Give the start of the period.", ["from"])
        if period.end is None:
            raise DomainError(ErrorCode.REQUIRED, "Give the end of the period.", ["to"])
    if period.start is not None and period.end is not None and period.start >= period.end:
        raise DomainError(
            ErrorCode.INVALID,
            "The period is empty: 'from' must be before 'to' ('to' itself is excluded).",
            ["to"],
        )
    return period


def _utc(value: date | datetime | None, argument: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+10:00 is in the year 0 in UTC, 9999-12-31T23:00-10:00 in 10000.
        raise DomainError(
            ErrorCode.INVALID,
            f"'{argument}' must lie between {datetime.min.isoformat()}Z and "
            f"{datetime.max.isoformat()}Z in UTC; {value.isoformat()} does not.",
            [argument],
        ) from None


def _check_days(days: int) -> int:
    if not MIN_AGING_DAYS <= days <= MAX_AGING_DAYS:
        raise DomainError(
            ErrorCode.INVALID,
            f"The number of days must be between {MIN_AGING_DAYS} and {MAX_AGING_DAYS} "
            f"(ten years), got {days}.",
            ["olderThanDays"],
        )
    return days


async def _visible_campaign(actor: User, campaign_id: int) -> Campaign:
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This campaign does not exist.", ["campaignId"])
    await policy.require_campaign_visible(actor, campaign)
    return campaign


# ---------------------------------------------------------------------------------------------
# Per campaign


async def campaign_reports(
    actor: User,
    campaign_id: int | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> list[CampaignReport]:
    """One report per campaign the actor may see (by name), or for the one asked for, over the
    leads created in the period. A fixed number of statements, however many campaigns and
    leads (see the module's "Long periods" for where the figures come from)."""
    period = make_period(start, end)
    if campaign_id is not None:
        found = [await _visible_campaign(actor, campaign_id)]
    else:
        found = await policy.visible_campaigns(actor).order_by("name", "id")
    ids = [campaign.id for campaign in found]
    if not ids:
        return []
    leads = policy.report_leads(actor).filter(campaign_id__in=ids)
    if policy.reads_every_lead(actor):
        stats, reasons = await _rolled_up_campaign_figures(leads, ids, DaySplit.of(period))
    else:
        in_period = leads.filter(**period.filters("created_at"))
        stats = await campaigns.stats_by_campaign(in_period, ids)
        reasons = await _unsuccessful_by_reason(in_period)
    estimated = _sampled_groups({key: figures.total for key, figures in stats.items()})
    medians = await _campaign_medians(leads.filter(**period.filters("created_at")), ids, estimated)
    return [
        CampaignReport(
            campaign=campaign,
            stats=stats[campaign.id],
            unsuccessful_by_reason=tuple(
                ReasonCount(reason, reasons.get((campaign.id, reason), 0)) for reason in CloseReason
            ),
            median_seconds_to_assignment=medians.get((campaign.id, _TO_ASSIGNMENT)),
            median_seconds_to_first_feedback=medians.get((campaign.id, _TO_FEEDBACK)),
            median_seconds_to_close=medians.get((campaign.id, _TO_CLOSE)),
            medians_estimated=campaign.id in estimated,
        )
        for campaign in found
    ]


async def _rolled_up_campaign_figures(
    leads: QuerySet[Lead], ids: list[int], split: DaySplit
) -> tuple[dict[int, CampaignStats], dict[tuple[int, CloseReason], int]]:
    """Counts and reasons per campaign: the rollups' whole days plus the partial days' leads."""
    stats = {campaign_id: CampaignStats() for campaign_id in ids}
    reasons: defaultdict[tuple[int, CloseReason], int] = defaultdict(int)
    if split.whole_days:
        reason_columns = {reason: f"reason_{reason.value.lower()}" for reason in CloseReason}
        columns = [*campaigns.COHORT_COLUMNS, *reason_columns.values()]
        rows = (
            await CampaignDayFigures.filter(campaign_id__in=ids, **split.day_filters())
            .group_by("campaign_id")
            .annotate(**{f"{name}_sum": Sum(name) for name in columns})
            .values("campaign_id", *(f"{name}_sum" for name in columns))
        )
        for row in rows:
            campaign_id = row["campaign_id"]
            counts = {name: int(row[f"{name}_sum"] or 0) for name in columns}
            stats[campaign_id] += CampaignStats(
                *(counts[name] for name in campaigns.COHORT_COLUMNS)
            )
            for reason, column in reason_columns.items():
                reasons[(campaign_id, reason)] += counts[column]
    for edge in split.edges:
        in_edge = leads.filter(**edge.filters("created_at"))
        for campaign_id, figures in (await campaigns.stats_by_campaign(in_edge, ids)).items():
            stats[campaign_id] += figures
        for key, count in (await _unsuccessful_by_reason(in_edge)).items():
            reasons[key] += count
    return stats, reasons


async def _unsuccessful_by_reason(leads: QuerySet[Lead]) -> dict[tuple[int, CloseReason], int]:
    rows = (
        await leads.filter(outcome=Outcome.UNSUCCESSFUL, close_reason__isnull=False)
        .group_by("campaign_id", "close_reason")
        .annotate(count=Count("id"))
        .values_list("campaign_id", "close_reason", "count")
    )
    return {(campaign_id, CloseReason(reason)): int(count) for campaign_id, reason, count in rows}


_TO_ASSIGNMENT, _TO_FEEDBACK, _TO_CLOSE = "assignment", "feedback", "close"
# The durations of a campaign report: (name, from column, to column) of `_campaign_medians`'
# per-lead rows.
_CAMPAIGN_DURATIONS = (
    (_TO_ASSIGNMENT, "created_at", "first_assigned_at"),
    (_TO_FEEDBACK, "first_assigned_at", "first_feedback_at"),
    (_TO_CLOSE, "created_at", "closed_at"),
)


async def _campaign_medians(
    leads: QuerySet[Lead], ids: list[int], sampled: set[int]
) -> dict[tuple[int, str], float]:
    """The three median durations per campaign: one statement over the exact campaigns, one
    over the `sampled` ones (each only when there are such)."""
    exact = [campaign_id for campaign_id in ids if campaign_id not in sampled]
    found: dict[tuple[int, str], float] = {}
    if exact:
        found |= await _campaign_medians_of(leads.filter(campaign_id__in=exact), sampled=False)
    if sampled:
        found |= await _campaign_medians_of(
            leads.filter(campaign_id__in=sorted(sampled)), sampled=True
        )
    return found


async def _campaign_medians_of(
    leads: QuerySet[Lead], *, sampled: bool
) -> dict[tuple[int, str], float]:
    """A lead's firsts are its own columns (`first_assigned_at`, `first_feedback_at`, written
    by `services.leads`), so the medians read the leads table only."""
    sql = _Statement()
    scope = sql.subquery(
        leads.values(
            sample_key="id",
            group_key="campaign_id",
            created_at="created_at",
            closed_at="closed_at",
            first_assigned_at="first_assigned_at",
            first_feedback_at="first_feedback_at",
        )
    )
    return await sql.medians(scope, _CAMPAIGN_DURATIONS, sampled=sampled)


def _sampled_groups(sizes: dict[int, int]) -> set[int]:
    """The groups whose medians are estimated: none while all hold at most
    EXACT_MEDIAN_LIMIT leads together; else the largest, until the others hold at most
    EXACT_BESIDE_SAMPLED (their exact medians then cost little beside the sample's)."""
    exact, sampled = sum(sizes.values()), set()
    if exact <= EXACT_MEDIAN_LIMIT:
        return sampled
    for key, size in sorted(sizes.items(), key=lambda item: -item[1]):
        if exact <= EXACT_BESIDE_SAMPLED:
            break
        sampled.add(key)
        exact -= size
    return sampled


# ---------------------------------------------------------------------------------------------
# Per clerk


async def clerk_reports(
    actor: User, start: date | datetime | None = None, end: date | datetime | None = None
) -> list[ClerkReport]:
    """A report per clerk the actor may see (managers: every clerk, by name; a clerk: only
    themselves; partners: refused). A fixed number of statements, however many clerks and
    leads."""
    period = make_period(start, end)
    clerks = await policy.report_clerks(actor).order_by("name", "id")
    if not clerks:
        return []
    ids = [clerk.id for clerk in clerks]
    leads = policy.report_leads(actor).filter(assignee_id__in=ids)
    open_leads = await _open_by_clerk(leads)
    if policy.reads_every_lead(actor):
        closes = await _rolled_up_closes(leads, ids, DaySplit.of(period))
    else:
        closes = await _closes_by_clerk(leads, period)
    # The clerks' closes in the period stand for the size of their answered leads in it.
    estimated = _sampled_groups({clerk_id: closes[clerk_id][0] for clerk_id in ids})
    medians = await _clerk_feedback_medians(leads, period, ids, estimated)
    oldest = await _oldest_waiting_leads(leads, ids)
    return [
        ClerkReport(
            clerk=clerk,
            open_leads=open_leads.get(clerk.id, 0),
            closed_in_period=closes[clerk.id][0],
            successful_in_period=closes[clerk.id][1],
            median_seconds_to_first_feedback=medians.get((clerk.id, _TO_FEEDBACK)),
            oldest_waiting_lead_id=oldest.get(clerk.id),
            medians_estimated=clerk.id in estimated,
        )
        for clerk in clerks
    ]


async def _open_by_clerk(leads: QuerySet[Lead]) -> dict[int, int]:
    rows = (
        await leads.filter(status_condition(LeadStatus.ACTIVE))
        .group_by("assignee_id")
        .annotate(open=Count("id"))
        .values_list("assignee_id", "open")
    )
    return {assignee_id: int(count) for assignee_id, count in rows}


async def _closes_by_clerk(
    leads: QuerySet[Lead], period: Period
) -> defaultdict[int, tuple[int, int]]:
    """(closed in the period, successful of those) per assignee, from the leads."""
    rows = (
        await leads.filter(closed_at__isnull=False, **period.filters("closed_at"))
        .group_by("assignee_id")
        .annotate(
            closed=Count("id"),
            successful=count_when(Q(outcome=Outcome.SUCCESSFUL)),
        )
        .values_list("assignee_id", "closed", "successful")
    )
    closes: defaultdict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for assignee_id, closed, successful in rows:
        closes[assignee_id] = (int(closed or 0), int(successful or 0))
    return closes


async def _rolled_up_closes(
    leads: QuerySet[Lead], ids: list[int], split: DaySplit
) -> defaultdict[int, tuple[int, int]]:
    """As `_closes_by_clerk`: the rollups' whole days plus the partial days' leads."""
    closes: defaultdict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    if split.whole_days:
        closes.update(
            (assignee_id, (int(closed or 0), int(successful or 0)))
            for assignee_id, closed, successful in await ClerkDayFigures.filter(
                assignee_id__in=ids, **split.day_filters()
            )
            .group_by("assignee_id")
            .annotate(closed=Sum("closed"), successful=Sum("successful"))
            .values_list("assignee_id", "closed", "successful")
        )
    for edge in split.edges:
        for assignee_id, (closed, successful) in (await _closes_by_clerk(leads, edge)).items():
            before = closes[assignee_id]
            closes[assignee_id] = (before[0] + closed, before[1] + successful)
    return closes


async def _clerk_feedback_medians(
    leads: QuerySet[Lead], period: Period, ids: list[int], sampled: set[int]
) -> dict[tuple[int, str], float]:
    """Median time to first feedback per assignee, over the leads first answered in the
    period (the lead's `first_feedback_at`): one statement over the exact clerks, one over
    the `sampled` ones (each only when there are such)."""
    answered = leads.filter(first_feedback_at__isnull=False, **period.filters("first_feedback_at"))
    exact = [clerk_id for clerk_id in ids if clerk_id not in sampled]
    found: dict[tuple[int, str], float] = {}
    for group, sample in ((exact, False), (sorted(sampled), True)):
        if group:
            sql = _Statement()
            scope = sql.subquery(
                answered.filter(assignee_id__in=group).values(
                    sample_key="id",
                    group_key="assignee_id",
                    first_assigned_at="first_assigned_at",
                    first_feedback_at="first_feedback_at",
                )
            )
            found |= await sql.medians(
                scope, [(_TO_FEEDBACK, "first_assigned_at", "first_feedback_at")], sampled=sample
            )
    return found


async def _oldest_waiting_leads(leads: QuerySet[Lead], clerk_ids: list[int]) -> dict[int, int]:
    """Per assignee, the ACTIVE lead whose last activity (the later of its latest feedback and
    its assignment, kept on the lead as `waiting_since` by `services.leads`) is oldest; ties go
    to the lower id. One statement: a correlated LIMIT 1 per clerk, so the database descends
    the index (assignee_id, closed_at, waiting_since) once per clerk instead of ranking every
    ACTIVE lead."""
    sql = _Statement()
    waiting = leads.filter(status_condition(LeadStatus.ACTIVE))
    scope = sql.subquery(waiting.values("id", "assignee_id", "waiting_since"))
    clerks = ", ".join(f"(CAST({sql.value(clerk_id)} AS INTEGER))" for clerk_id in clerk_ids)
    rows = await sql.rows(
        "SELECT clerks.column1 AS assignee_id, ("
        f"SELECT scoped.id FROM ({scope}) AS scoped WHERE scoped.assignee_id = clerks.column1 "
        "ORDER BY scoped.waiting_since, scoped.id LIMIT 1"
        f") AS id FROM (VALUES {clerks}) AS clerks"
    )
    return {row["assignee_id"]: row["id"] for row in rows if row["id"] is not None}


# ---------------------------------------------------------------------------------------------
# Aging lists


def aging_leads(
    actor: User,
    kind: AgingKind,
    older_than_days: int,
    campaign_id: int | None = None,
    *,
    at: datetime | None = None,
) -> QuerySet[Lead]:
    """Leads a manager should act on, as a queryset to page through: NEW leads created more
    than N days ago (to distribute), or ACTIVE leads without activity for N days (to chase or
    reassign; see the module's definition of waiting). Managers see all, a clerk their own
    (so no NEW ones), partners are refused. `at` is the moment to count back from (now)."""
    policy.require_may_read_clerk_figures(actor)
    cutoff = (at or now()) - timedelta(days=_check_days(older_than_days))
    matching = policy.report_leads(actor)
    if campaign_id is not None:
        matching = matching.filter(campaign_id=campaign_id)
    if kind is AgingKind.NEW:
        return matching.filter(status_condition(LeadStatus.NEW), created_at__lt=cutoff)
    # "Last activity before the cutoff": assigned before it and no feedback since, which is
    # the lead's `waiting_since` (the later of the two) before it.
    return matching.filter(status_condition(LeadStatus.ACTIVE), waiting_since__lt=cutoff)


def aging_order(kind: AgingKind) -> str:
    """The column that puts an aging list's longest waiting lead first (ties by id): NEW leads
    wait since their creation, ACTIVE ones since their `waiting_since`."""
    return "created_at" if kind is AgingKind.NEW else "waiting_since"


# ---------------------------------------------------------------------------------------------
# Time series


async def lead_time_series(
    actor: User,
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
        await _visible_campaign(actor, campaign_id)
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
        for day, *events in rows:
            add(_bucket_of(interval, _as_date(day)), tuple(int(count or 0) for count in events))
    for edge in split.edges:
        for bucket, events in (await _events_by_bucket(scope, interval, edge)).items():
            add(bucket, events)
    return counted


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


async def _events_by_bucket(
    scope: QuerySet[Lead], interval: ReportInterval, period: Period
) -> dict[date, _Events]:
    """Leads created and closed within the period per bucket, from the leads; one statement."""
    sql = _Statement()
    created = sql.subquery(scope.filter(**period.filters("created_at")).values("created_at"))
    closed = sql.subquery(
        scope.filter(**period.filters("closed_at")).values("closed_at", "outcome")
    )
    successful = f"CASE WHEN closed.outcome = '{Outcome.SUCCESSFUL.value}' THEN 1 ELSE 0 END"
    unsuccessful = f"CASE WHEN closed.outcome = '{Outcome.UNSUCCESSFUL.value}' THEN 1 ELSE 0 END"
    rows = await sql.rows(
        f"WITH created AS ({created}), closed AS ({closed}) "
        "SELECT bucket, SUM(created) AS created, SUM(successful) AS successful, "
        "SUM(unsuccessful) AS unsuccessful FROM ("
        f"SELECT {sql.bucket(interval, 'created.created_at')} AS bucket, COUNT(*) AS created, "
        "0 AS successful, 0 AS unsuccessful FROM created GROUP BY 1 "
        "UNION ALL "
        f"SELECT {sql.bucket(interval, 'closed.closed_at')}, 0, SUM({successful}), "
        f"SUM({unsuccessful}) FROM closed GROUP BY 1"
        ") AS events GROUP BY bucket"
    )
    return {
        date.fromisoformat(row["bucket"]): (
            int(row["created"]),
            int(row["successful"]),
            int(row["unsuccessful"]),
        )
        for row in rows
    }


def _buckets(interval: ReportInterval, start: datetime, end: datetime) -> list[date]:
    step = 7 if interval is ReportInterval.WEEK else 1
    first = _bucket_of(interval, start.date())
    last = _bucket_of(interval, (end - timedelta(microseconds=1)).date())
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


def _bucket_of(interval: ReportInterval, day: date) -> date:
    if interval is ReportInterval.WEEK:
        return day - timedelta(days=day.weekday())
    return day


# ---------------------------------------------------------------------------------------------
# Raw SQL where Tortoise has no words (medians, buckets, per-lead firsts)


class _Statement:
    """One raw SQL statement for the current connection, with one branch per dialect.

    Querysets (the policy's visibility included) and values become numbered placeholders
    ($1 on PostgreSQL, ?1 on SQLite) in one list of parameters, so the statement's parts may be
    assembled in any order and no input is ever spelled into the SQL (only the code's own
    constants: enum values, column names).
    """

    def __init__(self) -> None:
        self.connection = connections.get("default")
        self.postgres = self.connection.capabilities.dialect == "postgres"
        placeholder = "${}" if self.postgres else "?{}"
        self._context = self.connection.query_class.SQL_CONTEXT.copy(
            parameterizer=Parameterizer(placeholder_factory=placeholder.format)
        )

    @property
    def parameters(self) -> list[Any]:
        return self._context.parameterizer.values

    def subquery(self, queryset: Any) -> str:
        return Subquery(queryset).get_sql(self._context)

    def value(self, value: Any) -> str:
        return self._context.parameterizer.create_param(value).get_sql(self._context)

    def seconds(self, start: str, end: str) -> str:
        """`end - start` in seconds (medians are rounded to milliseconds afterwards)."""
        if self.postgres:
            # date_part, unlike EXTRACT, stays in double precision: a third of the cost.
            return f"date_part('epoch', {end} - {start})"
        # SQLite stores datetimes as ISO text; julianday() reads them, offset included. Its
        # double carries about 10 microseconds of noise, hence the rounding to milliseconds.
        return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"

    def bucket(self, interval: ReportInterval, column: str) -> str:
        """The UTC day, or the Monday of the UTC week, of `column`, as 'YYYY-MM-DD'."""
        if self.postgres:
            unit = "week" if interval is ReportInterval.WEEK else "day"
            return f"to_char(date_trunc('{unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        if interval is ReportInterval.WEEK:
            # 'weekday 0' moves forward to the next Sunday (or stays on one); 6 days before it
            # is the week's Monday.
            return f"date({column}, 'weekday 0', '-6 days')"
        return f"date({column})"

    async def medians(
        self,
        per_lead: str,
        durations: Iterable[tuple[str, str, str]],
        *,
        sampled: bool = False,
    ) -> dict[tuple[Any, str], float]:
        """Medians of durations per group. `per_lead` selects `sample_key` (the lead's id),
        `group_key` and timestamp columns; each duration is (name, from column, to column),
        and rows where either is NULL are left out. `sampled` keeps only the leads whose id is
        a multiple of SAMPLE_EVERY (the partial indexes' predicate, spelled the same way so the
        planner uses them). Returns {(group_key, name): median seconds}."""
        durations = list(durations)
        sample = f"sample_key % {SAMPLE_EVERY} = 0" if sampled else "1 = 1"
        if self.postgres:
            medians = ", ".join(
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {self.seconds(start, end)}) AS {name}"
                for name, start, end in durations
            )
            rows = await self.rows(
                f"SELECT group_key, {medians} FROM ({per_lead}) AS per_lead "
                f"WHERE {sample} GROUP BY group_key"
            )
            found = {
                (row["group_key"], name): row[name] for row in rows for name, _, _ in durations
            }
        else:
            # SQLite has no percentile: number the durations per group and average the middle
            # one (odd count) or two (even count).
            unpivoted = " UNION ALL ".join(
                f"SELECT group_key, '{name}' AS metric, {self.seconds(start, end)} AS seconds "
                f"FROM per_lead WHERE {start} IS NOT NULL AND {end} IS NOT NULL AND {sample}"
                for name, start, end in durations
            )
            rows = await self.rows(
                f"WITH per_lead AS ({per_lead}), "
                "ranked AS (SELECT group_key, metric, seconds, ROW_NUMBER() OVER ("
                "PARTITION BY group_key, metric ORDER BY seconds) AS position, "
                f"COUNT(*) OVER (PARTITION BY group_key, metric) AS total FROM ({unpivoted})) "
                "SELECT group_key, metric, AVG(seconds) AS median FROM ranked "
                "WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY group_key, metric"
            )
            found = {(row["group_key"], row["metric"]): row["median"] for row in rows}
        return {key: round(float(value), 3) for key, value in found.items() if value is not None}

    async def rows(self, query: str) -> list[dict[str, Any]]:
        return await self.connection.execute_query_dict(query, self.parameters)
