"""Reports per campaign: how the leads created in a period stand (New/Active/Done, outcomes,
close reasons) and the medians of their durations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import Campaign, CampaignDayFigures, Lead
from leadflow.services.campaigns import (
    COHORT_COLUMNS,
    CampaignStats,
    get_campaign,
    stats_by_campaign,
)
from leadflow.services.reports.periods import DaySplit, make_period
from leadflow.services.reports.sampling import (
    TO_ASSIGNMENT,
    TO_CLOSE,
    TO_FEEDBACK,
    sample_every,
    sampled_groups,
)


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
    # True when the medians were estimated from a sample (see the package's "Long periods").
    medians_estimated: bool = False

    @property
    def conversion_rate(self) -> float | None:
        return self.stats.conversion_rate


async def campaign_reports(
    actor: Actor,
    campaign_id: int | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> list[CampaignReport]:
    """One report per campaign the actor may see (by name), or for the one asked for, over the
    leads created in the period. A fixed number of statements, however many campaigns and
    leads (see the package's "Long periods" for where the figures come from)."""
    period = make_period(start, end)
    if campaign_id is not None:
        found = [await get_campaign(actor, campaign_id, ["campaignId"])]
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
        stats = await stats_by_campaign(in_period, ids)
        reasons = await _unsuccessful_by_reason(in_period)
    estimated = sampled_groups({key: figures.total for key, figures in stats.items()})
    medians = await _campaign_medians(leads.filter(**period.filters("created_at")), ids, estimated)
    return [
        CampaignReport(
            campaign=campaign,
            stats=stats[campaign.id],
            unsuccessful_by_reason=tuple(
                ReasonCount(reason, reasons.get((campaign.id, reason), 0)) for reason in CloseReason
            ),
            median_seconds_to_assignment=medians.get((campaign.id, TO_ASSIGNMENT)),
            median_seconds_to_first_feedback=medians.get((campaign.id, TO_FEEDBACK)),
            median_seconds_to_close=medians.get((campaign.id, TO_CLOSE)),
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
        columns = [*COHORT_COLUMNS, *reason_columns.values()]
        rows = (
            await CampaignDayFigures.filter(campaign_id__in=ids, **split.day_filters())
            .group_by("campaign_id")
            .annotate(**{f"{name}_sum": Sum(name) for name in columns})
            .values("campaign_id", *(f"{name}_sum" for name in columns))
        )
        for row in rows:
            campaign_id = row["campaign_id"]
            counts = {name: int(row[f"{name}_sum"] or 0) for name in columns}
            stats[campaign_id] += CampaignStats(*(counts[name] for name in COHORT_COLUMNS))
            for reason, column in reason_columns.items():
                reasons[(campaign_id, reason)] += counts[column]
    for edge in split.edges:
        in_edge = leads.filter(**edge.filters("created_at"))
        for campaign_id, figures in (await stats_by_campaign(in_edge, ids)).items():
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


# The durations of a campaign report, over `_campaign_medians`' per-lead rows.
_CAMPAIGN_DURATIONS = (
    sql.Duration(TO_ASSIGNMENT, "created_at", "first_assigned_at"),
    sql.Duration(TO_FEEDBACK, "first_assigned_at", "first_feedback_at"),
    sql.Duration(TO_CLOSE, "created_at", "closed_at"),
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
    per_lead = leads.values(
        sample_key="id",
        group_key="campaign_id",
        created_at="created_at",
        closed_at="closed_at",
        first_assigned_at="first_assigned_at",
        first_feedback_at="first_feedback_at",
    )
    return await sql.medians(per_lead, _CAMPAIGN_DURATIONS, sample_every=sample_every(sampled))
