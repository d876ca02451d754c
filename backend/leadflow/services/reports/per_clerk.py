"""Reports per clerk: open leads, closes in a period, the median time to first feedback and
the oldest waiting lead."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.enums import LeadStatus, Outcome
from leadflow.db.lead_status import count_when, status_condition
from leadflow.db.models import ClerkDayFigures, Lead, User
from leadflow.services.campaigns import success_rate
from leadflow.services.reports.periods import DaySplit, Period, make_period
from leadflow.services.reports.sampling import TO_FEEDBACK, sample_every, sampled_groups
from leadflow.services.users import active_leads_per_assignee

_FEEDBACK = (sql.Duration(TO_FEEDBACK, "first_assigned_at", "first_feedback_at"),)


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


async def clerk_reports(
    actor: Actor, start: date | datetime | None = None, end: date | datetime | None = None
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
    open_leads = await active_leads_per_assignee(leads)
    if policy.reads_every_lead(actor):
        closes = await _rolled_up_closes(leads, ids, DaySplit.of(period))
    else:
        closes = await _closes_by_clerk(leads, period)
    # The clerks' closes in the period stand for the size of their answered leads in it.
    estimated = sampled_groups({clerk_id: closes[clerk_id][0] for clerk_id in ids})
    medians = await _clerk_feedback_medians(leads, period, ids, estimated)
    oldest = await _oldest_waiting_leads(leads, ids)
    return [
        ClerkReport(
            clerk=clerk,
            open_leads=open_leads.get(clerk.id, 0),
            closed_in_period=closes[clerk.id][0],
            successful_in_period=closes[clerk.id][1],
            median_seconds_to_first_feedback=medians.get((clerk.id, TO_FEEDBACK)),
            oldest_waiting_lead_id=oldest.get(clerk.id),
            medians_estimated=clerk.id in estimated,
        )
        for clerk in clerks
    ]


async def _closes_by_clerk(
    leads: QuerySet[Lead], period: Period
) -> defaultdict[int, tuple[int, int]]:
    """(closed in the period, successful of those) per assignee, from the leads."""
    rows = (
        await leads.filter(status_condition(LeadStatus.DONE), **period.filters("closed_at"))
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
            per_lead = answered.filter(assignee_id__in=group).values(
                sample_key="id",
                group_key="assignee_id",
                first_assigned_at="first_assigned_at",
                first_feedback_at="first_feedback_at",
            )
            found |= await sql.medians(per_lead, _FEEDBACK, sample_every=sample_every(sample))
    return found


async def _oldest_waiting_leads(leads: QuerySet[Lead], clerk_ids: list[int]) -> dict[int, int]:
    """Per assignee, the ACTIVE lead whose last activity (the later of its latest feedback and
    its assignment, kept on the lead as `waiting_since` by `services.leads`) is oldest; ties go
    to the lower id. One statement, which descends the index `leads_open_by_assignee_waiting`
    (0012) once per clerk instead of ranking every ACTIVE lead."""
    waiting = leads.filter(status_condition(LeadStatus.ACTIVE))
    per_lead = waiting.values("id", "waiting_since", group_key="assignee_id")
    return await sql.first_of_each(per_lead, clerk_ids, order_by=["waiting_since"])
